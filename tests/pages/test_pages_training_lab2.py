"""The Training lab's regularization pages in AppTest: batch norm, dropout and regularization.

Each test presses the page's main button, lets the job run in the worker pool (re-running the page
until it finishes, as AppTest does not tick timed fragments), and checks what the page then shows.
"""

import time

from playground.jobs.live import FEEDS
from tests.pages.test_pages import open_page


def run_until_done(at, key: str, timeout: float = 120):
    """Re-run the page until the job under `key` finishes; one more run draws the finished page."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = at.session_state[key]
        if job.finished:
            break
        time.sleep(0.5)
        at.run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    job = at.session_state[key]
    assert job.status == "done", job.error
    return job


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_batch_norm_trains_both_networks_and_shows_both_modes():
    at = open_page("pages/batch_norm.py")
    assert any("untrained network" in c.value for c in at.caption)
    running = at.caption[[i for i, c in enumerate(at.caption) if "batch mean is" in c.value][0]].value
    at.select_slider(key="bn.epochs").set_value(5).run()
    at.button(key="bn.train").click().run()
    # While it trains the page draws nothing itself: its live board reads the job's feed.
    assert not at.metric and "bn.job.feed" in at.session_state
    token = at.session_state["bn.job.feed"][1]
    deadline = time.time() + 60
    while "metrics" not in (view := FEEDS.read(token) or {"status": "gone"}) and view["status"] == "running":
        assert time.time() < deadline, view
        time.sleep(0.2)
    if "metrics" in view:  # (a quick worker may already be done: then the page's own numbers follow)
        assert set(view["metrics"]) == {f"Validation accuracy, {kind} batch norm" for kind in ("without", "with")}
        assert len(view["charts"]["acc"]["series"]) == len(view["charts"]["loss"]["series"]) == 4
    run_until_done(at, "bn.job")
    assert "bn.job.feed" not in at.session_state  # closed once the run stopped
    shown = metrics(at)
    plain = float(shown["Validation accuracy, without batch norm"].rstrip("%"))
    normed = float(shown["Validation accuracy, with batch norm"].rstrip("%"))
    assert plain <= 20 and normed >= 85  # six sigmoid layers: stuck without batch norm, learning with it
    assert any("trained network with batch norm" in c.value for c in at.caption)
    after = next(c.value for c in at.caption if "batch mean is" in c.value)
    assert after != running  # the trained layer's running statistics replaced the untrained 0 and 1
    assert len(at.get("plotly_chart")) == 5  # two curves, before/after, running statistics, the two modes
    at.number_input(key="bn.example").set_value(7).run()
    assert any(c.value.startswith("Test digit 7") for c in at.caption)


def test_dropout_narrows_the_gap_and_resamples_its_mask():
    at = open_page("pages/dropout.py")
    mask_line = next(m.value for m in at.markdown if "switched off" in m.value)
    at.button(key="do.resample").click().run()
    assert next(m.value for m in at.markdown if "switched off" in m.value) != mask_line
    at.select_slider(key="do.epochs").set_value(50).run()
    at.button(key="do.train").click().run()
    run_until_done(at, "do.job")
    shown = metrics(at)
    plain = float(shown["Training − validation accuracy, without dropout"].rstrip("%"))
    dropped = float(shown["Training − validation accuracy, with dropout"].rstrip("%"))
    assert dropped < plain - 3, (plain, dropped)
    assert len(at.get("plotly_chart")) == 5  # two curves, boundaries, mask, averaging
    before = metrics(at)["Mean of the passes vs eval mode"]
    at.slider(key="do.passes").set_value(1000).run()
    assert not at.exception
    assert float(metrics(at)["Mean of the passes vs eval mode"].split("%")[0]) < 15
    assert metrics(at)["Mean of the passes vs eval mode"] != before


def test_regularization_penalties_early_stopping_and_augmentation():
    at = open_page("pages/regularization.py")
    assert any("Train all three" in i.value for i in at.info)
    at.button(key="reg.train.penalty").click().run()
    run_until_done(at, "reg.job.penalty")
    table = at.dataframe[0].value.set_index("network")
    zeros = table["weights near 0 (|w| ≤ 0.001)"]
    assert zeros["L1"] > 2 * zeros["L2"] and zeros["L1"] > 0.2

    at.radio(key="reg.part").set_value("Early stopping").run()
    at.slider(key="reg.patience").set_value(10).run()
    at.button(key="reg.train.early").click().run()
    job = run_until_done(at, "reg.job.early")
    shown = metrics(at)
    best_epoch = job.series("best")[0]["epoch"]
    restored = next(v for k, v in shown.items() if k.startswith(f"Validation loss, restored (epoch {best_epoch})"))
    last = next(v for k, v in shown.items() if k.startswith("Validation loss, last"))
    assert float(restored) < float(last)
    assert abs(float(restored) - job.series("best")[0]["val_loss"]) < 1e-3

    at.radio(key="reg.part").set_value("Data augmentation").run()
    examples = at.get("plotly_chart")[0].proto.spec
    at.button(key="reg.resample").click().run()
    assert at.get("plotly_chart")[0].proto.spec != examples  # new random copies
    for kind in ("shift", "flip", "rotate", "noise"):
        at.checkbox(key=f"reg.{kind}").uncheck().run()
    assert any("at least one" in w.value for w in at.warning)
    at.checkbox(key="reg.shift").check().run()
    at.checkbox(key="reg.flip").check().run()
    at.button(key="reg.train.aug").click().run()
    run_until_done(at, "reg.job.aug")
    shown = metrics(at)
    plain = float(shown["Validation accuracy, no augmentation"].rstrip("%"))
    augmented = float(shown["Validation accuracy, shift + flip"].rstrip("%"))
    assert augmented > plain + 3


def test_dropouts_averaging_caption_says_pytorch_scales_in_training_not_in_eval():
    import torch

    at = open_page("pages/dropout.py")
    caption = next(c.value for c in at.caption if c.value.startswith("Each mask picks a thinned network"))
    assert "weights scaled" not in caption  # eval mode does not scale anything
    assert "nothing rescaled" in caption and "scales in training" in caption and "1/(1 − p)" in caption
    # What the caption claims, checked on PyTorch itself: kept units ×1/(1 − p) in training, untouched in eval.
    layer, x = torch.nn.Dropout(p=0.2), torch.ones(10_000)
    kept = layer.train()(x)
    assert set(kept.unique().tolist()) == {0.0, 1.25}
    assert torch.equal(layer.eval()(x), x)
