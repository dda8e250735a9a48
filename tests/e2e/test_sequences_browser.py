"""The Sequences section in real Chromium: stepping through an RNN, the three recurrent networks racing on
the adding problem, a language model writing as it trains, and word embeddings answering an analogy."""

import re

from tests.e2e.conftest import assert_no_exception, live_metric, wait_until


def test_next_and_back_walk_the_rnn_forward_then_back_through_time(page, app_url):
    page.goto(app_url + "/rnn_steps?length=5")
    page.get_by_role("button", name="Next ▶").wait_for(timeout=60_000)
    for _ in range(5):  # through the forward pass, into backpropagation through time
        page.get_by_role("button", name="Next ▶").click()
        page.wait_for_timeout(400)
    page.get_by_text("Backward, step").first.wait_for()  # the first step back through time
    page.get_by_role("button", name="◀ Back").click()
    page.wait_for_timeout(400)
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 2
    assert_no_exception(page)


def test_the_three_networks_train_live_and_the_gates_are_drawn(page, app_url):
    page.goto(app_url + "/long_memory?length=10")
    page.get_by_text("Inside the LSTM").first.wait_for()
    page.get_by_role("button", name="Play").click()
    page.get_by_role("button", name="Pause").wait_for()
    page.locator(".np-live canvas").first.wait_for(timeout=60_000)
    # Pause once the first epoch has been measured: each network's test MSE is on the board.
    wait_until(lambda: re.match(r"\d", live_metric(page, "Test MSE, LSTM")) is not None, timeout=180)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 2",
                           timeout=120_000)
    assert_no_exception(page)


def test_the_language_model_writes_samples_while_it_trains(page, app_url):
    page.goto(app_url + "/language_model")
    page.get_by_text("What comes next?").first.wait_for()
    page.get_by_role("button", name="Play").click()
    page.get_by_role("button", name="Pause").wait_for()
    sample = page.locator('[data-testid="npLiveText"]').first
    sample.wait_for(timeout=60_000)
    wait_until(lambda: int(live_metric(page, "Step").replace(",", "") or 0) >= 100, timeout=120)
    wait_until(lambda: len(sample.inner_text().strip()) > 50, timeout=120)  # a sample has been written on the board
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    assert_no_exception(page)


def test_trained_word_embeddings_answer_king_minus_man_plus_woman(page, app_url):
    page.goto(app_url + "/word_embeddings")
    page.get_by_text("Word arithmetic").first.wait_for()
    page.get_by_role("button", name="Play").click()
    # The default run is a few seconds: it ends by itself and the page says it used the trained vectors.
    page.get_by_text("Using the trained vectors").first.wait_for(timeout=120_000)
    for label, word in (("a", "king"), ("− b", "man"), ("+ c", "woman")):
        box = page.get_by_label(label, exact=True)
        box.fill(word)
        box.press("Enter")
        page.wait_for_timeout(500)
    page.get_by_text("queen").first.wait_for(timeout=30_000)
    assert_no_exception(page)
