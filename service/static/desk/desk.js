// The desk's keyboard and claims. No inline scripts: the page's CSP allows only this file.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body)
    }).then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); });
  }

  function toast(text) {
    var t = document.getElementById("toast");
    if (!t) { return; }
    t.textContent = text;
    t.hidden = false;
  }

  function ready() {
    if (document.body.dataset.page !== "queue") { return; }

    // The page claims what it shows, so two moderators do not work on the same comment.
    var claimForm = document.getElementById("claim-form");
    if (claimForm && claimForm.dataset.autoclaim === "1") {
      var ids = Array.prototype.map.call(claimForm.querySelectorAll('input[name="ids"]'), function (i) { return i.value; });
      post(claimForm.action, {ids: ids}).then(function () { window.location.reload(); })
        .catch(function (e) { toast("Could not claim: " + e.message); });
      return;
    }

    var reason = document.getElementById("bulk-reason");
    var saved = window.localStorage.getItem("desk.reason");
    if (reason && saved) { reason.value = saved; }
    if (reason) { reason.addEventListener("change", function () { window.localStorage.setItem("desk.reason", reason.value); }); }

    var current = 0;
    function items() { return Array.prototype.slice.call(document.querySelectorAll("li.comment:not(.held)")); }
    function show(i) {
      var all = items();
      if (!all.length) { return; }
      current = Math.max(0, Math.min(i, all.length - 1));
      all.forEach(function (el, n) { el.classList.toggle("current", n === current); });
      all[current].focus();
      all[current].scrollIntoView({block: "nearest"});
    }
    function decide(action, el) {
      el = el || items()[current];
      if (!el) { return; }
      var body = {ids: [el.dataset.id], action: action};
      if (action === "reject") { body.reason = reason ? reason.value : "other"; }
      post("/moderate/decide", body).then(function (data) {
        var result = data.results[0];
        if (result.error) { toast(result.message); return; }
        el.remove();
        toast((action === "approve" ? "Approved" : "Rejected (" + body.reason + ")") + ": " + result.status);
        show(current);
      }).catch(function (e) { toast("Not saved: " + e.message); });
    }

    // One click: the buttons on each comment.
    document.querySelectorAll("li.comment button.act").forEach(function (button) {
      button.addEventListener("click", function () {
        var el = button.closest("li.comment");
        current = items().indexOf(el);
        decide(button.dataset.action, el);
      });
    });

    document.addEventListener("keydown", function (ev) {
      var tag = (ev.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "select" || tag === "textarea" || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      var help = document.getElementById("help");
      if (ev.key === "?") { help.hidden = !help.hidden; ev.preventDefault(); return; }
      if (ev.key === "Escape") { help.hidden = true; return; }
      if (ev.key === "j") { show(current + 1); }
      else if (ev.key === "k") { show(current - 1); }
      else if (ev.key === "a") { decide("approve"); }
      else if (ev.key === "r") { decide("reject"); }
      else if (ev.key === "x") {
        var box = items()[current] && items()[current].querySelector('input[type="checkbox"]');
        if (box) { box.checked = !box.checked; }
      } else { return; }
      ev.preventDefault();
    });
    show(0);
  }

  document.addEventListener("DOMContentLoaded", ready);
})();
