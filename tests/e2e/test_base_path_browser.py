"""A server under a base path (as behind a school's reverse proxy at /school/np/): the pages open
there and the live boards find their feeds there too."""

from tests.e2e.conftest import Server, assert_no_exception


def test_a_live_board_trains_and_moves_under_a_base_path(browser, tmp_path):
    server = Server(tmp_path / "base.log", base_path="school/np")
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        feeds = []
        page.on("response", lambda r: feeds.append((r.url, r.status)) if "/api/live/" in r.url else None)
        page.goto(server.url + "/playground2d")
        page.get_by_text("Test loss").first.wait_for()
        page.get_by_role("button", name="Play", exact=False).click()
        page.get_by_role("button", name="Pause", exact=False).wait_for()
        epoch = page.locator('[data-testid="npLiveMetric"]').filter(has_text="Epoch").locator(".np-metric-value")
        page.wait_for_function("e => parseInt(e.innerText.replace(/,/g, '')) > 50", arg=epoch.element_handle())
        assert feeds, "the live board asked for nothing"
        assert all(url.startswith(server.url + "/api/live/") and status == 200 for url, status in feeds), feeds
        assert_no_exception(page)
    finally:
        context.close()
        server.stop()
