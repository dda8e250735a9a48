"""The 2-D Playground in real Chromium: spiral trains live, the boundary changes, and a click adds a point."""

import time

from tests.e2e.conftest import assert_no_exception

SPIRAL = "/playground2d?data=spiral&n1=8&n2=8&features=x1,x2,x1_sq,x2_sq,sin_x1,sin_x2&optimizer=adam"


def metric(page, label: str) -> str:
    """A number the page shows: a metric, or while training runs, the live board's."""
    box = page.locator('[data-testid="stMetric"], [data-testid="npLiveMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"], .np-metric-value').inner_text()


def live_output(page):
    """The live output picture: the first canvas of the last board (the loss chart follows it)."""
    return page.locator(".np-live").last.locator("canvas").first


def output_picture(page):
    """The output figure: the one chart with a heatmap (the diagram's pictures are images)."""
    return page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".heatmaplayer")).first


def snapshot(page, find) -> bytes:
    """A screenshot of the element `find(page)` locates, found again if a rerun replaced it meanwhile."""
    from playwright.sync_api import Error

    for _ in range(20):
        try:
            return find(page).screenshot(timeout=5000)
        except Error:  # detached by a rerun between finding and drawing it
            page.wait_for_timeout(300)
    return find(page).screenshot()


def test_spiral_trains_live_and_the_boundary_changes(page, app_url):
    page.goto(app_url + SPIRAL)
    page.get_by_text("Test loss").first.wait_for()
    page.locator(".heatmaplayer").first.wait_for()
    first_loss = float(metric(page, "Test loss"))
    before = snapshot(page, output_picture)
    page.get_by_role("button", name="Play", exact=False).click()
    page.get_by_role("button", name="Pause", exact=False).wait_for()
    live_output(page).wait_for()
    early = snapshot(page, live_output)
    deadline = time.time() + 60
    while float(metric(page, "Test loss")) > first_loss - 0.2:
        assert time.time() < deadline, metric(page, "Test loss")
        page.wait_for_timeout(500)
    # Many epochs went by live (how many the fall takes depends on the machine's speed between reads).
    assert int(metric(page, "Epoch").replace(",", "")) >= 10
    # The browser redraws the boundary as it moves (on a busy machine only every few seconds: pictures
    # wait ten round trips of the feed between redraws).
    deadline = time.time() + 30
    while snapshot(page, live_output) == early:
        assert time.time() < deadline, "the live output picture was not redrawn while training"
        page.wait_for_timeout(500)
    page.get_by_role("button", name="Pause", exact=False).click()
    page.get_by_role("button", name="Play", exact=False).wait_for()
    # The paused page draws its figure again (on a busy machine that can take a few seconds).
    deadline = time.time() + 20
    while snapshot(page, output_picture) == before:
        assert time.time() < deadline, "the output figure after the pause is the untrained one"
        page.wait_for_timeout(500)
    assert_no_exception(page)


def test_a_click_on_the_output_adds_a_point(page, app_url):
    page.goto(app_url + "/playground2d")
    page.get_by_text("Test loss").first.wait_for()
    page.locator(".heatmaplayer").first.wait_for()
    picture = output_picture(page)
    page.get_by_text("add an orange point").click()
    page.wait_for_timeout(500)
    box = picture.locator(".nsewdrag").first.bounding_box()
    # Near the plot's upper-left corner, where the circle set has no points of its own.
    page.mouse.click(box["x"] + box["width"] * 0.08, box["y"] + box["height"] * 0.08)
    page.get_by_text("1 point added, 0 removed").wait_for()
    # The address bar is written when the rerun ends, which can come a moment after the text shows.
    page.wait_for_function("() => window.location.search.includes('points=')", timeout=15000)
    assert "add=" not in page.url  # the URL keeps the points compressed
    assert_no_exception(page)
