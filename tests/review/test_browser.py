"""The desk in a real browser: headless Chromium (Debian's package) driven by Selenium.

The set-up installs Debian's chromium and chromium-driver when they are missing and it may
(root with apt-get); where it cannot, these tests say why and are skipped, and nothing else is.
Screenshots of the queue page land in tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import ADMIN, ROOT, make_app, payload, submit
from tests.conftest import wait_for as _wait_for
from tests.redis_server import RedisServer, free_port


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    """conftest's, where reading a page the browser is replacing means: not yet. Chrome says so as a stale element,
    or, when the node goes between finding it and reading it, as an inspector error naming the document."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def settled() -> Any:
        try:
            return predicate()
        except StaleElementReferenceException:
            return None
        except WebDriverException as err:
            if "does not belong to the document" not in str(err):
                raise
            return None
    return _wait_for(settled, timeout)


CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "tests" / "artifacts"
XSS = "<img src=x onerror=alert(1)>"


def _install_chromium() -> str | None:
    """Install Debian's chromium and chromium-driver; None on success, else why not."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "not root with apt-get, so Debian's chromium cannot be installed"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium", "chromium-driver"]
    for attempt in (cmd, ["apt-get", "update", "-q"], cmd):
        try:
            done = subprocess.run(attempt, env=env, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            return f"{' '.join(attempt)} timed out"
        if attempt is cmd and done.returncode == 0:
            return None
    return f"apt-get could not install chromium: {done.stderr.strip()[-300:]}"


@pytest.fixture(scope="session")
def chromium() -> str:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        why = _install_chromium()
        if why or not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
            pytest.skip(f"browser tests skipped: {why or 'chromium is still missing after installing it'}")
    return CHROMIUM


@pytest.fixture()
def live(redis_server: RedisServer, redis: Any) -> Iterator[tuple[str, Any]]:
    """The app on a real port, as a browser needs it."""
    yield from _serve(make_app(redis_server.url))


@pytest.fixture()
def live_fast(redis_server: RedisServer, redis: Any) -> Iterator[tuple[str, Any]]:
    """The app with a page that polls every second and leases of three seconds: a shift in fast motion."""
    yield from _serve(make_app(redis_server.url, DESK_POLL_SECONDS=1, LEASE_SECONDS=3))


def _serve(app: Any) -> Iterator[tuple[str, Any]]:
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", app
    server.shutdown()


def _chrome(chromium: str, profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1400",
                 "--lang=en-US"):
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch a driver
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.implicitly_wait(0)
    return driver


@pytest.fixture()
def browser(chromium: str, tmp_path: Path) -> Iterator[Any]:
    driver = _chrome(chromium, tmp_path / "profile")
    yield driver
    driver.quit()


@pytest.fixture()
def second_browser(chromium: str, tmp_path: Path) -> Iterator[Any]:
    """Another moderator's browser, with its own profile and cookies."""
    driver = _chrome(chromium, tmp_path / "profile-2")
    yield driver
    driver.quit()


def sign_in(driver: Any, base: str, token: str = ADMIN) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/moderate")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "sign-in").click()
    wait_for(lambda: ">yours<" in driver.page_source or "Nothing waiting" in driver.page_source, timeout=15)


def status(client: Any, cid: str) -> str:
    return client.get(f"/v1/sites/demo/comments/{cid}").json["status"]


