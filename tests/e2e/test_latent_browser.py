"""Latent space pages in real Chromium: train a small autoencoder, then decode points of its map."""

import re

from tests.e2e.conftest import assert_no_exception

DECODED = re.compile(r"Decoded from \((-?[0-9.]+), (-?[0-9.]+)\)")


def _decoded_point(page) -> tuple[float, float]:
    text = page.get_by_text(DECODED).first.inner_text()
    x, y = DECODED.search(text).groups()
    return float(x), float(y)


def test_train_an_autoencoder_then_pick_latent_points_to_decode(page, app_url):
    page.goto(app_url + "/autoencoder?epochs=5")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Trained. Explore its codes").wait_for(timeout=120_000)
    assert page.get_by_text("reconstruction after epoch 5").count() == 1
    assert_no_exception(page)

    page.get_by_role("link", name="Open Latent map & walks").click()
    page.get_by_text("The map of codes").wait_for()
    page.get_by_text(DECODED).first.wait_for()
    start = _decoded_point(page)

    # A click on the map, away from the middle, selects a point of the faint grid: decode it.
    chart = page.locator("[data-testid=stPlotlyChart]").first
    chart.locator(".nsewdrag").first.wait_for()
    box = chart.locator(".nsewdrag").first.bounding_box()
    spot = box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.1
    page.mouse.move(*spot)  # hover first, as a hand does: a freshly drawn chart may miss a bare click
    page.wait_for_timeout(300)
    page.mouse.click(*spot)
    page.wait_for_function(
        "(start) => { const m = document.body.innerText.match(/Decoded from \\((-?[0-9.]+), (-?[0-9.]+)\\)/);"
        " return m && (Number(m[1]) !== start[0] || Number(m[2]) !== start[1]); }", arg=list(start))
    clicked = _decoded_point(page)
    assert clicked[0] > start[0] and clicked[1] > start[1]  # up and to the right of the middle

    # The first slider moves the point along z₁ with the keyboard, as a person could.
    slider = page.get_by_role("slider").first
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_function(
        "(x) => { const m = document.body.innerText.match(/Decoded from \\((-?[0-9.]+), (-?[0-9.]+)\\)/);"
        " return m && Number(m[1]) < x; }", arg=clicked[0])
    assert _decoded_point(page)[1] == clicked[1]
    assert_no_exception(page)
