"""One `streamlit run` server for the whole test run, and headless Chromium driven by Playwright."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Under a loaded CI machine a rerun can take longer than expect's own 5 s to redraw a widget.
expect.set_options(timeout=30_000)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `streamlit run app.py` process on a free local port, logging to a file."""

    def __init__(self, log: Path, *, base_path: str = ""):
        """`base_path`: serve the app under http://host:port/<base_path>/ (as behind a school's proxy);
        `url` is then that address."""
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}" + (f"/{base_path}" if base_path else "")
        self.log = log
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             *(["--server.baseUrlPath", base_path] if base_path else [])],
            cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/_stcore/health", timeout=1).read().strip() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start; see {log}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("server") / "streamlit.log")
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (a new Streamlit session) with a large window."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def live_metric(page, label: str) -> str:
    """A number the live board shows while a run trains."""
    box = page.locator('[data-testid="npLiveMetric"]').filter(has_text=label).first
    return box.locator(".np-metric-value").inner_text()


def wait_until(condition, timeout: float) -> None:
    """Poll `condition()` every quarter second until it holds; fail after `timeout` seconds."""
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.25)


def assert_no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback (most recent call last)" not in page.inner_text("body")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed browser test, add what the page showed then (its text, and the server's last lines)
    to the report, so that a failure in CI can be read without running it again."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or page is None:
        return
    try:
        shown = page.inner_text("body", timeout=5_000)
        report.sections.append(("page text at the failure", f"{page.url}\n{shown[-4000:]}"))
    except Exception as e:  # noqa: BLE001 - the page itself may be gone
        report.sections.append(("page text at the failure", f"not readable: {e}"))


def pytest_collection_modifyitems(items):
    """A browser test that fails runs once more before it counts as failed (the summary lists every rerun):
    on a loaded two-core machine a redraw can miss a wait by a moment. A real defect fails twice."""
    for item in items:
        if item.nodeid.startswith("tests/e2e/"):
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))