def test_a_moderator_signs_in_and_decides_with_the_keyboard(live: tuple[str, Any], browser: Any, work: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, app = live
    client = app.test_client()
    rude = submit(client, payload("You are an IDIOT, visit www.spam-pills.com now",
                                  author={"name": "Mark", "email": "mark@example.com"})).json["id"]
    arabic = submit(client, payload("مقال رائع، لكن الكاتب حقير ولا يفهم شيئاً. Good points though.",
                                    author={"name": "سارة", "email": "sara@example.com"})).json["id"]
    xss = submit(client, payload(f"{XSS} hello", author={"name": "<b>Eve</b>", "email": "eve@example.com"})).json["id"]
    work()
    sign_in(browser, base)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "queue.png"))

    # Arabic is laid out right to left, English left to right, each comment by its own text.
    bodies = {el.get_attribute("dir"): el for el in browser.find_elements(By.CSS_SELECTOR, "li.comment p.body")}
    assert set(bodies) == {"auto"}
    directions = [browser.execute_script("return getComputedStyle(arguments[0]).direction", el)
                  for el in browser.find_elements(By.CSS_SELECTOR, ".meta .author bdi")]
    assert "rtl" in directions and "ltr" in directions
    marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "li.comment mark")]
    assert {"IDIOT", "www.spam-pills.com", "حقير"} <= set(marks)

    # The XSS body is text: no image element, no alert, the literal markup visible.
    xss_item = browser.find_element(By.CSS_SELECTOR, f'li.comment[data-id="{xss}"]')
    assert XSS in xss_item.find_element(By.CSS_SELECTOR, "p.body").text
    assert xss_item.find_elements(By.TAG_NAME, "img") == [] and "<b>Eve</b>" in xss_item.text
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018

    # Keyboard: the first comment, the riskiest by the API's own scores, is current; 'a' approves it.
    first = browser.find_elements(By.CSS_SELECTOR, "li.comment")[0].get_attribute("data-id")
    risks = {cid: client.get(f"/v1/moderation/comments/{cid}", headers={"Authorization": f"Bearer {ADMIN}"}).json[
        "risk"] for cid in (rude, arabic, xss)}
    assert risks[first] == max(risks.values()) and risks[xss] < risks[first]
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("a")
    wait_for(lambda: status(client, first) == "published")
    wait_for(lambda: not browser.find_elements(By.CSS_SELECTOR, f'li.comment[data-id="{first}"]'))  # page caught up
    # 'j' moves on; 't' writes a note; '2' rejects as abuse (the second reason) with it.
    remaining = [el.get_attribute("data-id") for el in browser.find_elements(By.CSS_SELECTOR, "li.comment")]
    target = remaining[1]
    body.send_keys("j")
    body.send_keys("t")
    note = browser.switch_to.active_element
    assert note.get_attribute("id") == "note"
    note.send_keys("insults the reporter", Keys.ENTER)
    body.send_keys("2")
    wait_for(lambda: status(client, target) == "rejected")
    detail = client.get(f"/v1/moderation/comments/{target}", headers={"Authorization": f"Bearer {ADMIN}"}).json
    assert detail["decision"]["reason"] == "abuse" and detail["decision"]["note"] == "insults the reporter"
    assert browser.find_element(By.ID, "note").get_attribute("value") == ""
    toast = browser.find_element(By.ID, "toast")
    wait_for(lambda: "Rejected (abuse)" in toast.text)
    # '?' shows the help.
    body.send_keys("?")
    assert browser.find_element(By.ID, "help").is_displayed()
    body.send_keys("?")
    # One click on a comment's own button.
    left = browser.find_elements(By.CSS_SELECTOR, "li.comment")
    assert len(left) == 1
    last = left[0].get_attribute("data-id")
    left[0].find_element(By.CSS_SELECTOR, 'button[data-action="approve"]').click()
    wait_for(lambda: status(client, last) == "published")
    assert {first, target, last} == {rude, arabic, xss}


def test_screenshots_of_english_and_arabic_comments(live: tuple[str, Any], browser: Any, work: Any) -> None:
    base, app = live
    client = app.test_client()
    submit(client, payload("يا كلب، هذا المقال كذب ولا أساس له من الصحة. اتصل بي على 0501234567",
                           author={"name": "خالد", "email": "k@example.com"}))
    submit(client, payload("THIS IS OUTRAGEOUS!!!!!! The mayor is a f*cking liar, see http://truth.example",
                           author={"name": "Tom", "email": "t@example.com"}))
    submit(client, payload("Thoughtful piece. شكراً على التقرير المفصل.", author={"name": "Amira",
                                                                              "email": "a@example.com"}))
    work()
    sign_in(browser, base)
    from selenium.webdriver.common.by import By

    # What the moderator sees: each body in its own direction, the evidence marked, the names unmixed.
    cards = {el.find_element(By.CSS_SELECTOR, ".author bdi").text: el
             for el in browser.find_elements(By.CSS_SELECTOR, "li.comment")}
    assert set(cards) == {"خالد", "Tom", "Amira"}
    direction = {name: el.find_element(By.CSS_SELECTOR, "p.body").value_of_css_property("direction")
                 for name, el in cards.items()}
    assert direction == {"خالد": "rtl", "Tom": "ltr", "Amira": "ltr"}
    marked = {name: [m.text for m in el.find_elements(By.CSS_SELECTOR, "mark")] for name, el in cards.items()}
    assert "كلب" in marked["خالد"] and "0501234567" in marked["خالد"]
    assert "f*cking" in marked["Tom"] and marked["Amira"] == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "queue-en-ar.png"))  # for a person to look at; asserted above


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in css[css.index("(") + 1:css.index(")")].split(",")[:3])


