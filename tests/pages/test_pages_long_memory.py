"""The RNN vs LSTM vs GRU page in AppTest: it renders at every length, and Play trains the three side by
side in the worker pool (live feed with the mean's baseline, pause, the finished curves and the trained
LSTM's gates)."""

import json
import time

from playground.jobs.live import FEEDS
from playground.sequences import memory
from tests.pages.test_pages import open_page, texts
from tests.waiting import wait_for

PAGE = "pages/long_memory.py"
JOB = "mem.job"


def gates_spec(at) -> dict:
    return json.loads(at.get("plotly_chart")[-1].proto.spec)


def steps_drawn(at) -> int:
    """The number of time steps (columns) of the gates figure's first heatmap."""
    z = next(t for t in gates_spec(at)["data"] if t["type"] == "heatmap")["z"]
    return int(z["shape"].split(",")[1]) if isinstance(z, dict) else len(z[0])


def test_every_length_renders_with_its_example_and_the_untrained_gates():
    at = open_page(PAGE)
    assert at.select_slider(key="mem.length").value == memory.PROMISED_LENGTH
    for length in memory.LENGTHS:
        at.select_slider(key="mem.length").set_value(length).run()
        assert not at.exception, [e.value for e in at.exception]
        shown = texts(at)
        assert f"{length} steps; marked:" in shown and "the untrained LSTM" in shown
        heatmaps = [t for t in gates_spec(at)["data"] if t["type"] == "heatmap"]
        assert len(heatmaps) == 4 and steps_drawn(at) == length  # units × time steps
    assert "1/6 ≈ 0.167" in texts(at) and f"length **{memory.PROMISED_LENGTH}**" in texts(at)


def test_play_trains_the_three_in_the_pool_with_a_live_board_pause_and_the_trained_gates():
    at = open_page(PAGE)
    at.select_slider(key="mem.length").set_value(10).run()
    at.button(key="mem.play").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = at.session_state[JOB]
    assert job.trainer == "variants" and [v["name"] for v in job.options["variants"]] == ["RNN", "LSTM", "GRU"]
    assert job.options["watch"] == ["LSTM"] and job.config.epochs == memory.EPOCHS
    # The live feed: each network's test MSE and the curves, with the mean's dotted baseline.
    token = at.session_state[f"{JOB}.feed"][1]
    assert wait_for(lambda: "metrics" in (FEEDS.read(token) or {}) or job.finished, 60)
    view = FEEDS.read(token)
    if view is not None and "metrics" in view:
        assert {"Test MSE, RNN", "Test MSE, LSTM", "Test MSE, GRU"} <= set(view["metrics"])
        assert view["charts"]["mse"]["series"][-1]["name"] == "predict the mean: 0.167"
    # ... and the LSTM's gates over the page's test sequence, from its latest weights, every epoch.
    assert wait_for(lambda: "gates" in (FEEDS.read(token) or {}).get("scenes", {}) or job.finished, 60)
    view = FEEDS.read(token)
    if view is not None and "scenes" in view:
        images = view["scenes"]["gates"]["images"]
        assert len(images) == 4 and images[0]["cols"] == 10 and images[0]["rows"] == 12
        assert int(view["metrics"]["Gates drawn after epoch"]) >= 0
    # Pause: the page shows the curves so far and the LSTM's latest weights' gates.
    assert wait_for(lambda: job.latest("weights: LSTM") is not None or job.finished, 60)
    if not job.finished:
        at.button(key="mem.play").click().run()
        assert wait_for(lambda: job.status in ("paused", "done"), 30), job.status
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if job.status == "paused":
            assert "the LSTM as it trains (after epoch" in texts(at)
            assert at.button(key="mem.play").label == "Play"
            at.button(key="mem.play").click().run()  # resume
    assert job.wait(120) == "done", job.error
    time.sleep(0.2)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    mse = {name: float(shown[f"Test MSE, {name}"].split()[0]) for name in ("RNN", "LSTM", "GRU")}
    assert max(mse.values()) < memory.LEARNED_BELOW, mse  # at length 10 all three learn
    assert "the trained LSTM (seed 0, length 10)" in texts(at)
    curves = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in curves["data"]][-1] == "predict the mean: 0.167"
    # The trained gates stay those of length 10 while the length control moves on.
    at.select_slider(key="mem.length").set_value(25).run()
    assert "the trained LSTM (seed 0, length 10)" in texts(at)
    assert steps_drawn(at) == 10
    at.number_input(key="mem.sequence").set_value(5).run()
    assert "test sequence 5" in texts(at)
    # Reset clears the run; the untrained network's gates come back.
    at.button(key="mem.reset").click().run()
    assert JOB not in at.session_state and "the untrained LSTM" in texts(at)
    # The three are among the session's runs, for Compare runs.
    runs = at.session_state["runs"]
    assert {f"{job.name}: {name}" for name in ("RNN", "LSTM", "GRU")} <= set(runs)
    assert runs[f"{job.name}: LSTM"].spec["layers"][0]["type"] == "lstm"
    at.switch_page("pages/compare_runs.py").run()
    assert not at.exception, [e.value for e in at.exception]
