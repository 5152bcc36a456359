"""GET /docs in a real headless browser (Debian's chromium, driven by selenium through
chromedriver): the page loads from the API alone, renders /openapi.json without a
console error and lists the operations. Its screenshot is kept as an artifact."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.conftest import ARTIFACTS


def test_docs_page_lists_every_operation_without_console_errors(browser, base_url, api, report):
    operations = api.get("/openapi.json").json()["paths"]
    expected = sum(len(item) for item in operations.values())
    browser.get(f"{base_url}/docs")
    WebDriverWait(browser, 30).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ".opblock")) >= expected)
    shown = browser.find_elements(By.CSS_SELECTOR, ".opblock .opblock-summary-path")
    paths = {element.get_attribute("data-path") for element in shown}
    assert paths == set(operations), set(operations) ^ paths
    assert "Wallet" in browser.find_element(By.CSS_SELECTOR, ".info .title").text
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "docs-page.png"
    browser.save_screenshot(str(screenshot))
    requested = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(base_url) for url in requested), requested  # nothing from a CDN
    report(
        f"/docs in headless chromium: {len(shown)} operations listed, 0 console errors, "
        f"{len(requested)} resources all from the API; screenshot {screenshot.relative_to(ARTIFACTS.parents[1])}"
    )