def contrast(fg: str, bg: str) -> float:
    """WCAG's contrast ratio of two computed CSS colours."""
    def lum(rgb: tuple[float, ...]) -> float:
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((lum(_rgb(fg)), lum(_rgb(bg))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_undo_with_u_and_keys_that_keep_working_after_a_checkbox(live: tuple[str, Any], browser: Any,
                                                                  work: Any) -> None:
    from selenium.webdriver.common.by import By

    base, app = live
    client = app.test_client()
    ids = [submit(client, payload(f"Comment number {i} on the budget.",
                                  author={"name": f"R{i}", "email": f"r{i}@example.com"})).json["id"] for i in range(3)]
    work()
    sign_in(browser, base)
    cards = browser.find_elements(By.CSS_SELECTOR, "li.comment")
    second = cards[1].get_attribute("data-id")
    cards[1].find_element(By.CSS_SELECTOR, 'input[type="checkbox"]').click()  # the keyboard's place moves there
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("a")
    wait_for(lambda: status(client, second) == "published")
    toast = browser.find_element(By.ID, "toast")
    wait_for(lambda: "Undo" in toast.text)
    browser.save_screenshot(str(ARTIFACTS / "undo-offered.png"))
    body.send_keys("u")
    wait_for(lambda: status(client, second) == "pending_review")
    wait_for(lambda: "Undone" in toast.text)
    assert [c.get_attribute("data-id") for c in browser.find_elements(By.CSS_SELECTOR, "li.comment")][1] == second
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 0}
    # Decided again ('r': the reason its worst flag suggests, here none: other), and the undo button works too.
    body.send_keys("r")
    wait_for(lambda: status(client, second) == "rejected")
    assert client.get(f"/v1/moderation/comments/{second}", headers={"Authorization": f"Bearer {ADMIN}"}
                      ).json["decision"]["reason"] == "other"
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#toast button.undo"))
    browser.find_element(By.CSS_SELECTOR, "#toast button.undo").click()
    wait_for(lambda: status(client, second) == "pending_review")
    assert set(ids) == {c.get_attribute("data-id") for c in browser.find_elements(By.CSS_SELECTOR, "li.comment")}


def test_an_ended_session_asks_to_sign_in_and_then_saves_the_decision(live: tuple[str, Any], browser: Any,
                                                                       work: Any) -> None:
    from selenium.webdriver.common.by import By

    from moderation.store.keys import session_key

    base, app = live
    client = app.test_client()
    cid = submit(client, payload("A fair point about the council budget.")).json["id"]
    work()
    sign_in(browser, base)
    app.extensions["moderation.redis"].delete(session_key(browser.get_cookie("desk_session")["value"]))
    browser.find_element(By.TAG_NAME, "body").send_keys("a")
    dialog = browser.find_element(By.ID, "signin")
    wait_for(lambda: dialog.is_displayed())
    assert "sign in" in browser.find_element(By.ID, "signin-why").text
    assert status(client, cid) == "pending_review"
    browser.save_screenshot(str(ARTIFACTS / "sign-in-again.png"))
    browser.find_element(By.ID, "signin-token").send_keys("wrong")
    dialog.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    wait_for(lambda: "not valid" in browser.find_element(By.ID, "signin-error").text)
    field = browser.find_element(By.ID, "signin-token")
    field.clear()
    field.send_keys(ADMIN)
    dialog.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    wait_for(lambda: status(client, cid) == "published")  # the pending action was sent again, not dropped
    toast = browser.find_element(By.ID, "toast")
    wait_for(lambda: "Approved" in toast.text)
    assert not dialog.is_displayed() and "error-notice" not in (toast.get_attribute("class") or "")


def test_a_failed_decision_is_red_and_says_what_happened(live: tuple[str, Any], browser: Any, work: Any) -> None:
    from selenium.webdriver.common.by import By

    base, app = live
    client = app.test_client()
    cid = submit(client, payload("Another comment on the budget.")).json["id"]
    work()
    sign_in(browser, base)
    client.post(f"/v1/moderation/comments/{cid}/decision", headers={"Authorization": f"Bearer {ADMIN}"},
                json={"action": "reject", "reason": "spam"})  # decided elsewhere meanwhile
    browser.find_element(By.TAG_NAME, "body").send_keys("a")
    toast = browser.find_element(By.ID, "toast")
    wait_for(lambda: "Not saved" in toast.text)
    assert "rejected, not pending review" in toast.text and toast.get_attribute("role") == "alert"
    browser.save_screenshot(str(ARTIFACTS / "failure-in-red.png"))
    assert contrast(toast.value_of_css_property("color"), toast.value_of_css_property("background-color")) >= 4.5
    assert "error-notice" in toast.get_attribute("class")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_readable_on_a_phone_in_light_and_dark(live: tuple[str, Any], browser: Any, work: Any, scheme: str) -> None:
    from selenium.webdriver.common.by import By

    base, app = live
    client = app.test_client()
    submit(client, payload("You are an idiot and a liar, see www.spam-pills.com",
                           author={"name": "Admin\u202egnp.exe", "email": "x@example.com"}))
    submit(client, payload("مقال ممتاز وتحليل دقيق، شكراً للكاتب على هذا الجهد الكبير في التقرير",
                           author={"name": "سارة", "email": "s@example.com"}))
    submit(client, payload("Plain words, nothing to flag here at all.",
                           author={"name": "Bo", "email": "b@example.com"}))
    work()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    browser.set_window_size(390, 844)
    sign_in(browser, base)
    browser.save_screenshot(str(ARTIFACTS / f"phone-{scheme}.png"))
    page_bg = browser.find_element(By.TAG_NAME, "body").value_of_css_property("background-color")
    assert (sum(_rgb(page_bg)) < 200) == (scheme == "dark")
    # Contrast of text on its own background: risk badges, muted meta text, body text.
    for selector in (".risk", ".meta .history", "p.body", ".flags li"):
        for el in browser.find_elements(By.CSS_SELECTOR, selector):
            bg = el.value_of_css_property("background-color")
            if bg.endswith(", 0)"):  # transparent: the card's colour shows through
                bg = el.find_element(By.XPATH, "ancestor::li[contains(@class,'comment')]").value_of_css_property(
                    "background-color")
            assert contrast(el.value_of_css_property("color"), bg) >= 4.5, (selector, el.text)
    # Tap targets of 44 px, nothing wider than the screen, actions inside their card.
    for button in browser.find_elements(By.CSS_SELECTOR, "li.comment button, .bulk-bar button, .filters button"):
        size = button.size
        assert size["height"] >= 44 and size["width"] >= 44, button.text
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    for card in browser.find_elements(By.CSS_SELECTOR, "li.comment"):
        box = browser.execute_script("return arguments[0].getBoundingClientRect().bottom", card)
        for button in card.find_elements(By.CSS_SELECTOR, "button.act"):
            assert browser.execute_script("return arguments[0].getBoundingClientRect().bottom", button) <= box
    # The name that tries to reverse itself stays in its own box, in the order it was typed.
    names = [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".meta .author bdi")]
    assert "Admingnp.exe" in names and "سارة" in names
    langs = {el.get_attribute("lang") for el in browser.find_elements(By.CSS_SELECTOR, "p.body")}
    assert {"ar", "en"} <= langs


