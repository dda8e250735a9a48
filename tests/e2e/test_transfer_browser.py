"""Transfer learning in real Chromium: Play pretrains and then learns the new digits three ways on a live
board; when the run ends the page shows the curves, the lesson's table and the filters, without an exception."""

import re

from tests.e2e.conftest import assert_no_exception, live_metric, wait_until


def test_play_draws_the_three_ways_live_then_the_lesson(page, app_url):
    page.goto(app_url + "/transfer?sizes=5")
    page.get_by_text("How does it work?").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Play").click()
    page.locator(".np-live canvas").first.wait_for(timeout=60_000)
    wait_until(lambda: re.match(r"\d+%", live_metric(page, "Pretraining on 0–4")) is not None, timeout=60)
    page.get_by_text("What the run says").first.wait_for(timeout=60_000)  # the run ended: its figures
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 2",
                           timeout=30_000)  # the curves and the filters
    assert page.get_by_text(re.compile(r"With 5 images a class: from scratch \d+%")).count() >= 1
    assert_no_exception(page)
