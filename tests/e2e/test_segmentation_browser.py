"""The segmentation page in real Chromium: Play trains the network live, and the board shows the mean IoU
and the true and predicted masks of the test scenes."""

import re

from tests.e2e.conftest import assert_no_exception, live_metric, wait_until


def test_play_paints_masks_and_shows_the_mean_iou(page, app_url):
    page.goto(app_url + "/segmentation?epochs=2&scenes=100")  # a short run: 2 epochs on 100 scenes
    page.get_by_text("Why not slide a classifier").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Play").click()
    page.locator(".np-live canvas").first.wait_for(timeout=30_000)  # the masks, drawn on a canvas
    wait_until(lambda: re.match(r"\d\.\d\d", live_metric(page, "Mean IoU")) is not None, timeout=40)
    # When the run ends the page shows its figures: the masks with their legend among them.
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 4",
                           timeout=40_000)
    assert_no_exception(page)