def test_the_open_page_keeps_its_claims_and_shows_what_changed_elsewhere(live_fast: tuple[str, Any], browser: Any,
                                                                         work: Any) -> None:
    from selenium.webdriver.common.by import By

    base, app = live_fast
    client = app.test_client()
    ids = [submit(client, payload(f"Budget comment {i}.", author={"name": f"S{i}", "email": f"s{i}@example.com"})
                  ).json["id"] for i in range(3)]
    work()
    sign_in(browser, base)
    assert browser.execute_script("return document.visibilityState") == "visible"
    time.sleep(4.5)  # longer than the 3 s lease: the page renewed it
    holders = {cid: client.get(f"/v1/moderation/comments/{cid}", headers={"Authorization": f"Bearer {ADMIN}"}
                               ).json["claim"] for cid in ids}
    assert all(h and h["moderator"] == "admin" for h in holders.values()), holders
    # Decided by someone else, and a new comment arrives: both show without a reload.
    client.post(f"/v1/moderation/comments/{ids[0]}/decision", headers={"Authorization": f"Bearer {ADMIN}"},
                json={"action": "reject", "reason": "spam"})
    late = submit(client, payload("A late comment with www.spam-pills.com in it",
                                  author={"name": "Late", "email": "late@example.com"})).json["id"]
    work()
    card = browser.find_element(By.CSS_SELECTOR, f'li.comment[data-id="{ids[0]}"]')
    wait_for(lambda: "Decided elsewhere: rejected" in card.text)
    assert card.find_element(By.CSS_SELECTOR, "button.act").get_attribute("disabled") is not None
    fresh = browser.find_element(By.ID, "fresh")
    wait_for(lambda: fresh.is_displayed() and "1 new comment waits" in fresh.text)
    browser.save_screenshot(str(ARTIFACTS / "live-changes.png"))
    # 'n' takes the next batch: the new comment, claimed for this moderator.
    browser.find_element(By.TAG_NAME, "body").send_keys("n")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, f'li.comment[data-id="{late}"]'))
    wait_for(lambda: (client.get(f"/v1/moderation/comments/{late}", headers={"Authorization": f"Bearer {ADMIN}"}
                                 ).json["claim"] or {}).get("moderator") == "admin")


