"""The dashboard in a real headless Chromium (Debian's chromium + chromium-driver, driven by
selenium): every page loads without console errors and shows the fixture's known findings,
the filters work, the token is required, and a screenshot of each page is kept."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard.conftest import Live

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


def _missing_browser() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing_browser()
    if missing is not None:
        if os.environ.get("BMAD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"BMAD_REQUIRE_BROWSER=1 but no browser: {missing}")
        pytest.skip(f"browser tests skipped: {missing}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="bmad-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def visit(browser: Any, url: str, shot: Path) -> list[dict[str, Any]]:
    """Load ``url``, save a screenshot, and return the console's errors."""
    browser.get(url)
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 5_000
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def click_and_wait(browser: Any, element: Any) -> None:
    """Click a link or button and wait until the next page has replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(page))


def texts(browser: Any, selector: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, selector)]


PAGES = {
    "/": "#file-count",
    "/findings": "table#findings",
    "/distributions": "figure.dist",
    "/trends": "#trend-commits svg",
    "/architecture": "svg.graph",
    "/privacy": "table#budget",
    "/federation": "table#insights",
}


def test_every_page_loads_without_console_errors(browser: Any, live: Live, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    for route, landmark in PAGES.items():
        errors = visit(browser, live.url(route), tmp_path / f"page{route.replace('/', '-')}.png")
        assert errors == [], (route, errors)
        assert browser.title.endswith("· bmad")
        assert browser.find_elements(By.CSS_SELECTOR, landmark), (route, landmark)
        assert browser.find_element(By.CSS_SELECTOR, "nav a.active").get_attribute("href")


def test_the_code_map_leads_to_a_files_functions_and_explained_findings(
    browser: Any, live: Live, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    assert visit(browser, live.url("/"), tmp_path / "map.png") == []
    assert texts(browser, "#file-count") == [str(len(live.data.files))]
    tiles = browser.find_elements(By.CSS_SELECTOR, "svg.codemap a")
    assert len(tiles) == len([entry for entry in live.data.files if entry.nloc > 0])
    tangled = next(
        tile
        for tile in tiles
        if "app/core/tangled.py"
        in tile.find_element(By.TAG_NAME, "title").get_attribute("textContent")
    )
    # the riskiest file wears the hottest colour
    assert "heat6" in tangled.find_element(By.TAG_NAME, "rect").get_attribute("class")
    click_and_wait(browser, tangled)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    browser.save_screenshot(str(tmp_path / "file.png"))
    assert errors == []
    assert browser.find_element(By.TAG_NAME, "h1").text == "app/core/tangled.py"
    assert texts(browser, "table#functions .fn") == ["tangled"]
    rules = texts(browser, "table#functions .rule")
    assert set(rules) == {
        "complex-method",
        "high-cognitive-complexity",
        "deep-nesting",
        "long-parameter-list",
    }
    explanations = " ".join(texts(browser, "table#functions .why"))
    assert "hard to test and change" in explanations  # the rule catalogue's reason


def test_the_findings_filters_narrow_by_rule_and_by_path(
    browser: Any, live: Live, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    assert visit(browser, live.url("/findings"), tmp_path / "findings.png") == []
    every = len(live.data.items)
    assert texts(browser, "#match-count")[0].startswith(f"{every} of {every}")
    Select(browser.find_element(By.ID, "rule-filter")).select_by_value("cyclic-dependency")
    click_and_wait(browser, browser.find_element(By.ID, "apply-filters"))
    browser.save_screenshot(str(tmp_path / "findings-rule.png"))
    places = texts(browser, "table#findings td:nth-child(3)")
    assert sorted(place.split(":")[0] for place in places) == [
        "app/core/base.py",
        "app/core/loop.py",
    ]
    field = browser.find_element(By.ID, "path-filter")
    field.clear()
    field.send_keys("*/loop.py")
    click_and_wait(browser, browser.find_element(By.ID, "apply-filters"))
    assert [place.split(":")[0] for place in texts(browser, "table#findings td:nth-child(3)")] == [
        "app/core/loop.py"
    ]
    assert (
        Select(browser.find_element(By.ID, "rule-filter")).first_selected_option.get_attribute(
            "value"
        )
        == "cyclic-dependency"
    )  # the other filter is kept
    field = browser.find_element(By.ID, "path-filter")
    field.clear()
    field.send_keys("util")
    click_and_wait(browser, browser.find_element(By.ID, "apply-filters"))
    assert texts(browser, "table#findings") == []
    assert "no finding matches" in texts(browser, "p.empty")[0]


def test_global_bands_trends_graph_and_privacy_show_the_fixtures_facts(
    browser: Any, live: Live, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    visit(browser, live.url("/distributions"), tmp_path / "distributions.png")
    cognitive = browser.find_element(
        By.CSS_SELECTOR, 'figure[data-metric="cognitive"][data-language="python"]'
    )
    assert cognitive.find_elements(By.CSS_SELECTOR, "polygon.band")
    assert "across 12 organisations" in cognitive.text
    nloc = browser.find_element(By.CSS_SELECTOR, 'figure[data-metric="nloc"]')
    assert not nloc.find_elements(By.CSS_SELECTOR, "polygon.band")  # nothing cached for it

    visit(browser, live.url("/trends"), tmp_path / "trends.png")
    months = texts(browser, "table#trend-table td:last-child")
    assert months == ["2026-04", "2026-03", "2026-02", "2026-01"]
    assert texts(browser, "table#trend-table td:nth-child(3)")[2] == "50%"  # Feb: 1 fix of 2

    visit(browser, live.url("/architecture"), tmp_path / "architecture.png")
    assert texts(browser, "#cycle-count") == ["1"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.graph line.edge.cyclic")) == 2
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.graph line.edge.violation")) == 1
    assert texts(browser, "table#violations td:first-child") == ["app/core/uses_cli.py:1"]

    visit(browser, live.url("/privacy"), tmp_path / "privacy.png")
    assert "hash chain verified" in texts(browser, "#audit-status")[0]
    assert texts(browser, "table#consent td:first-child") == ["on"]
    assert texts(browser, "table#shared td:nth-child(3)") == ["export:file"]
    periods = texts(browser, "table#periods td:first-child")
    assert periods == ["0.01", "0.01"]  # the organisation and the repository


def test_the_browser_gets_nothing_without_the_token(
    browser: Any, live: Live, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{live.base}/findings")
    browser.save_screenshot(str(tmp_path / "forbidden.png"))
    assert "403" in browser.find_element(By.TAG_NAME, "body").text
    assert not browser.find_elements(By.CSS_SELECTOR, "table")
