"""A real browser on Django's live server: Debian's headless Chromium driven by Selenium.

One Chromium for the whole session (starting it costs more than a test); each test starts logged
out, at its own window size, and pytest-django's `live_server` serves the pages and the static
files from the test database. A test keeps a screenshot of each step it names under
test-artifacts/browser/<test>/ (git-ignored; CI keeps the checkout's files), and a failed test
adds failure.png and failure.html there: what the browser showed at the moment it failed.

Without Debian's chromium and chromium-driver the tests are skipped with the reason; with
BROWSER_TESTS=required (CI's SQLite run) they fail instead, and BROWSER_TESTS=off skips them (CI's
PostgreSQL run: what a browser shows does not depend on the database, so they run once).
"""

import base64
import contextlib
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from stations.models import User

# The assessment tests' campaign fixtures (a Yunmeng campaign of county A, opened, with its sheet).
from tests.assessment.conftest import addresses, campaign, open_campaign, sheet, yunmeng  # noqa: F401

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
# Debian's packages install these (Makefile: browser-packages); Selenium Manager is never asked to
# download a browser or a driver.
CHROMIUM_PATHS = ("/usr/bin/chromium",)
CHROMEDRIVER_PATHS = ("/usr/bin/chromedriver",)
PASSWORD = "pw-for-tests"  # tests/factories.make_user
WAIT_SECONDS = 10  # the longest an explicit wait holds before the test fails (a page, not a job)
DESKTOP = (1366, 900)
PHONE = (390, 844)


def _found(candidates: tuple[str, ...], name: str) -> str | None:
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def _why_not_run() -> str | None:
    """The reason the browser tests cannot run here, or None when Chromium and its driver are there."""
    missing = [
        package
        for package, paths, name in (
            ("chromium", CHROMIUM_PATHS, "chromium"),
            ("chromium-driver", CHROMEDRIVER_PATHS, "chromedriver"),
        )
        if _found(paths, name) is None
    ]
    if missing:
        return (
            f"Debian's {' and '.join(missing)} not installed (`make test` installs the browser "
            f"packages as root; or run: sudo apt-get install -y {' '.join(missing)})"
        )
    return None