def test_o_opens_the_author_panel_and_b_bans_and_rejects_their_pending(live: tuple[str, Any], browser: Any,
                                                                      work: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, app = live
    client = app.test_client()
    troll = {"name": "خالد", "email": "khalid@example.com"}
    ids = [submit(client, payload(text, author=troll)).json["id"]
           for text in ("يا كلب، أنت حقير", "You idiot, you moron", "اسكت يا حمار")]
    calm = submit(client, payload("A calm and fair comment.",
                                  author={"name": "C", "email": "c@example.com"})).json["id"]
    work()
    sign_in(browser, base)
    body = browser.find_element(By.TAG_NAME, "body")
    first = browser.find_elements(By.CSS_SELECTOR, "li.comment")[0].get_attribute("data-id")
    assert first in ids
    body.send_keys("o")
    panel = browser.find_element(By.ID, "panel")
    wait_for(lambda: panel.is_displayed() and "khalid@example.com" in panel.text)
    assert "203.0.113.7" in panel.text and "Not banned" in panel.text
    browser.save_screenshot(str(ARTIFACTS / "author-panel.png"))
    body.send_keys(Keys.ESCAPE)
    wait_for(lambda: not panel.is_displayed())
    body.send_keys("b")
    wait_for(lambda: panel.is_displayed() and browser.switch_to.active_element.text.startswith("Ban and reject"))
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(lambda: all(status(client, cid) == "rejected" for cid in ids))
    toast = browser.find_element(By.ID, "toast")
    wait_for(lambda: "Banned until" in toast.text and "3 pending comments rejected" in toast.text)
    assert [c.get_attribute("data-id") for c in browser.find_elements(By.CSS_SELECTOR, "li.comment")] == [calm]
    assert status(client, calm) == "pending_review"


def test_r_takes_the_reason_of_the_worst_flag_z_shows_one_at_a_time_and_help_lists_every_key(
        live: tuple[str, Any], browser: Any, work: Any) -> None:
    from selenium.webdriver.common.by import By

    base, app = live
    client = app.test_client()
    spam = submit(client, payload("Cheap pills at www.spam-pills.com and www.spam-pills.net, buy now",
                                  author={"name": "S", "email": "s@example.com"})).json["id"]
    calm = submit(client, payload("A calm and fair comment.",
                                  author={"name": "C", "email": "c@example.com"})).json["id"]
    work()
    sign_in(browser, base)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("z")
    shown = [c for c in browser.find_elements(By.CSS_SELECTOR, "li.comment") if c.is_displayed()]
    assert len(shown) == 1 and shown[0].get_attribute("data-id") == spam
    browser.save_screenshot(str(ARTIFACTS / "one-at-a-time.png"))
    body.send_keys("r")
    wait_for(lambda: status(client, spam) == "rejected")
    assert client.get(f"/v1/moderation/comments/{spam}", headers={"Authorization": f"Bearer {ADMIN}"}
                      ).json["decision"]["reason"] == "spam"
    wait_for(lambda: [c.get_attribute("data-id") for c in browser.find_elements(By.CSS_SELECTOR, "li.comment")
                      if c.is_displayed()] == [calm])
    body.send_keys("z")
    body.send_keys("?")
    help_text = browser.find_element(By.ID, "help").text
    for key in ("j / k", "a", "r", "1 – 7", "t", "u", "x", "n", "o", "b", "z", "Esc"):
        assert f"\n{key}\n" in f"\n{help_text}\n", key


class Moderator:
    """One moderator clearing the queue with the keyboard alone: approve what is clean, reject by the suggested
    reason what is flagged, take the next batch when the page is done. Counts every key pressed."""

    def __init__(self, driver: Any, base: str, token: str) -> None:
        self.driver, self.base, self.token = driver, base, token
        self.keys = 0
        self.decided: list[str] = []
        self.timings: list[float] = []  # the server's ms per decision, gathered before each page is left

    def press(self, key: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        self.keys += 1  # counted even when Chromium is slow to confirm it: the moderator pressed it
        ActionChains(self.driver).send_keys(key).perform()

    def cards(self) -> list[Any]:
        from selenium.webdriver.common.by import By

        return [c for c in self.driver.find_elements(By.CSS_SELECTOR, "li.comment:not(.held)")]

    def shift(self, deadline: float) -> None:
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
            TimeoutException,
        )
        from selenium.webdriver.common.by import By

        sign_in(self.driver, self.base, self.token)
        empty_batches = 0
        while time.monotonic() < deadline and empty_batches < 2:
            # The page changes under the script (it reloads after claiming), and on a loaded machine Chromium's
            # renderer can be slow to answer: either way, look at the page again rather than fail the shift.
            try:
                if not self.cards():
                    self.timings += self.server_ms()
                    self.press("n")
                    wait_for(lambda: self.driver.execute_script("return document.readyState") == "complete"
                             and not self.driver.find_elements(By.CSS_SELECTOR, "#claim-form[data-autoclaim]"), 30)
                    empty_batches = 0 if self.cards() else empty_batches + 1
                    continue
                current = self.driver.find_element(By.CSS_SELECTOR, "li.comment.current")
                cid = current.get_attribute("data-id")
                flagged = current.find_elements(By.CSS_SELECTOR, ".flags li")
                self.press("r" if flagged else "a")
                if self.wait_settled(cid, 30):
                    self.decided.append(cid)
            except (NoSuchElementException, StaleElementReferenceException, TimeoutException):
                continue
        self.timings += self.server_ms()

    def wait_settled(self, cid: str, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.settled(cid):
                return not self.driver.find_elements("css selector", f'li.comment[data-id="{cid}"]')
            time.sleep(0.05)
        return False  # the key did not arrive: the loop presses it again (and counts it)

    def settled(self, cid: str) -> bool:
        """The decision came back: the card is gone, or the page said why not."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        try:
            return (not self.driver.find_elements(By.CSS_SELECTOR, f'li.comment[data-id="{cid}"]')
                    or "Not saved" in self.driver.find_element(By.ID, "toast").text)
        except StaleElementReferenceException:
            return False  # the page was being replaced; ask again

    def server_ms(self) -> list[float]:
        """The server's time for each decision, from the Server-Timing header as the browser recorded it."""
        return self.driver.execute_script("""
            return performance.getEntriesByType('resource')
              .filter(e => e.name.endsWith('/moderate/decide'))
              .map(e => (e.serverTiming.find(t => t.name === 'app') || {duration: -1}).duration);""")


def test_a_shift_two_moderators_clear_200_comments_by_keyboard(live: tuple[str, Any], browser: Any,
                                                               second_browser: Any, work: Any) -> None:
    import json
    import statistics

    base, app = live
    client = app.test_client()
    texts = ["Thank you for a clear report on the budget.", "You are an idiot and a liar.",
             "مقال ممتاز وتحليل دقيق، شكراً للكاتب.", "يا كلب، أنت حقير ولا تفهم شيئاً.",
             "Buy cheap pills at www.spam-pills.com now", "أتفق مع الكاتب في معظم ما قال."]
    ids = [submit(client, payload(f"{texts[i % len(texts)]} ({i})",
                                  author={"name": f"Reader {i}", "email": f"reader{i}@example.com"},
                                  client={"ip": f"198.51.100.{i + 1}", "user_agent": "Mozilla/5.0"})).json["id"]
           for i in range(200)]
    work()
    tokens = [client.post("/v1/moderation/moderators", headers={"Authorization": f"Bearer {ADMIN}"},
                          json={"name": name}).json["token"] for name in ("ana", "ben")]
    for driver in (browser, second_browser):
        driver.set_window_size(1280, 6000)  # a whole batch on screen, as on a tall monitor
    moderators = [Moderator(browser, base, tokens[0]), Moderator(second_browser, base, tokens[1])]
    deadline = time.monotonic() + 600
    errors: list[BaseException] = []

    def run(m: Moderator) -> None:
        try:
            m.shift(deadline)
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(m,)) for m in moderators]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    admin = {"Authorization": f"Bearer {ADMIN}"}
    statuses = {cid: client.get(f"/v1/moderation/comments/{cid}", headers=admin).json["status"] for cid in ids}
    assert set(statuses.values()) <= {"published", "rejected"}, [c for c, s in statuses.items()
                                                                 if s not in ("published", "rejected")]
    decisions: dict[str, int] = {}
    cursor = None
    while True:
        page = client.get("/v1/moderation/audit", headers=admin,
                          query_string={"limit": 200, **({"cursor": cursor} if cursor else {})}).json
        for e in page["entries"]:
            if e["action"].startswith("decision."):
                decisions[e["comment_id"]] = decisions.get(e["comment_id"], 0) + 1
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert sorted(decisions) == sorted(ids) and set(decisions.values()) == {1}  # none decided twice
    keys = sum(m.keys for m in moderators)
    server = [ms for m in moderators for ms in m.timings if ms >= 0]
    report = {"comments": len(ids), "keystrokes": keys, "keys_per_comment": round(keys / len(ids), 3),
              "by_moderator": {name: len(m.decided) for name, m in zip(("ana", "ben"), moderators, strict=True)},
              "server_ms_per_decision": {"median": round(statistics.median(server), 2),
                                         "p95": round(sorted(server)[int(0.95 * (len(server) - 1))], 2),
                                         "decisions_timed": len(server)}}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "shift.json").write_text(json.dumps(report, indent=2) + "\n")
    print("shift:", json.dumps(report))
    assert keys / len(ids) <= 1.2, report
    assert all(len(m.decided) >= 40 for m in moderators), report  # both worked: the claims shared the queue
    assert len(server) >= 190, report


