"""The character language model: it beats the unigram baseline after training (and not before), its
sampling and next-character probabilities match independent computations, and its trainer runs in the
pool with the loss, baseline, samples and weights a page needs. Figures are tested through their traces."""

import dataclasses
import math
import time

import numpy as np
import pytest
import torch

from playground.figures.sequences.charlm import loss_figure, loss_series, next_char_figure, readable_char
from playground.jobs.live import Cached
from playground.sequences import charlm
from playground.text import TextError, default_text
from tests.waiting import wait_for

SEEDS = (0, 1, 2)
SMALL = dict(hidden=64, embedding=16, window=32, batch_size=16, lr=0.01)  # trains in a third of a second


@pytest.fixture(scope="module")
def runs(one_thread):
    """Per seed: (text, untrained held-out loss, trained trainer) after 120 steps on 6,000 characters."""
    out = {}
    for seed in SEEDS:
        text = default_text(seed, chars=6_000)
        train, held = charlm.split_text(text)
        options = charlm.CharOptions(vocab=charlm.Vocabulary.from_text(text).chars, **SMALL)
        trainer = charlm.CharTrainer(options, train, held, seed=seed)
        untrained = trainer.held_out_loss()
        for _ in range(120):
            trainer.step()
        out[seed] = (text, untrained, trainer)
    return out


def test_unigram_entropy_by_hand():
    assert charlm.unigram_entropy("aaaa") == 0.0
    assert charlm.unigram_entropy("abab") == pytest.approx(math.log(2))
    assert charlm.unigram_entropy("aab") == pytest.approx(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3))
    assert charlm.bits(math.log(2)) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_training_beats_the_unigram_baseline_and_the_untrained_model_does_not(runs, seed):
    text, untrained, trainer = runs[seed]
    baseline = charlm.unigram_entropy(text)
    assert 2.9 < baseline < 3.3  # our text: about 3.1 nats per character
    assert untrained > baseline  # near ln V ≈ 4: no better than guessing among the characters
    assert trainer.held_out_loss() < baseline - 0.8  # held-out text: context is used, not memorized


def test_a_seed_repeats_a_run(runs):
    text, _, trained = runs[0]
    again = charlm.CharTrainer(trained.options, *charlm.split_text(text), seed=0)
    for _ in range(3):
        again.step()
    first = charlm.CharTrainer(trained.options, *charlm.split_text(text), seed=0)
    assert [first.step() for _ in range(3)] != []
    assert all(torch.equal(a, b) for a, b in zip(first.model.state_dict().values(), again.model.state_dict().values()))


def _greedy(model, vocab, prompt, length):
    """Argmax decoding written out independently: the whole text re-read at every step."""
    text = prompt
    with torch.no_grad():
        for _ in range(length):
            logits, _ = model(vocab.encode(text)[None])
            text += vocab.chars[int(logits[0, -1].argmax())]
    return text[len(prompt):]


def test_sampling_at_temperature_towards_zero_is_greedy(runs):
    _, _, trainer = runs[1]
    model, vocab = trainer.model, trainer.vocab
    greedy = _greedy(model, vocab, "The ", 60)
    assert charlm.sample(model, vocab, "The ", 60, temperature=0) == greedy
    assert charlm.sample(model, vocab, "The ", 60, temperature=1e-3, seed=5) == greedy
    hot = {charlm.sample(model, vocab, "The ", 60, temperature=1.5, seed=s) for s in range(3)}
    assert len(hot) == 3 and greedy not in hot  # high temperatures wander off the likeliest path
    assert charlm.sample(model, vocab, "The ", 60, temperature=1.5, seed=7) == charlm.sample(
        model, vocab, "The ", 60, temperature=1.5, seed=7)


def test_next_character_probabilities_are_the_softmax_of_the_models_logits(runs):
    _, _, trainer = runs[2]
    model, vocab = trainer.model, trainer.vocab
    prefix = "The cat likes "
    p = charlm.next_char_probabilities(model, vocab, prefix)
    assert p.shape == (len(vocab),) and p.sum() == pytest.approx(1.0, abs=1e-12)
    # Independently: the LSTM run by hand from its weights, one character at a time.
    lstm, w = model.rnn, {k: v.double() for k, v in model.rnn.state_dict().items()}
    h = c = torch.zeros(lstm.hidden_size, dtype=torch.float64)
    for ch in prefix:
        x = model.embed.weight[vocab.index[ch]].double()
        i, f, g, o = (w["weight_ih_l0"] @ x + w["bias_ih_l0"] + w["weight_hh_l0"] @ h + w["bias_hh_l0"]).chunk(4)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
    logits = (model.head.weight.double() @ h + model.head.bias.double()).detach()
    expected = np.exp(logits.numpy() - logits.numpy().max())
    np.testing.assert_allclose(p, expected / expected.sum(), atol=1e-6)
    assert vocab.chars[int(p.argmax())] in "abcdefghijklmnopqrstuvwxyz"  # after "likes ": a food's first letter


def test_characters_the_model_never_saw_get_a_clear_message(runs):
    _, _, trainer = runs[0]
    with pytest.raises(TextError, match=r"does not know 2 of these characters \('€', '\{'\)"):
        charlm.next_char_probabilities(trainer.model, trainer.vocab, "The € and {")
    with pytest.raises(TextError, match="at least one character"):
        charlm.next_char_probabilities(trainer.model, trainer.vocab, "")
    with pytest.raises(TextError, match="does not know"):
        charlm.sample(trainer.model, trainer.vocab, "€", 5)


