"""The support console (/console) in a real headless browser and over plain HTTP: a member
of staff signs in, finds Alice, reads her balances and history, freezes her with a reason
(a confirmation page first) and sees her spend refused, then unfreezes her. Every page
loads without a console error and passes axe-core's accessibility rules; screenshots are
kept in tests/artifacts. Without a session (a user's token is none) there is no page, a
form without its CSRF token is refused, and a member without accounts:admin changes
nothing."""

import csv
import io
import re
import uuid
from datetime import date

import psycopg
import pytest
import requests
from axe_selenium_python import Axe
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.api.conftest import ARTIFACTS
from tests.support import ALICE
from wallet_api.credentials import revoke_credential, set_credential

ADMIN, ADMIN_PASSWORD = "Sam Support", "sam-support-password"
READER, READER_PASSWORD = "Rita Reader", "rita-reader-password"


@pytest.fixture(scope="module")
def staff(db_url):
    set_credential(db_url, "staff", ADMIN, ADMIN_PASSWORD, ["accounts:read", "accounts:admin", "reports:read"])
    set_credential(db_url, "staff", READER, READER_PASSWORD, ["accounts:read"])
    yield
    for name in (ADMIN, READER):
        revoke_credential(db_url, "staff", name)


@pytest.fixture
def alice_active(db_url):
    """Alice is active and without limits of her own before and after, whatever the test
    did in between (the other tests spend from her wallet)."""

    def activate() -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            if (
                conn.execute("SELECT status FROM wallet.accounts WHERE user_id = %s", (ALICE,)).fetchone()[0]
                != "active"
            ):
                conn.execute("SELECT wallet_set_account_status(%s, 'active', 'test cleanup')", (ALICE,))
            conn.execute(
                "SELECT wallet_set_limits(w.asset_type_id, NULL, NULL, %s) FROM wallet.wallets w"
                " JOIN wallet.accounts a USING (account_id)"
                " WHERE a.user_id = %s AND (w.max_balance IS NOT NULL OR w.daily_spend_limit IS NOT NULL)",
                (ALICE, ALICE),
            )

    activate()
    yield
    activate()


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "every form carries its CSRF token"
    return match.group(1)


def _signed_in(base_url: str, name: str, password: str) -> tuple[requests.Session, str]:
    """A session signed in over HTTP, and a CSRF token for its forms."""
    http = requests.Session()
    login = http.get(f"{base_url}/console/login", timeout=10)
    r = http.post(f"{base_url}/console/login", timeout=10, allow_redirects=False,
                  data={"name": name, "password": password, "csrf_token": _csrf(login.text)})  # fmt: skip
    assert r.status_code == 302, r.text
    home = http.get(f"{base_url}/console/", timeout=10)
    return http, _csrf(home.text)


