"""The Training lab's regularization pages in real Chromium: the main buttons train in the worker pool
and the charts and figures they feed appear."""

import re

from tests.e2e.conftest import assert_no_exception


def charts(page) -> int:
    return page.locator('[data-testid="stPlotlyChart"]').count()


def test_batch_norm_trains_both_and_shows_the_trained_layers(page, app_url):
    page.goto(app_url + "/batch_norm?epochs=5")
    page.get_by_text("This is the untrained network").wait_for()
    # before/after, running statistics, the two modes
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 3")
    page.get_by_role("button", name="Train both").click()
    page.get_by_text("Validation accuracy, with batch norm").wait_for()
    page.get_by_text("This is the trained network with batch norm.").wait_for(timeout=90_000)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 5")
    assert_no_exception(page)


def test_dropout_resamples_its_mask_and_trains_both(page, app_url):
    page.goto(app_url + "/dropout?epochs=50")
    page.get_by_text("mask number 1:").wait_for()
    page.get_by_role("button", name="🎲 Draw a new mask").click()
    page.get_by_text("mask number 2:").wait_for()
    page.get_by_role("button", name="Train both").click()
    page.get_by_text("Training − validation accuracy, with dropout").wait_for()
    page.get_by_text("What each network learned").wait_for(timeout=90_000)
    assert charts(page) >= 5
    assert_no_exception(page)


def test_regularization_runs_each_experiment(page, app_url):
    page.goto(app_url + "/regularization")
    page.get_by_role("button", name="Train all three").click()
    page.get_by_text("Counts on a log scale").wait_for(timeout=90_000)
    page.get_by_text("Early stopping", exact=True).click()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"Validation loss, restored \(epoch \d+\)")).wait_for(timeout=90_000)
    page.get_by_text("Data augmentation", exact=True).click()
    page.get_by_role("button", name="Train with and without").click()
    page.get_by_text("Validation accuracy, no augmentation").wait_for(timeout=90_000)
    assert_no_exception(page)