def test_the_text_dataset_keeps_the_text():
    text = default_text(4, chars=3_000)
    data = charlm.text_dataset(text, window=32)
    train, held = charlm.split_text(text)
    vocab = charlm.Vocabulary(data.classes)
    got = vocab.decode(charlm._ids_of(data.x_train, data.y_train))
    assert train.startswith(got) and len(train) - len(got) < 32  # only the last partial window is left out
    assert held.startswith(vocab.decode(charlm._ids_of(data.x_test, data.y_test)))


def test_the_trainer_runs_in_the_pool_with_loss_baseline_samples_and_weights(pool):
    from playground.jobs import train

    text = default_text(0, chars=4_000)
    options = charlm.CharOptions(**SMALL, steps=60, sample_every=20, eval_every=20)
    job = train.start(**charlm.job_arguments(text, options, seed=3), pool=pool)
    assert job.wait(60) == "done", job.error
    history = job.history
    assert list(history["epoch"]) == list(range(61))
    assert history["val_loss"].notna().sum() == 4  # steps 0, 20, 40, 60
    assert charlm.job_baseline(job) == pytest.approx(charlm.unigram_entropy(text))
    samples = job.series("samples")
    # Every 20 steps (and after a wait, should the worker have turned to another job for a while).
    assert {0, 20, 40, 60} <= {s["step"] for s in samples} and samples[-1]["step"] == 60
    assert all(s["text"].startswith("The ") for s in samples)
    model, vocab = charlm.job_model(job)
    options = dataclasses.replace(options, vocab=vocab.chars)
    # The published weights are the trained model's: its held-out loss is the last one reported.
    held_ids = vocab.encode(charlm.split_text(text)[1])
    assert charlm.evaluate(model, held_ids, options.window) == pytest.approx(history["val_loss"].iloc[-1], rel=1e-4)
    view = charlm.live_producer(job)()
    assert view["metrics"]["Step"] == "60" and "nats" in view["metrics"]["Unigram baseline"]
    assert [s["name"] for s in view["charts"]["loss"]["series"]][-1].startswith("unigram baseline")
    assert view["texts"]["sample"].startswith("Step 60:\nThe ")
    assert isinstance(charlm.live_producer(job), Cached)


def test_a_paused_run_can_be_stepped_and_stopped(pool):
    from playground.jobs import train

    options = charlm.CharOptions(**SMALL, steps=5_000)
    job = train.start(**charlm.job_arguments(default_text(0, chars=3_000), options), pool=pool)
    assert wait_for(lambda: job.rows > 5, 30)
    job.pause()  # the status says paused at once; the worker stops at its next yield
    before = -1
    while job.rows != before:  # wait until no more rows arrive
        before = job.rows
        time.sleep(0.5)
    job.step(1)
    assert wait_for(lambda: job.rows == before + 1, 10)
    time.sleep(0.5)
    assert job.rows == before + 1 and job.status == "paused"
    # A sample is written on the step after a pause (the rows count step 0 too).
    assert job.series("samples")[-1]["step"] == job.history["epoch"].iloc[-1] == before
    job.stop()
    assert job.wait(10) == "stopped" and job.weights is not None


def test_bad_settings_are_refused_by_name():
    with pytest.raises(Exception, match="cell must be one of lstm, gru"):
        charlm.job_arguments(default_text(0, chars=1_000), charlm.CharOptions(cell="transformer"))


# ---- figures --------------------------------------------------------------------------------------------


def test_loss_figure_draws_training_held_out_and_the_baseline():
    history = {"epoch": list(range(101)), "train_loss": [4.0 - 0.02 * s for s in range(101)],
               "val_loss": [4.0 - 0.02 * s if s % 25 == 0 else float("nan") for s in range(101)]}
    import pandas as pd

    fig = loss_figure(pd.DataFrame(history), 3.0)
    names = [t.name for t in fig.data]
    assert names == ["training (running mean)", "held-out text"]
    assert list(fig.data[1].x) == [0, 25, 50, 75, 100]
    assert fig.layout.shapes[0].y0 == 3.0 and "3.00 nats (4.33 bits)" in fig.layout.annotations[0].text
    assert fig.data[0].y[0] == 4.0 and fig.data[0].y[-1] == pytest.approx(np.mean(history["train_loss"][-20:]))
    empty = loss_figure(pd.DataFrame({"epoch": [], "train_loss": [], "val_loss": []}), 3.0)
    assert any(a.text == "No steps yet" for a in empty.layout.annotations)
    lines = loss_series(pd.DataFrame(history), 3.0)
    assert [s["y"][0] for s in lines][-1] == 3.0 and lines[-1]["dash"]


def test_next_char_figure_shows_the_top_characters_readably_in_order():
    chars = " \nabc"
    p = np.array([0.4, 0.3, 0.05, 0.2, 0.05])
    fig = next_char_figure(chars, p, top=3)
    bar = fig.data[0]
    assert list(bar.y) == ["␣ (space)", "↵ (new line)", "b"]
    assert list(bar.x) == [0.4, 0.3, 0.2] and list(bar.text) == ["40.0%", "30.0%", "20.0%"]
    assert readable_char("\t") == "⇥ (tab)" and readable_char("\x07") == "U+0007" and readable_char("é") == "é"
