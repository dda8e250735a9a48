"""Explain & attack pages in real Chromium, from a fresh browser session with the bundled example model."""

import re

from tests.e2e.conftest import assert_no_exception


def test_moving_epsilon_changes_the_shown_prediction(page, app_url):
    # A fresh session has no models of its own: the picker offers the bundled examples only.
    page.goto(app_url + "/adversarial?epsilon=0.0")
    verdict = page.locator('[data-testid="stAlert"]').filter(has_text=re.compile("Still|changed its mind"))
    verdict.first.wait_for()
    assert "Still" in verdict.first.inner_text()  # ε = 0: the true class stands
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(30):  # to ε = 0.3
        slider.press("ArrowRight")
    page.get_by_text("changed its mind").first.wait_for()
    assert_no_exception(page)


def test_saliency_maps_render_for_the_example_model(page, app_url):
    page.goto(app_url + "/saliency")
    page.get_by_text("Integrated Gradients adds up").first.wait_for()
    # the input picture and the grid of maps, one panel per method
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 2")
    page.get_by_text("Grad-CAM").first.wait_for()
    assert_no_exception(page)
