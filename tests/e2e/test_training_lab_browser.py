"""Training lab pages in real Chromium: the race animates when played."""

import re

from tests.e2e.conftest import assert_no_exception


def test_playing_the_race_moves_it_forward(page, app_url):
    page.goto(app_url + "/optimizers")
    page.get_by_text("After 200 steps").wait_for()
    page.get_by_role("button", name="▶ Play").click()  # from the end, it starts again at step 0
    page.get_by_text(re.compile(r"After ([1-9][0-9]|1[0-9][0-9]) steps")).first.wait_for()
    page.get_by_text("After 200 steps").wait_for()
    page.get_by_role("button", name="▶ Play").wait_for()
    assert_no_exception(page)


def test_initialization_page_draws_its_charts(page, app_url):
    page.goto(app_url + "/initialization?activation=sigmoid&scheme=small_normal")
    page.get_by_text("Gradient norm of each layer").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 3")
    assert_no_exception(page)


def test_initialization_trains_a_few_epochs_and_steps_through_them(page, app_url):
    page.goto(app_url + "/initialization")
    page.get_by_role("button", name="Train a few epochs").click()
    page.get_by_text("Show the layers after epoch").wait_for(timeout=90_000)
    page.get_by_text("Each layer's gradient norm, epoch by epoch").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 7")
    assert_no_exception(page)
