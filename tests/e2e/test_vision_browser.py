"""The Beyond classification pages in real Chromium: each renders its figures without an exception, stepping
moves through a transposed convolution and through non-maximum suppression, and a click on the YOLO grid
picks a cell."""

import pytest

from tests.e2e.conftest import assert_no_exception


def charts(page) -> int:
    return page.locator('[data-testid="stPlotlyChart"]').count()


@pytest.mark.parametrize("path, heading", [("transposed_conv", "Why checkerboards?"),
                                           ("iou_nms", "IoU & non-maximum suppression"),
                                           ("anchors", "Anchors")])
def test_the_page_draws_its_figures_and_steps(page, app_url, path, heading):
    page.goto(f"{app_url}/{path}")
    page.get_by_text(heading).first.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 1")
    before = page.inner_text("body")
    next_button = page.get_by_role("button", name="Next ▶")
    if next_button.count():
        next_button.first.click()
        page.wait_for_function("text => document.body.innerText !== text", arg=before, timeout=30_000)
    assert charts(page) >= 1
    assert_no_exception(page)


def test_a_click_on_the_yolo_grid_picks_that_cell(page, app_url):
    page.goto(app_url + "/yolo_grid?setting=ours")  # a 4 × 4 grid
    page.get_by_text("The YOLO grid").first.wait_for(timeout=60_000)
    chart = page.locator("[data-testid=stPlotlyChart]").first
    chart.locator(".nsewdrag").first.wait_for()
    box = chart.locator(".nsewdrag").first.bounding_box()
    # Each cell's centre is a clickable point: the cell in row 1, column 2 has its centre at (2.5, 1.5) cells.
    spot = box["x"] + box["width"] * 2.5 / 4, box["y"] + box["height"] * 1.5 / 4
    page.mouse.move(*spot)  # hover first, as a hand does: a freshly drawn chart may miss a bare click
    page.wait_for_timeout(300)
    page.mouse.click(*spot)
    page.get_by_text("Cell (row 1, column 2)").first.wait_for(timeout=30_000)
    assert page.get_by_label("Row (0–3)").input_value() == "1"
    assert page.get_by_label("Column (0–3)").input_value() == "2"
    assert_no_exception(page)