@pytest.fixture(scope="session")
def _browser_available() -> None:
    """Skip (or, with BROWSER_TESTS=required, fail) before any set-up when the browser is missing."""
    mode = os.environ.get("BROWSER_TESTS", "").strip().lower()
    if mode == "off":
        pytest.skip("BROWSER_TESTS=off (CI runs the browser tests once, on SQLite)")
    reason = _why_not_run()
    if reason is not None:
        if mode == "required":
            pytest.fail(f"BROWSER_TESTS=required but {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium(_browser_available, live_server) -> WebDriver:
    """The session's one headless Chromium.

    It asks for the live server so that it quits first: the server's request threads close their
    database connections when the browser's keep-alive connections close, which they may do only
    while the server still shares the test database with them.
    """
    options = webdriver.ChromeOptions()
    options.binary_location = _found(CHROMIUM_PATHS, "chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",  # containers give /dev/shm 64 MB
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-extensions",
        "--no-first-run",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(argument)
    # The pages a Chinese clerk's browser asks for (Accept-Language).
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    service = Service(executable_path=_found(CHROMEDRIVER_PATHS, "chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    # The browser's connections are closed now; the threads that served them end at once. Wait for
    # them, so none is still closing its database connection when the live server stops.
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=WAIT_SECONDS)


class Browser:
    """What a person does in the browser, in the words of a test: open, type, press, read, look."""

    def __init__(self, driver: WebDriver, base_url: str, artifacts: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.artifacts = artifacts
        self.steps = 0

    # -- where we are
    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def viewport(self, width: int, height: int, *, phone: bool = False) -> None:
        """Lay pages out on a width×height screen (CSS pixels); a phone's also as a mobile browser does
        (the page's viewport meta tag, touch). It holds for every page until changed."""
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone},
        )
        self.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": phone})

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    # -- finding and waiting (explicit waits only)
    def wait(self, condition, message: str = ""):
        return WebDriverWait(self.driver, WAIT_SECONDS).until(condition, message)

    def find(self, css: str):
        return self.wait(
            EC.visibility_of_element_located((By.CSS_SELECTOR, css)), f"nothing visible at {css}"
        )

    def link(self, text: str):
        """The visible link (or link-styled button) whose text contains `text`."""
        return self.wait(
            EC.element_to_be_clickable((By.PARTIAL_LINK_TEXT, text)), f"no link with the text {text!r}"
        )

    def button(self, text: str):
        """The visible button (or submit input) that says `text`."""
        xpath = (
            f"//button[normalize-space()={_xpath_literal(text)}]"
            f" | //input[@type='submit' and @value={_xpath_literal(text)}]"
        )
        return self.wait(EC.element_to_be_clickable((By.XPATH, xpath)), f"no button {text!r}")

    def field(self, label: str):
        """The input, select or textarea that the <label> saying `label` is for."""
        said = " or ".join(
            f"normalize-space()={_xpath_literal(label + suffix)}" for suffix in ("", ":", "：")
        )
        xpath = f"//label[{said}]"
        element = self.wait(EC.presence_of_element_located((By.XPATH, xpath)), f"no field labelled {label!r}")
        return self.find(f"#{element.get_attribute('for')}")

    def type(self, element, text: str) -> None:
        element.clear()
        element.send_keys(text)

    def press(self, element, *, confirm: str | None = None) -> None:
        """Click something that loads a page, and wait until the next page has replaced this one.

        With `confirm`, the page first asks "are you sure?" in these words, and the person says OK.
        """
        self.driver.execute_script("window.__pageBeforeThePress = true")
        element.click()
        if confirm is not None:
            alert = self.wait(EC.alert_is_present(), "no confirmation was asked")
            assert alert.text == confirm
            alert.accept()
        # While the page is being replaced Chromium may answer with an error instead of a result:
        # asked again, it answers from the next page (a mark this page set is gone there).
        WebDriverWait(self.driver, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script(
                "return !window.__pageBeforeThePress && document.readyState === 'complete'"
            ),
            "the page did not change",
        )

    def text(self, css: str = "main") -> str:
        return self.find(css).text

    def messages(self) -> list[str]:
        return [element.text for element in self.driver.find_elements(By.CSS_SELECTOR, "p.msg")]

    # -- logging in, as a person does
    def log_in(self, user: User, *, then: str | None = None) -> None:
        self.open("/accounts/login/")
        self.type(self.field("用户名"), user.username)
        self.type(self.field("密码"), PASSWORD)
        self.press(self.button("登录"))
        assert "/accounts/login/" not in self.path, self.text()
        if then is not None:
            self.open(then)

    # -- what we keep
    def screenshot(self, name: str) -> Path:
        """Keep the whole page as it looks now (not only the part in view) as NN-name.png."""
        self.steps += 1
        path = self.artifacts / f"{self.steps:02d}-{name}.png"
        self._capture(path)
        return path

    def keep_failure(self) -> str:
        """Keep the page as the test left it (failure.png, failure.html); say where the browser was."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        notes = []
        try:
            with contextlib.suppress(NoAlertPresentException):  # a dialogue open hides the page
                alert = self.driver.switch_to.alert
                notes.append(f"a dialogue was open: {alert.text}")
                alert.dismiss()
            where = self.driver.current_url
            (self.artifacts / "failure.html").write_text(
                f"<!-- {where} -->\n{self.driver.page_source}", encoding="utf-8"
            )
            self._capture(self.artifacts / "failure.png")
        except WebDriverException as exc:
            notes.append(f"the browser did not answer: {exc.msg}")
            where = "?"
        if notes:
            (self.artifacts / "failure.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")
        return f"at {where}; " + "; ".join([*notes, f"screenshot and page source in {self.artifacts}"])

    def _capture(self, path: Path) -> None:
        # Chromium's own full-page capture: the page is drawn beyond the viewport, which stays as it is.
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 10000), "scale": 1}
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


def _xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    return f'"{text}"'


@pytest.fixture
def browser(request, _browser_available, live_server, chromium) -> Browser:
    """The session's Chromium, logged out and desktop-sized, on the live server; steps kept per test."""
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    artifacts = ARTIFACTS / name
    shutil.rmtree(artifacts, ignore_errors=True)  # only this run's pictures of this test
    with contextlib.suppress(NoAlertPresentException):  # a dialogue a failed test left open
        chromium.switch_to.alert.dismiss()
    chromium.delete_all_cookies()
    page = Browser(chromium, live_server.url, artifacts)
    page.open("/health/")  # a page of this server, so the cookies left are its own and gone
    chromium.delete_all_cookies()
    page.viewport(*DESKTOP)
    return page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    page = getattr(item, "funcargs", {}).get("browser")
    # Setup and call: by teardown the session's browser may be gone (after the last test).
    if report.failed and report.when != "teardown" and isinstance(page, Browser):
        report.sections.append(("browser", page.keep_failure()))
    return report
