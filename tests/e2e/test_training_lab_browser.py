"""Training lab pages in real Chromium: the race animates when played."""

import re

from tests.e2e.conftest import assert_no_exception


def test_playing_the_race_moves_it_forward(page, app_url):
    page.goto(app_url + "/optimizers")
    page.get_by_text("After 200 steps").wait_for()
    page.get_by_role("button", name="Play").click()  # from the end, it starts again at step 0
    page.get_by_text(re.compile(r"After ([1-9][0-9]|1[0-9][0-9]) steps")).first.wait_for()
    # Pause holds it where it is; Play goes on from there to the end (200 steps at 20 a second).
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    held = page.get_by_text(re.compile(r"After \d+ steps")).first.inner_text()
    page.wait_for_timeout(1500)
    assert page.get_by_text(re.compile(r"After \d+ steps")).first.inner_text() == held
    page.get_by_role("button", name="Play").click()
    page.get_by_text("After 200 steps").wait_for()
    page.get_by_role("button", name="Play").wait_for()
    assert_no_exception(page)


# The first ancestor whose overflow hides part of the element (its class name), or null when all of it shows.
CLIPPED = """el => {
    const box = el.getBoundingClientRect();
    for (let up = el.parentElement; up; up = up.parentElement) {
        if (getComputedStyle(up).overflowX === "visible") continue;
        const area = up.getBoundingClientRect();
        if (box.left < area.left - 0.5 || box.right > area.right + 0.5) return up.className || up.tagName;
    }
    return null;
}"""


def test_the_race_fits_a_projector_and_adams_numbers_follow_the_step(page, app_url):
    for width, height in ((1280, 720), (1400, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(app_url + "/optimizers?optimizers=sgd,momentum,nesterov,adagrad,rmsprop,adam,adamw")
        page.get_by_text("After 200 steps").wait_for()
        for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"):
            pill = page.get_by_role("button", name=name, exact=True)
            assert pill.evaluate(CLIPPED) is None, (width, name, pill.evaluate(CLIPPED))
        page.get_by_text("Step t = 200,").wait_for()
    page.get_by_role("button", name="Play").click()
    # Adam's numbers follow the moving step (playing on to the end is the test above's).
    page.get_by_text(re.compile(r"Step t = ([1-9]|[1-9][0-9]|1[0-9][0-9]),")).first.wait_for()
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
