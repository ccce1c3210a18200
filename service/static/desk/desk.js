// The desk's keyboard, claims, undo and sign-in dialog. No inline scripts: the page's CSP allows only this file.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  var waiting = [];  // actions held while the moderator signs in again: [resolve, reject, url, body]

  // POST JSON; a failure rejects with the server's own message. An ended session opens the sign-in dialog and
  // sends the same request again once the moderator is back.
  function post(url, body) { return send(url, body); }

  // A GET (the author panel, article suggestions), with the same handling of ended sessions: HTML or JSON.
  function get(url) { return send(url, undefined); }

  function send(url, body) {
    var options = {method: body === undefined ? "GET" : "POST", credentials: "same-origin",
                   headers: {"Accept": body === undefined ? "application/json;q=1, text/html;q=0.9" : "application/json",
                             "X-CSRF-Token": csrf}};
    if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    return fetch(url, options).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      var json = type.indexOf("application/json") === 0;
      return (json ? r.json() : r.text()).then(function (data) {
        if (r.status === 401 && json && data.error === "session_expired") {
          return new Promise(function (resolve, reject) {
            waiting.push([resolve, reject, url, body]);
            askToSignIn(data.message);
          });
        }
        if (!r.ok || (body !== undefined && !json)) {
          throw new Error((json && data.message) || "The server answered " + r.status + "; nothing was saved.");
        }
        return data;
      });
    }, function () { throw new Error("The desk cannot reach the server; nothing was saved. Check the connection."); });
  }

  function askToSignIn(message) {
    var dialog = document.getElementById("signin");
    if (!dialog) { window.location.reload(); return; }
    document.getElementById("signin-why").textContent = message;
    document.getElementById("signin-error").textContent = "";
    if (!dialog.open) { dialog.showModal(); }
    document.getElementById("signin-token").focus();
  }

  function setUpSignIn() {
    var dialog = document.getElementById("signin");
    if (!dialog) { return; }
    dialog.querySelector("form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var field = document.getElementById("signin-token");
      fetch("/moderate/session", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json"},
        body: JSON.stringify({token: field.value})
      }).then(function (r) { return r.json().then(function (json) { return [r, json]; }); }).then(function (got) {
        if (!got[0].ok) { document.getElementById("signin-error").textContent = got[1].message; return; }
        csrf = got[1].csrf;
        document.querySelectorAll('input[name="csrf"]').forEach(function (i) { i.value = csrf; });
        field.value = "";
        dialog.close();
        var held = waiting;
        waiting = [];
        held.forEach(function (w) { send(w[2], w[3]).then(w[0], w[1]); });
      }).catch(function () { document.getElementById("signin-error").textContent = "The server cannot be reached."; });
    });
    dialog.addEventListener("cancel", function () {
      var held = waiting;
      waiting = [];
      held.forEach(function (w) { w[1](new Error("Not saved: you did not sign in again.")); });
    });
  }

  var toastTimer = null;
  // A status line: green for what worked, red (and announced at once) for what did not.
  function toast(text, kind, action) {
    var t = document.getElementById("toast");
    if (!t) { return; }
    t.textContent = text;
    t.className = kind === "error" ? "notice error-notice" : "notice";
    t.setAttribute("role", kind === "error" ? "alert" : "status");
    if (action) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "undo";
      b.textContent = action.label;
      b.addEventListener("click", action.run);
      t.appendChild(document.createTextNode(" "));
      t.appendChild(b);
    }
    t.hidden = false;
    if (toastTimer) { window.clearTimeout(toastTimer); }
    toastTimer = action ? window.setTimeout(function () {
      var b = t.querySelector("button.undo");
      if (b) { b.remove(); }
    }, action.seconds * 1000) : null;
  }

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) { return true; }
    if (tag !== "input") { return false; }
    return ["checkbox", "radio", "button", "submit"].indexOf((target.type || "").toLowerCase()) === -1;
  }

  function ready() {
    setUpSignIn();
    if (document.body.dataset.page !== "queue") { return; }

    // The page claims what it shows, so two moderators do not work on the same comment.
    var claimForm = document.getElementById("claim-form");
    if (claimForm && claimForm.dataset.autoclaim === "1") {
      var ids = Array.prototype.map.call(claimForm.querySelectorAll('input[name="ids"]'), function (i) { return i.value; });
      post(claimForm.action, {ids: ids}).then(function () { window.location.reload(); })
        .catch(function (e) { toast("Could not claim these comments: " + e.message, "error"); });
      return;
    }

    var reason = document.getElementById("bulk-reason");
    var saved = window.localStorage.getItem("desk.reason");
    if (reason && saved) { reason.value = saved; }
    if (reason) { reason.addEventListener("change", function () { window.localStorage.setItem("desk.reason", reason.value); }); }

    var current = 0;
    var last = null;  // the latest decision, while it can be undone: {id, el, next, until}
    var list = document.querySelector("ol.queue");
    function items() { return Array.prototype.slice.call(document.querySelectorAll("li.comment:not(.held)")); }
    function show(i) {
      var all = items();
      if (!all.length) { return; }
      current = Math.max(0, Math.min(i, all.length - 1));
      all.forEach(function (el, n) { el.classList.toggle("current", n === current); });
      all[current].focus();
      all[current].scrollIntoView({block: "nearest"});
    }
    function undo() {
      if (!last || Date.now() > last.until) { toast("Nothing to undo: a decision can be undone for 10 seconds.", "error"); return; }
      var was = last;
      last = null;
      post("/moderate/reverse", {id: was.id}).then(function () {
        list.insertBefore(was.el, was.next && was.next.parentNode === list ? was.next : null);
        current = items().indexOf(was.el);
        toast("Undone: the comment is back on your desk.");
        show(current);
      }).catch(function (e) { toast("Not undone: " + e.message, "error"); });
    }
    var note = document.getElementById("note");
    // One comment: rejected with the reason given, or the one its most severe flag suggests; the note, if any.
    function decide(action, el, why) {
      el = el || items()[current];
      if (!el) { return; }
      var body = {ids: [el.dataset.id], action: action};
      if (action === "reject") { body.reason = why || el.dataset.reason || "other"; }
      if (note && note.value.trim()) { body.note = note.value.trim(); }
      if (document.body.dataset.view === "reported") { settleReport(action, el, body); return; }
      if (decidedView) { toast("These are decided: f features a published one, or use Reverse.", "error"); return; }
      post("/moderate/decide", body).then(function (data) {
        var result = data.results[0];
        if (result.error) { toast("Not saved: " + result.message, "error"); return; }
        if (note && body.note) { note.value = ""; }
        last = {id: el.dataset.id, el: el, next: el.nextElementSibling, until: Date.now() + data.undo_seconds * 1000};
        el.remove();
        toast((action === "approve" ? "Approved" : "Rejected (" + body.reason + ")") + ": " + result.status + ".",
              "ok", {label: "Undo (u)", run: undo, seconds: data.undo_seconds});
        show(current);
      }).catch(function (e) { toast("Not saved: " + e.message, "error"); });
    }

    // While the page is open and visible it renews its claims and marks what changed elsewhere.
    function lose(el, text) {
      if (el.classList.contains("gone")) { return; }
      var wasCurrent = el.classList.contains("current");
      el.classList.add("held", "gone");
      el.classList.remove("current");
      el.querySelectorAll("button, input").forEach(function (b) { b.disabled = true; });
      var label = document.createElement("span");
      label.className = "lost";
      label.setAttribute("role", "status");
      label.textContent = text;
      el.querySelector(".meta").appendChild(label);
      if (wasCurrent) { show(current); }
    }
    function poll() {
      if (document.visibilityState !== "visible" || document.querySelector("dialog[open]")) { return; }
      var shown = items().map(function (el) { return el.dataset.id; });
      var filters = JSON.parse(list.dataset.filters || "{}");
      post("/moderate/poll", {ids: shown, filters: filters}).then(function (data) {
        Object.keys(data.comments).forEach(function (id) {
          var state = data.comments[id];
          var el = list.querySelector('li.comment[data-id="' + CSS.escape(id) + '"]');
          if (!el) { return; }
          if (state.status !== "pending_review") { lose(el, "Decided elsewhere: " + state.status.replace("_", " ")); }
          else if (state.holder && !state.mine) { lose(el, "Taken by " + state.holder); }
        });
        var fresh = document.getElementById("fresh");
        fresh.hidden = !data["new"];
        fresh.querySelector("span").textContent = data["new"] + (data["new"] === 1 ? " new comment waits" : " new comments wait") + " beyond this page.";
      }).catch(function (e) { toast("Could not refresh the queue: " + e.message, "error"); });
    }
    var pollSeconds = Number(document.body.dataset.pollSeconds || 15);
    if (pollSeconds > 0) { window.setInterval(poll, pollSeconds * 1000); }

    // The author and context panel: the thread, the author's details, history and bans; a ban from there.
    var panel = document.getElementById("panel");
    function openPanel(el, focusBan) {
      var link = el && el.querySelector("a.context");
      if (!link || !panel) { return; }
      get(link.dataset.panel).then(function (html) {
        panel.innerHTML = html;  // rendered by the server's escaping templates, like the page itself
        panel.hidden = false;
        document.body.classList.add("with-panel");
        wirePanel(el);
        var target = focusBan ? panel.querySelector(".ban-form button") : panel.querySelector("h2");
        if (target) { target.setAttribute("tabindex", target.tagName === "H2" ? "-1" : "0"); target.focus(); }
      }).catch(function (e) { toast("Could not open the panel: " + e.message, "error"); });
    }
    function closePanel() {
      if (!panel || panel.hidden) { return false; }
      panel.hidden = true;
      document.body.classList.remove("with-panel");
      show(current);
      return true;
    }
    function wirePanel(el) {
      var form = panel.querySelector(".ban-form");
      if (!form) { return; }
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var body = {id: form.elements.id.value, days: Number(form.elements.days.value), reason: form.elements.reason.value};
        post("/moderate/ban-author", body).then(function (data) {
          data.rejected.forEach(function (id) {
            var card = list.querySelector('li.comment[data-id="' + CSS.escape(id) + '"]');
            if (card) { card.remove(); }
          });
          var left = data.held_by_others.length ? " " + data.held_by_others.length + " held by other moderators are left to them." : "";
          toast("Banned " + (data.ban.until_ms ? "until " + data.ban.until : "for good") + "; " + data.rejected.length +
                " pending comment" + (data.rejected.length === 1 ? "" : "s") + " rejected." + left, left ? "error" : "ok");
          closePanel();
        }).catch(function (e) { toast("Not banned: " + e.message, "error"); });
      });
    }
    document.querySelectorAll("li.comment a.context").forEach(function (link) {
      link.addEventListener("click", function (ev) {
        if (!panel) { return; }
        ev.preventDefault();
        var el = link.closest("li.comment");
        current = Math.max(0, items().indexOf(el));
        show(current);
        openPanel(el, false);
      });
    });
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") { poll(); } });

    // Bulk decisions go through the same path as keys: an ended session asks to sign in and loses nothing.
    var bulk = document.getElementById("bulk");
    if (bulk) {
      bulk.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var action = ev.submitter && ev.submitter.value === "reject" ? "reject" : "approve";
        var boxes = Array.prototype.slice.call(bulk.querySelectorAll('li.comment input[type="checkbox"]:checked'));
        if (!boxes.length) { toast("Select comments first: x, or their boxes.", "error"); return; }
        var body = {ids: boxes.map(function (b) { return b.value; }), action: action};
        if (action === "reject") { body.reason = reason ? reason.value : "other"; }
        post("/moderate/decide", body).then(function (data) {
          var failed = data.results.filter(function (r) { return r.error; });
          data.results.forEach(function (r) {
            var el = !r.error && list.querySelector('li.comment[data-id="' + CSS.escape(r.id) + '"]');
            if (el) { el.remove(); }
          });
          var done = data.results.length - failed.length;
          toast(done + " decided." + (failed.length ? " " + failed.length + " not saved: " + failed[0].message : ""),
                failed.length ? "error" : "ok");
          show(current);
        }).catch(function (e) { toast("Not saved: " + e.message, "error"); });
      });
    }

    // The approved and rejected views: feature a published comment (f), or reverse a decision.
    var decidedView = ["approved", "rejected"].indexOf(document.body.dataset.view) !== -1;
    function feature(el) {
      var button = el && el.querySelector("button.feature");
      if (!button) { toast("Only a published comment can be featured.", "error"); return; }
      var on = button.getAttribute("aria-pressed") !== "true";
      post("/moderate/feature", {id: el.dataset.id, featured: on}).then(function (data) {
        button.setAttribute("aria-pressed", data.featured ? "true" : "false");
        button.textContent = data.featured ? "Featured" : "Feature";
        toast(data.featured ? "Featured: readers' pages can show it first." : "No longer featured.");
      }).catch(function (e) { toast("Not saved: " + e.message, "error"); });
    }
    function reverse(el) {
      post("/moderate/reverse", {id: el.dataset.id}).then(function () {
        el.remove();
        toast("Reversed: the comment is pending again, on your desk.");
        show(current);
      }).catch(function (e) { toast("Not reversed: " + e.message, "error"); });
    }
    document.querySelectorAll("li.comment button.feature").forEach(function (b) {
      b.addEventListener("click", function () { feature(b.closest("li.comment")); });
    });
    document.querySelectorAll("li.comment button.reverse").forEach(function (b) {
      b.addEventListener("click", function () { reverse(b.closest("li.comment")); });
    });

    // The article filter suggests the ids that start with what is typed.
    var articleField = document.getElementById("article-filter");
    var articleTimer = null;
    if (articleField) {
      articleField.addEventListener("input", function () {
        window.clearTimeout(articleTimer);
        articleTimer = window.setTimeout(function () {
          var site = (document.querySelector('select[name="site"]') || {}).value || "";
          get("/moderate/articles?prefix=" + encodeURIComponent(articleField.value) + "&site=" + encodeURIComponent(site))
            .then(function (data) {
              var list = document.getElementById("article-ids");
              list.textContent = "";
              data.articles.forEach(function (a) { var o = document.createElement("option"); o.value = a; list.appendChild(o); });
            }).catch(function () { /* suggestions are a convenience; typing the id still works */ });
        }, 150);
      });
    }

    // A reported comment: kept (its reports dismissed) or unpublished (the site is told).
    function settleReport(action, el, decision) {
      var body = {id: el.dataset.id, action: action === "approve" ? "dismiss" : "unpublish", note: decision.note};
      if (action === "reject") { body.reason = decision.reason; }
      post("/moderate/reported", body).then(function () {
        el.remove();
        if (note && decision.note) { note.value = ""; }
        toast(action === "approve" ? "Kept published; its reports are dismissed." : "Unpublished (" + body.reason + ").");
        show(current);
      }).catch(function (e) { toast("Not saved: " + e.message, "error"); });
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
      if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      if (document.querySelector("dialog[open]")) { return; }
      var help = document.getElementById("help");
      if (ev.key === "?") { help.hidden = !help.hidden; ev.preventDefault(); return; }
      if (ev.key === "Escape") { help.hidden = true; closePanel(); return; }
      if (ev.key === "j") { show(current + 1); }
      else if (ev.key === "k") { show(current - 1); }
      else if (ev.key === "a") { decide("approve"); }
      else if (ev.key === "r") { decide("reject"); }
      else if (/^[1-7]$/.test(ev.key) && reason && reason.options[Number(ev.key) - 1]) {
        decide("reject", null, reason.options[Number(ev.key) - 1].value);
      }
      else if (ev.key === "t" && note) { note.focus(); }
      else if (ev.key === "f" && decidedView) { feature(items()[current]); }
      else if (ev.key === "z") { document.body.classList.toggle("single-mode"); show(current); }
      else if (ev.key === "u") { undo(); }
      else if (ev.key === "o") { if (!closePanel()) { openPanel(items()[current], false); } }
      else if (ev.key === "b") { openPanel(items()[current], true); }
      else if (ev.key === "n" && document.getElementById("next-batch")) { window.location.assign(document.getElementById("next-batch").href); }
      else if (ev.key === "x") {
        var box = items()[current] && items()[current].querySelector('input[type="checkbox"]');
        if (box) { box.checked = !box.checked; }
      } else { return; }
      ev.preventDefault();
    });
    // The note field: Enter or Escape hands the keys back to the queue, the note kept for the next decision.
    if (note) {
      note.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === "Escape") { ev.preventDefault(); show(current); }
      });
    }
    // A click on a checkbox moves the keyboard's place to that comment, and keys go on working.
    document.querySelectorAll('li.comment input[type="checkbox"]').forEach(function (box) {
      box.addEventListener("change", function () { current = Math.max(0, items().indexOf(box.closest("li.comment"))); show(current); });
    });
    show(0);
  }

  document.addEventListener("DOMContentLoaded", ready);
})();