class Pages:
    """The browser's visits: each page checked for console errors and by axe, and kept
    as a screenshot."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.checked: list[str] = []
        self.violations: dict[str, list[str]] = {}

    def submit(self, css: str) -> None:
        """Clicks a form's button and waits until the page it leads to has replaced this one."""
        self.browser.execute_script("window.leaving = true")  # a mark the next page will not have
        self.browser.find_element(By.CSS_SELECTOR, css).click()
        WebDriverWait(self.browser, 10, ignored_exceptions=(WebDriverException,)).until(
            lambda b: b.execute_script("return document.readyState === 'complete' && window.leaving === undefined")
        )

    def find(self, css: str):
        """An element of the page the last click leads to, once it has loaded."""
        return WebDriverWait(self.browser, 10).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    def check(self, name: str) -> None:
        errors = [entry for entry in self.browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == [], f"{name}: {errors}"
        axe = Axe(self.browser)
        axe.inject()
        results = axe.run()
        found = [f"{v['id']} ({v['impact']}): {v['help']}" for v in results["violations"]]
        if found:
            self.violations[name] = found
        ARTIFACTS.mkdir(exist_ok=True)
        self.browser.save_screenshot(str(ARTIFACTS / f"console-{name}.png"))
        self.checked.append(name)

    def review_status(self, action: str, reason: str) -> None:
        Select(self.browser.find_element(By.ID, "status")).select_by_visible_text(action)
        self.browser.find_element(By.ID, "reason").send_keys(reason)
        self.submit("form[action$='/status'] button")


def test_staff_freeze_a_user_and_see_her_spend_refused(browser, base_url, api, staff, alice_active, db_url, report):
    pages = Pages(browser, base_url)
    browser.get(f"{base_url}/console/users/{ALICE}")
    assert browser.current_url.startswith(f"{base_url}/console/login"), "no session, no page"
    pages.check("login")
    browser.find_element(By.ID, "name").send_keys(ADMIN)
    browser.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
    pages.submit("form button[type=submit]")
    pages.find("#wallets")
    assert browser.current_url == f"{base_url}/console/users/{ALICE}", "back where sign-in was asked"

    browser.get(f"{base_url}/console/")
    pages.check("search")
    browser.find_element(By.ID, "user_id").send_keys(ALICE)
    pages.submit("form[role=search] button")
    pages.find("#wallets")
    assert browser.current_url.startswith(f"{base_url}/console/users/{ALICE}")
    gold = browser.find_element(By.XPATH, "//h2[@id='wallets']/following::table[1]//th[text()='GOLD']/..")
    assert gold.find_elements(By.TAG_NAME, "td")[0].text == f"{api.balance(ALICE):,}", "the balance the API answers"
    entries = browser.find_elements(By.CSS_SELECTOR, "#history ~ table tbody tr[id^=entry-]")
    assert entries, "Alice's history"
    assert browser.find_elements(By.CSS_SELECTOR, "figure.chart svg polyline"), "the balance chart"
    pages.check("user")

    reason = f"chargeback investigation {uuid.uuid4().hex[:6]}"
    pages.review_status("Freeze", reason)
    pages.find("button.danger")
    assert "Freeze this account?" in browser.find_element(By.TAG_NAME, "h1").text
    pages.check("confirm")
    pages.submit("button.danger")
    assert "it is frozen now" in pages.find(".messages").text
    spend = {"asset_type_id": 1, "amount": 1, "idempotency_key": f"console-{uuid.uuid4()}"}
    refused = api.post("/wallet/spend", api.user_token(ALICE), json=spend)
    assert (refused.status_code, refused.json()["code"]) == (409, "account_not_active")
    with psycopg.connect(db_url) as conn:
        assert conn.execute(
            "SELECT status, status_reason, status_changed_by FROM wallet.accounts WHERE user_id = %s", (ALICE,)
        ).fetchone() == ("frozen", reason, f"staff:{ADMIN}"), "who froze her, and why"

    pages.review_status("Unfreeze", "investigation closed")
    pages.submit("button.danger")
    assert "it is active now" in pages.find(".messages").text
    assert api.post("/wallet/spend", api.user_token(ALICE), json=spend).status_code == 201
    pages.check("user-unfrozen")

    Select(browser.find_element(By.ID, "limit_asset")).select_by_visible_text("GOLD")
    browser.find_element(By.ID, "daily_spend_limit").send_keys("5000")
    pages.submit("form[action$='/limits'] button")
    assert "the limits are set" in pages.find(".messages").text
    gold = browser.find_element(By.XPATH, "//h2[@id='wallets']/following::table[1]//th[text()='GOLD']/..")
    assert gold.find_elements(By.TAG_NAME, "td")[7].text == "5,000", "the daily limit in force"
    latest = browser.find_element(By.CSS_SELECTOR, "#limit-changes ~ table tbody tr").find_elements(By.TAG_NAME, "td")
    assert (latest[1].text, latest[3].text, latest[4].text) == ("GOLD", "5,000", f"staff:{ADMIN}"), "who set it"
    pages.check("user-limits")

    browser.get(f"{base_url}/console/outstanding?day={date.today().isoformat()}")
    gold = pages.find("table tbody tr").find_elements(By.TAG_NAME, "td")
    assert int(gold[0].text.replace(",", "")) > 0, "paid GOLD is outstanding"
    pages.check("outstanding")

    assert pages.violations == {}, pages.violations
    report(
        f"console in headless chromium: {len(pages.checked)} pages ({', '.join(pages.checked)}), 0 console errors, "
        f"0 axe violations; screenshots tests/artifacts/console-*.png"
    )


def test_no_page_without_a_staff_session_and_no_form_without_its_token(base_url, api, staff, alice_active):
    anonymous = requests.get(f"{base_url}/console/users/{ALICE}", timeout=10, allow_redirects=False)
    assert anonymous.status_code == 302 and "/console/login" in anonymous.headers["Location"]
    as_user = requests.get(f"{base_url}/console/users/{ALICE}", timeout=10, allow_redirects=False,
                           headers={"Authorization": f"Bearer {api.user_token(ALICE)}"})  # fmt: skip
    assert as_user.status_code == 302, "a user's token opens no page"
    wrong = requests.Session()
    page = wrong.get(f"{base_url}/console/login", timeout=10)
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "unsafe-inline" not in policy
    r = wrong.post(f"{base_url}/console/login", timeout=10,
                   data={"name": ADMIN, "password": "not it", "csrf_token": _csrf(page.text)})  # fmt: skip
    assert r.status_code == 401 and "Unknown name or wrong password" in r.text

    admin, token = _signed_in(base_url, ADMIN, ADMIN_PASSWORD)
    cookie = next(c for c in admin.cookies if c.name == "wallet_console")
    assert cookie.path == "/console" and cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite") == "Strict"
    status = f"{base_url}/console/users/{ALICE}/status"
    form = {"status": "frozen", "reason": "no token", "confirmed": "yes"}
    r = admin.post(status, data=form, timeout=10, allow_redirects=False)
    assert r.status_code == 400 and "could not be accepted" in r.text, "no CSRF token, no change"
    r = admin.post(status, data={**form, "csrf_token": "forged"}, timeout=10, allow_redirects=False)
    assert r.status_code == 400
    reader, reader_token = _signed_in(base_url, READER, READER_PASSWORD)
    assert reader.get(f"{base_url}/console/users/{ALICE}", timeout=10).status_code == 200
    r = reader.post(status, data={**form, "csrf_token": reader_token}, timeout=10, allow_redirects=False)
    assert r.status_code == 403, "accounts:read only: no change"
    r = admin.post(status, data={**form, "confirmed": "", "csrf_token": token}, timeout=10)
    assert r.status_code == 200 and "Freeze this account?" in r.text, "a change is confirmed first"
    account = api.get(f"/accounts/{ALICE}", api.service_token("game")).json()
    assert account["status"] == "active", "nothing of the above changed her account"
    assert reader.get(f"{base_url}/console/outstanding?day=2026-01-01", timeout=10).status_code == 403


def test_the_statement_downloads_as_formula_safe_csv_and_the_history_filters(base_url, api, staff, funded_user):
    user = funded_user(gold=100)
    spend = {"user_id": user, "asset_type_id": 1, "amount": 5, "idempotency_key": '=HYPERLINK("x")'}
    assert api.post("/wallet/spend", api.service_token("game"), json=spend).status_code == 201
    admin, _ = _signed_in(base_url, ADMIN, ADMIN_PASSWORD)
    today = date.today().isoformat()
    r = admin.get(f"{base_url}/console/users/{user}/statement.csv", params={"from": today, "to": today}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["line"] for row in rows] == ["opening", "opening", "entry", "entry", "closing", "closing"]
    spent = next(row for row in rows if row["kind"] == "spend")
    assert spent["idempotency_key"] == '\'=HYPERLINK("x")', "a cell a spreadsheet would run is quoted"
    bad = admin.get(f"{base_url}/console/users/{user}/statement.csv", params={"from": "soon"}, timeout=10)
    assert bad.status_code == 400
    spends = admin.get(f"{base_url}/console/users/{user}", params={"kind": "spend", "from": today, "to": today},
                       timeout=10).text  # fmt: skip
    assert "=HYPERLINK" in spends and f"fund-{user}" not in spends, "the history filtered by kind and days"
    topups = admin.get(f"{base_url}/console/users/{user}", params={"kind": "topup"}, timeout=10).text
    assert f"fund-{user}" in topups and "=HYPERLINK" not in topups