def test_the_reported_queue_by_keyboard(live: tuple[str, Any], browser: Any, work: Any) -> None:
    from selenium.webdriver.common.by import By

    from tests.review.test_reports import published, report

    base, app = live
    client = app.test_client()
    taken = published(client, work, "Readers say this one is abusive.")
    kept = published(client, work, "Readers disagree with this one, that is all.")
    report(client, taken, "r1", "abuse")
    report(client, taken, "r2", "abuse")
    report(client, kept, "r1", "off_topic")
    sign_in(browser, base)
    tab = browser.find_element(By.CSS_SELECTOR, 'nav.views a[href*="view=reported"]')
    assert tab.text == "Reported 2"
    tab.click()
    wait_for(lambda: "Reported 2×: abuse 2" in browser.page_source)
    browser.save_screenshot(str(ARTIFACTS / "reported-queue.png"))
    body = browser.find_element(By.TAG_NAME, "body")
    first = browser.find_elements(By.CSS_SELECTOR, "li.comment")[0].get_attribute("data-id")
    body.send_keys("r" if first == taken else "a")
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "li.comment")) == 1)
    body.send_keys("a" if first == taken else "r")
    wait_for(lambda: not browser.find_elements(By.CSS_SELECTOR, "li.comment"))
    wait_for(lambda: status(client, taken) == "rejected")
    assert status(client, kept) == "published"


