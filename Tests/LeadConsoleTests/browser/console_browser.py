#!/usr/bin/env python3
"""The floor console in a real browser: headless Chromium (Debian's `chromium`) driven by
Selenium through Debian's `chromium-driver`.

Run by Tests/LeadConsoleTests/BrowserTests.swift, which starts a real server (real
PostgreSQL, a ManualClock) with the console on and passes the setup in the environment
variable CONSOLE_TEST (JSON). The floor's clock belongs to the Swift test: this script
prints `ADVANCE <seconds>` and waits for a line on stdin once the server's clock moved and
its background passes ran. Each check prints `CHECK <name>`; any failure raises (exit 1).
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

SETUP = json.loads(os.environ["CONSOLE_TEST"])
URL = SETUP["url"].rstrip("/")
SHOTS = SETUP.get("screenshots") or ""
WAIT = 15


def check(name):
    print("CHECK " + name, flush=True)


def advance(seconds):
    """Asks the Swift test to move the floor clock and run the background passes."""
    print("ADVANCE %d" % seconds, flush=True)
    answer = sys.stdin.readline().strip()
    assert answer == "OK", "the test did not advance the clock: %r" % answer


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = SETUP.get("chromium", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1400,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    service = Service(executable_path=SETUP.get("chromedriver", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


def until(driver, condition, message, timeout=WAIT):
    """Waits for `condition`; the live feed redraws tables, so an element may go stale
    or be missing for a moment while it does."""
    wait = WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))
    return wait.until(lambda d: condition(d), message)


def click(driver, selector):
    """Clicks an element, finding it again if a redraw replaced it meanwhile."""
    for _ in range(20):
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            return
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise AssertionError("could not click " + selector)


def text(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector).text


def log_in(driver, agent, token):
    driver.get(URL + "/login")
    driver.find_element(By.ID, "agent").send_keys(agent)
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    until(driver, lambda d: "/login" not in d.current_url, "login did not leave /login")
    assert token not in driver.current_url, "the token is in the URL"


def fetch_verb(driver, verb, args, csrf=True):
    """Calls the console API from inside the page (the browser's own cookie)."""
    return driver.execute_async_script("""
        const [verb, args, withCsrf, done] = arguments;
        const headers = {'Content-Type': 'application/json'};
        if (withCsrf) headers['X-CSRF-Token'] = document.querySelector('meta[name=csrf]').content;
        fetch('/api/verb', {method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify({verb, args})})
          .then(async r => done({status: r.status, body: await r.json()}))
          .catch(e => done({status: 0, body: String(e)}));
    """, verb, args, csrf)


def shot(driver, name, height=1000):
    if SHOTS:
        driver.set_window_size(1400, height)
        driver.execute_script("window.scrollTo(0, 0)")
        time.sleep(0.3)
        driver.save_screenshot(os.path.join(os.path.abspath(SHOTS), name))
        driver.set_window_size(1400, 1000)


def submit(driver, form_id, button="button[type=submit]"):
    form = driver.find_element(By.ID, form_id)
    output = form.find_element(By.CSS_SELECTOR, "output")
    driver.execute_script("arguments[0].textContent = ''", output)
    form.find_element(By.CSS_SELECTOR, button).click()
    until(driver, lambda d: output.text.strip() != "", "no reply in #%s" % form_id)
    return output.text


def main():
    lead = SETUP["lead"]
    agent = SETUP["agent"]
    board = browser()
    desk = browser()
    try:
        # ---- login page, wrong token, no access without a session
        board.get(URL + "/")
        until(board, lambda d: d.current_url.endswith("/login"), "/ did not send an anonymous visitor to /login")
        shot(board, "console-login.png")
        board.find_element(By.ID, "agent").send_keys(lead["name"])
        board.find_element(By.ID, "token").send_keys("not-the-token")
        board.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
        until(board, lambda d: d.find_elements(By.ID, "login-error"), "no error for a wrong token")
        assert "AUTH_FAILED" in text(board, "#login-error"), text(board, "#login-error")
        check("wrong token refused with AUTH_FAILED")
        try:
            urllib.request.urlopen(URL + "/api/floor")
            raise AssertionError("/api/floor answered without a session")
        except urllib.error.HTTPError as e:
            assert e.code == 401, e.code
        check("API refuses a request without a session (401)")

        # ---- the board
        log_in(board, lead["name"], lead["token"])
        until(board, lambda d: d.current_url.endswith("/board"), "a team lead did not land on /board")
        cookie = board.get_cookie("leadline_console")
        assert cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", cookie
        assert lead["token"] not in cookie["value"]
        check("session cookie is HttpOnly, SameSite=Strict, not the token")
        until(board, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#queues tbody tr")) == 4, "queues table not filled")
        until(board, lambda d: text(d, "#live") == "live", "live feed did not connect")
        ready = text(board, '#queues tr[data-team="north"][data-view="not_called"] td.ready')
        assert int(ready) == SETUP["not_called"], (ready, SETUP["not_called"])
        rows = board.find_elements(By.CSS_SELECTOR, "#agents tbody tr")
        assert {r.get_attribute("data-agent") for r in rows} == set(SETUP["north_agents"]), [r.text for r in rows]
        check("board shows the team's queues and agents")

        # STAR by filter, through the protocol's STAR
        Select(board.find_element(By.CSS_SELECTOR, "#star-form select[name=view]")).select_by_value("not_called")
        out = submit(board, "star-form")
        assert out.startswith("OK count="), out
        assert int(out.split("=")[1]) == SETUP["not_called"], out
        out = submit(board, "star-form", "button[data-verb=UNSTAR]")
        assert out.startswith("OK count="), out
        out = submit(board, "star-form")
        check("star and unstar by filter: " + out)

        # the team boundary and CSRF, through the page's own cookie
        other = fetch_verb(board, "ASSIGN", [["lead", str(SETUP["south_lead"])], ["agent", agent["name"]]])
        assert other["status"] == 200 and other["body"]["ok"] is False and other["body"]["code"] in ("DENIED", "NOT_FOUND"), other
        check("ASSIGN of another team's lead refused: " + other["body"]["code"])
        no_csrf = fetch_verb(board, "PAUSE", [["agent", agent["name"]]], csrf=False)
        assert no_csrf["status"] == 403, no_csrf
        check("POST without the CSRF token refused (403)")

        # PAUSE / RESUME from the agents table
        click(board, '#agents tr[data-agent="%s"] button[data-action=PAUSE]' % agent["name"])
        until(board, lambda d: d.find_element(By.CSS_SELECTOR, '#agents tr[data-agent="%s"] td.status' % agent["name"]).text == "paused",
              "the live feed did not show the agent paused")
        click(board, '#agents tr[data-agent="%s"] button[data-action=RESUME]' % agent["name"])
        until(board, lambda d: d.find_element(By.CSS_SELECTOR, '#agents tr[data-agent="%s"] td.status' % agent["name"]).text == "active",
              "the live feed did not show the agent active again")
        check("pause and resume from the board, seen live")

        # ---- the desk
        log_in(desk, agent["name"], agent["token"])
        until(desk, lambda d: d.current_url.endswith("/desk"), "an agent did not land on /desk")
        desk.get(URL + "/board")
        until(desk, lambda d: d.current_url.endswith("/desk"), "an agent was shown the board")
        check("an agent is sent to the desk, not the board")
        denied = fetch_verb(desk, "QUEUES", [])
        assert denied["body"]["ok"] is False and denied["body"]["code"] == "DENIED", denied
        check("an agent's QUEUES through the API is DENIED, as on the protocol")
        until(desk, lambda d: text(d, '[data-count="not_called"]') not in ("", "·"), "tab counts not filled")
        counts = text(desk, '[data-count="all"]')
        assert counts.split(" / ")[1] == str(SETUP["all_ready"]), counts
        check("desk tabs show counts: all " + counts)

        desk.find_element(By.CSS_SELECTOR, '#tabs [data-view="not_called"]').click()
        desk.find_element(By.ID, "next").click()
        until(desk, lambda d: d.find_element(By.ID, "card").is_displayed(), "CLAIM did not show a lead card")
        claimed = text(desk, "#card-lead")
        assert text(desk, '#card-fields tr[data-key="view"] td') == "not_called"
        until(desk, lambda d: "m" in text(d, "#lease-left"), "no lease countdown")
        left = text(desk, "#lease-left")
        assert left.startswith("9m") or left.startswith("10m"), left
        check("CLAIM shows lead %s with its lease: %s left" % (claimed, left))

        # the mandatory note: the verb's refusal is shown
        Select(desk.find_element(By.ID, "dispose-code")).select_by_value("callback")
        out = submit(desk, "dispose-form")
        assert out.startswith("NOTE_REQUIRED"), out
        check("disposition without a note refused: " + out.split(":")[0])
        desk.find_element(By.ID, "dispose-note").send_keys("busy, call at 7 PM")
        out = submit(desk, "dispose-form")
        assert out.startswith("CALLBACK_TIME_REQUIRED"), out
        desk.execute_script("document.getElementById('dispose-at').value = arguments[0]", SETUP["callback_local"])
        desk.find_element(By.CSS_SELECTOR, "#dispose-form button[type=submit]").click()
        until(desk, lambda d: not d.find_element(By.ID, "card").is_displayed(), "DISPOSE did not end the card")
        done = text(desk, "#claim-result")
        assert "DISPOSE" in done and "code=callback" in done and "next_at=" + SETUP["callback_utc"] in done, done
        check("callback disposed on the team's clock: " + done)

        # CONVERT: the SOP pre-checks as they fail, then LEAD SHOW history
        desk.find_element(By.CSS_SELECTOR, '#tabs [data-view=""]').click()
        desk.find_element(By.ID, "next").click()
        until(desk, lambda d: d.find_element(By.ID, "card").is_displayed(), "second CLAIM did not show a card")
        out = submit(desk, "convert-form")
        assert out.startswith("CONSENT_REQUIRED"), out
        desk.find_element(By.ID, "convert-consent").click()
        out = submit(desk, "convert-form")
        assert out.startswith("PRICE_NOT_CONFIRMED"), out
        failures = [li.text for li in desk.find_elements(By.CSS_SELECTOR, "#precheck-failures li")]
        assert len(failures) == 2 and failures[0].startswith("CONSENT_REQUIRED"), failures
        check("CONVERT pre-checks shown as they fail: " + ", ".join(f.split(":")[0] for f in failures))
        desk.find_element(By.ID, "history-button").click()
        until(desk, lambda d: d.find_element(By.ID, "history-section").is_displayed(), "LEAD SHOW history not shown")
        history = [li.text for li in desk.find_elements(By.CSS_SELECTOR, "#history li")]
        assert any("kind=claimed" in h for h in history), history
        check("LEAD SHOW history: %d events" % len(history))
        shot(desk, "console-desk.png", height=2000)
        desk.find_element(By.ID, "release-note").send_keys("handing back")
        desk.find_element(By.CSS_SELECTOR, "#release-form button[type=submit]").click()
        until(desk, lambda d: not d.find_element(By.ID, "card").is_displayed(), "RELEASE did not end the card")

        # ---- a breach arrives live on the board
        assert not board.find_elements(By.CSS_SELECTOR, "#breaches li"), "a breach before the deadline"
        advance(SETUP["breach_after"])
        started = time.monotonic()
        until(board, lambda d: d.find_elements(By.CSS_SELECTOR, "#breaches li.breach"), "no breach arrived on the board")
        seen = time.monotonic() - started
        item = text(board, "#breaches li.breach")
        assert "lead %d" % SETUP["high_end_lead"] in item and "high_end" in item, item
        until(board, lambda d: text(d, '#queues tr[data-team="north"][data-view="high_end"] td.breached') == "1",
              "the high_end queue did not show the breach")
        check("breach of lead %d shown live %.2f s after the pass ran" % (SETUP["high_end_lead"], seen))
        print("BREACH_SECONDS %.3f" % seen, flush=True)
        shot(board, "console-board.png", height=1300)

        # ---- logout, and expiry on the server's clock
        board.find_element(By.CSS_SELECTOR, "#logout button").click()
        until(board, lambda d: d.current_url.endswith("/login"), "logout did not go to /login")
        board.get(URL + "/board")
        until(board, lambda d: d.current_url.endswith("/login"), "the board opened after logout")
        check("logout ends the session")
        advance(SETUP["expire_after"])
        desk.get(URL + "/desk")
        until(desk, lambda d: d.current_url.endswith("/login"), "the desk opened after the session expired")
        check("an idle session expires on the server's clock")
    finally:
        board.quit()
        desk.quit()
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
