"""A reload in real Chromium: the run training on Build & Train is still there afterwards, and live."""

import re
import time

from tests.e2e.conftest import Server, assert_no_exception

EPOCH = re.compile(r"epoch (\d+) of 300")


def shown_epoch(page) -> int:
    match = EPOCH.search(page.inner_text("body"))
    return int(match.group(1)) if match else -1


def wait_for_epoch_past(page, epoch: int, timeout: float = 60) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline:
        shown = shown_epoch(page)
        if shown > epoch:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"the epoch shown did not pass {epoch}: {page.inner_text('body')[-1500:]}")


def test_a_reload_mid_run_finds_the_run_still_training_and_live(browser, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_RUN_STORE_DIR", str(tmp_path / "store"))
    server = Server(tmp_path / "reload.log")  # its own store, in a folder of the test
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(server.url + "/build_train?epochs=300")
        page.get_by_text(re.compile(r"[\d,]+ parameters")).first.wait_for()
        page.get_by_role("button", name="Train", exact=True).click()
        before = wait_for_epoch_past(page, 1)

        [cookie] = [c for c in context.cookies() if c["name"] == "np_token"]
        assert cookie["sameSite"] == "Strict" and cookie["expires"] > time.time() + 300 * 86400
        assert cookie["value"] not in page.url  # the token never travels in a link

        page.reload()
        page.get_by_text(re.compile(r"[\d,]+ parameters")).first.wait_for()
        after = wait_for_epoch_past(page, before)  # the same run, past where it was: still training
        later = wait_for_epoch_past(page, after)  # and the board keeps moving without a click
        assert later > after > before
        assert "lenet5 on digits" in page.inner_text("body")
        assert_no_exception(page)

        page.get_by_role("button", name="Stop", exact=True).click()
        page.get_by_text(re.compile(r"stopped")).first.wait_for()
        assert_no_exception(page)
    finally:
        context.close()
        server.stop()
    assert (tmp_path / "store" / "runs.sqlite3").exists()