def test_the_approved_view_features_with_f_and_reverses(live: tuple[str, Any], browser: Any, work: Any) -> None:
    from selenium.webdriver.common.by import By

    from tests.review.test_reports import published

    base, app = live
    client = app.test_client()
    first = published(client, work, "A thoughtful first comment.")
    second = published(client, work, "تعليق مفيد ومنصف على المقال.")
    sign_in(browser, base)
    tab = browser.find_element(By.CSS_SELECTOR, 'nav.views a[href*="view=approved"]')
    assert tab.text == "Approved 2"
    tab.click()
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "li.comment")) == 2)
    cards = browser.find_elements(By.CSS_SELECTOR, "li.comment")
    assert cards[0].get_attribute("data-id") == second and "published by admin" in cards[0].text
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("f")
    wait_for(lambda: client.get("/v1/sites/demo/articles/article-1/comments?featured=true").json["comments"])
    assert [c["id"] for c in client.get("/v1/sites/demo/articles/article-1/comments?featured=true").json[
        "comments"]] == [second]
    body.send_keys("a")  # decided: a does nothing here, and says so
    toast = browser.find_element(By.ID, "toast")
    wait_for(lambda: "These are decided" in toast.text)
    cards[1].find_element(By.CSS_SELECTOR, "button.reverse").click()
    wait_for(lambda: status(client, first) == "pending_review")
    browser.save_screenshot(str(ARTIFACTS / "approved-view.png"))


