"""The detector page in real Chromium: Play trains it live, the board shows the test mAP and the scenes, and
the finished run shows its boxes labelled with class and score."""

import re

from tests.e2e.conftest import assert_no_exception, live_metric, wait_until


def test_play_trains_the_detector_live_and_its_boxes_appear(page, app_url):
    # A short run (4 epochs on 1,000 scenes, about 6 s on a quiet machine): confident boxes on the test scenes.
    page.goto(app_url + "/detector?epochs=4&scenes=1000")
    page.get_by_text("The loss, term by term").first.wait_for()
    page.get_by_role("button", name="Play").click()
    page.locator(".np-live canvas").first.wait_for(timeout=30_000)
    wait_until(lambda: re.match(r"\d\.\d\d", live_metric(page, "Test mAP@0.5")) is not None, timeout=40)
    assert page.locator(".np-live canvas").count() >= 6  # two charts and four scenes
    # When the run ends the page shows the figures: boxes written "class score" on the test scenes.
    page.get_by_text(re.compile(r"(square|circle|triangle|cross) [01]\.\d\d")).first.wait_for(timeout=40_000)
    assert_no_exception(page)