def test_filters_sorting_and_article_suggestions_in_the_page(live: tuple[str, Any], browser: Any, work: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, app = live
    client = app.test_client()
    old = submit(client, payload("An early calm remark.", author={"name": "E", "email": "early@example.com"},
                                 article={"id": "budget-2027", "url": "https://news.example/b"})).json["id"]
    new = submit(client, payload("You idiot, you moron.", author={"name": "L", "email": "late@example.com"},
                                 article={"id": "budget-2028", "url": "https://news.example/c"})).json["id"]
    other = submit(client, payload("Sports talk.", author={"name": "S", "email": "s@example.com"},
                                   article={"id": "football", "url": "https://news.example/f"})).json["id"]
    work()
    sign_in(browser, base)
    Select(browser.find_element(By.CSS_SELECTOR, 'select[name="sort"]')).select_by_value("oldest")
    browser.find_element(By.CSS_SELECTOR, ".filters button[type=submit]").click()
    wait_for(lambda: "sort=oldest" in browser.current_url)
    wait_for(lambda: [c.get_attribute("data-id") for c in browser.find_elements(By.CSS_SELECTOR, "li.comment")]
             == [old, new, other])
    field = browser.find_element(By.ID, "article-filter")
    field.send_keys("budget")
    wait_for(lambda: [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "#article-ids option")]
             == ["budget-2027", "budget-2028"])
    field.send_keys("-2028")
    browser.find_element(By.CSS_SELECTOR, ".filters button[type=submit]").click()
    wait_for(lambda: [c.get_attribute("data-id") for c in browser.find_elements(By.CSS_SELECTOR, "li.comment")]
             == [new])
    browser.save_screenshot(str(ARTIFACTS / "filtered.png"))
    author = browser.find_element(By.CSS_SELECTOR, 'input[name="author"]')
    browser.find_element(By.ID, "article-filter").clear()
    author.send_keys("EARLY@example.com")
    browser.find_element(By.CSS_SELECTOR, ".filters button[type=submit]").click()
    wait_for(lambda: [c.get_attribute("data-id") for c in browser.find_elements(By.CSS_SELECTOR, "li.comment")]
             == [old])
