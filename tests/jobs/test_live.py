"""Live feeds: tokens, what a view holds, how pictures travel, and the server's answer."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from playground.basics import playground2d as p2
from playground.figures.basics.playground2d import _LINK_BINS, network_scene, node_positions, output_scene
from playground.figures.training import curve_series
from playground.jobs import live
from playground.jobs.train import Config


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class FakeJob:
    """What a producer reads of a TrainingJob, set by hand."""

    def __init__(self, *, status="running", epoch=3, epochs=10, rows=None, frames=None, weights=None):
        self.id = 7
        self.status = status
        self.epoch = epoch
        self.fraction = 0.0
        self.config = Config(epochs=epochs)
        self.queue_position = None
        self.error = None
        self.device = "cpu"
        self.where = "cpu"
        self.weights = weights
        self._rows = rows or []
        self._frames = frames or []
        self.touched = 0

    def touch(self):
        self.touched += 1

    @property
    def progress(self):
        return self.epoch / self.config.epochs

    @property
    def rows(self):
        return len(self._rows)

    @property
    def history(self):
        columns = ["epoch", "train_loss", "val_loss", "train_acc", "val_acc", "samples_per_s", "seconds"]
        return pd.DataFrame(self._rows, columns=columns)

    def series(self, name):
        return [{k: v for k, v in f.items() if k != "blocks"} for f in self._frames] if name == "frame" else []

    def latest(self, name, default=None):
        return self._frames[-1] if name == "frame" and self._frames else default


# ---- feeds ---------------------------------------------------------------------------------------


def test_a_feed_answers_its_producer_until_closed_and_counts_as_watching_the_job():
    feeds, job, calls = live.Feeds(), FakeJob(), []
    token = feeds.open(lambda: calls.append(1) or {"status": "running", "n": len(calls)}, job=job)
    assert len(token) >= 24 and token in feeds
    assert feeds.read(token) == {"status": "running", "n": 1}
    assert job.touched == 1
    assert feeds.read("not-a-token") is None
    feeds.close(token)
    assert feeds.read(token) is None and len(feeds) == 0


def test_reads_close_together_share_one_answer_and_later_ones_ask_again():
    clock = Clock()
    feeds, calls = live.Feeds(clock=clock), []
    token = feeds.open(lambda: calls.append(1) or {"n": len(calls)})
    assert feeds.read(token) == {"n": 1}
    clock.now += live.SHARE_S / 2
    assert feeds.read(token) == {"n": 1}  # a second board on the same page, a moment later
    clock.now += live.SHARE_S
    assert feeds.read(token) == {"n": 2}


def test_a_feed_nobody_reads_is_dropped_after_its_time():
    clock = Clock()
    feeds = live.Feeds(ttl_s=10, clock=clock)
    old = feeds.open(lambda: {})
    clock.now = 5
    kept = feeds.open(lambda: {})
    clock.now = 12
    feeds.read(kept)
    feeds.open(lambda: {})  # opening sweeps
    assert old not in feeds and kept in feeds


def test_tokens_are_unguessable_and_distinct():
    feeds = live.Feeds()
    tokens = {feeds.open(lambda: {}) for _ in range(200)}
    assert len(tokens) == 200


def test_cached_computes_again_only_when_the_mark_or_status_changes():
    job, calls = FakeJob(), []
    cached = live.Cached(job, lambda j: calls.append(1) or {"n": len(calls)}, mark=lambda j: j.epoch)
    assert cached() == cached() == {"n": 1}
    job.epoch = 4
    assert cached() == {"n": 2}
    job.status = "paused"
    assert cached() == {"n": 3}


# ---- encodings -----------------------------------------------------------------------------------


@settings(deadline=None, derandomize=True, max_examples=40)
@given(arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 12)),
              elements=st.one_of(st.floats(-3, 3), st.just(math.nan))))
def test_a_picture_comes_back_within_one_step_of_the_scale_with_nan_transparent(values):
    image = live.picture(values, x=-1, y=-2, width=3, height=4)
    back = live.picture_values(image)
    assert back.shape == values.shape
    assert np.array_equal(np.isnan(back), np.isnan(values))
    finite = ~np.isnan(values)
    assert np.abs(back[finite] - np.clip(values[finite], -1, 1)).max(initial=0) <= 1 / 254 + 1e-12
    assert (image["x"], image["y"], image["w"], image["h"]) == (-1, -2, 3, 4)


def test_picture_codes_by_hand():
    image = live.picture(np.array([[-1.0, 0.0, 1.0, math.nan, 5.0]]), x=0, y=0, width=1, height=1)
    codes = np.frombuffer(__import__("base64").b64decode(image["data"]), dtype=np.uint8)
    assert codes.tolist() == [1, 128, 255, 0, 255]


def test_clean_rounds_and_turns_non_numbers_into_null():
    assert live.clean([1.23456789, math.nan, math.inf, -2]) == [1.23457, None, None, -2.0]
    json.dumps(live.clean(np.array([math.nan, 1.0])), allow_nan=False)


# ---- what pages' feeds hold ------------------------------------------------------------------------


def test_training_producer_holds_status_progress_speed_and_both_curves():
    rows = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.5 / e, "train_acc": 0.5 + e / 100,
             "val_acc": math.nan if e == 2 else 0.4 + e / 100, "samples_per_s": 1000.0 * e, "seconds": e}
            for e in (1, 2, 3)]
    job = FakeJob(rows=rows)
    view = live.training_producer(job)()
    assert view["status"] == "running" and view["epoch"] == 3 and view["epochs"] == 10
    assert view["progress"] == pytest.approx(0.3)
    assert view["fraction"] == 0.0
    assert view["speed"] == 3000.0
    loss = {s["name"]: s for s in view["charts"]["loss"]["series"]}
    assert loss["train"]["x"] == [1, 2, 3] and loss["train"]["y"] == pytest.approx([1, 0.5, 1 / 3], abs=1e-5)
    accuracy = {s["name"]: s for s in view["charts"]["accuracy"]["series"]}
    assert accuracy["validation"]["x"] == [1, 3]  # the missing value is left out, not drawn as 0
    json.dumps(view, allow_nan=False)


def test_curve_series_of_an_empty_history_has_empty_lines():
    charts = curve_series(FakeJob().history)
    assert all(not s["x"] for chart in charts.values() for s in chart["series"])


@pytest.fixture(scope="module")
def spiral():
    points = p2.make_points("spiral", n=200, seed=0)
    features = ["x1", "x2"]
    dataset = p2.training_dataset(points, features)
    spec = p2.network_spec(2, [4, 3], ["tanh", "tanh"])
    return dataset, spec, features


def test_the_2d_feed_shows_the_latest_frame_as_the_figures_would(spiral):
    dataset, spec, features = spiral
    net = p2.net_from_spec(spec, "classification", seed=3)
    frames = [{"epoch": 40, "train_loss": 0.5, "test_loss": 0.6, "blocks": [b.tolist() for b in net.blocks]}]
    rows = [{"epoch": e, "train_loss": 0.7, "val_loss": 0.8, "train_acc": math.nan, "val_acc": math.nan,
             "samples_per_s": math.nan, "seconds": 0.0} for e in (1, 2)]
    job = FakeJob(epoch=40, epochs=100_000, rows=rows, frames=frames)
    view = p2.live_producer(job, spec, dataset, "cross_entropy", features, past=[(0, 0.9, 0.95)])()
    assert view["metrics"] == {"Epoch": "40", "Training loss": "0.500", "Test loss": "0.600"}
    assert view["epoch"] == 40
    train = view["charts"]["loss"]["series"][0]
    assert train["x"] == [0, 1, 2, 40] and train["y"] == pytest.approx([0.9, 0.7, 0.7, 0.5])
    # Every unit's picture where `network_figure` puts it: inputs, 4, 3 and the output, top to bottom.
    grids = p2.neuron_grids(net, features, resolution=21)
    images = view["scenes"]["network"]["images"]
    expected = [unit for grid in grids for unit in grid]
    assert len(images) == len(expected) == 2 + 4 + 3 + 1
    for image, unit, (cx, cy) in zip(images, expected, [p for c in node_positions((2, 4, 3, 1)) for p in c]):
        assert np.abs(live.picture_values(image) - np.clip(unit, -1, 1)).max() <= 1 / 254 + 1e-9
        assert image["x"] + image["w"] / 2 == pytest.approx(cx) and image["y"] + image["h"] / 2 == pytest.approx(cy)
    # One line segment per weight, in colour bins; one bias marker per unit past the inputs.
    segments = sum(len(group["xy"]) // 4 for group in view["scenes"]["network"]["lines"])
    assert segments == 2 * 4 + 4 * 3 + 3 * 1
    assert len(view["scenes"]["network"]["lines"]) <= _LINK_BINS
    assert len(view["scenes"]["network"]["markers"][0]["x"]) == 4 + 3 + 1
    output = live.picture_values(view["scenes"]["output"]["images"][0])
    assert np.abs(output - p2.neuron_grids(net, features, resolution=51)[-1][0]).max() <= 1 / 254 + 1e-9
    json.dumps(view, allow_nan=False)


def test_the_2d_feed_shows_the_starting_weights_before_the_first_frame(spiral):
    dataset, spec, features = spiral
    net = p2.net_from_spec(spec, "classification", seed=0)
    start = p2.snapshot(net, 12, dataset, "cross_entropy")
    view = p2.live_producer(FakeJob(status="queued"), spec, dataset, "cross_entropy", features, past=[],
                            start=start)()
    assert view["status"] == "queued" and view["metrics"]["Epoch"] == "12"
    assert set(view["scenes"]) == {"network", "output"}


def test_scenes_alone_match_the_grids():
    grid = np.linspace(-1, 1, 9).reshape(3, 3)
    image = output_scene(grid)["images"][0]
    assert image["w"] == pytest.approx(12 + 6) and image["x"] == pytest.approx(-6 - 3)
    assert np.allclose(live.picture_values(image), grid, atol=1 / 254)
    blocks = [np.array([[1.0], [-1.0], [0.0]])]  # two inputs -> one output, bias 0
    scene = network_scene([np.zeros((2, 5, 5)), np.zeros((1, 5, 5))], blocks)
    colours = sorted(group["color"] for group in scene["lines"])
    assert colours == ["rgb(0,114,178)", "rgb(230,159,0)"]  # the weight -1 blue, +1 orange, at full width


# ---- the server's answer -------------------------------------------------------------------------


def _get(token: str, query: bytes = b""):
    from starlette.requests import Request

    from playground.ui.live import _endpoint

    request = Request({"type": "http", "method": "GET", "path": f"/api/live/{token}", "headers": [],
                       "query_string": query, "path_params": {"token": token}})
    response = _endpoint(request)
    return response.status_code, json.loads(response.body), response.headers


def test_the_endpoint_answers_a_feed_and_can_send_just_some_parts():
    token = live.FEEDS.open(lambda: {"status": "running", "charts": {"loss": 1, "accuracy": 2},
                                     "scenes": {"network": 3, "output": 4}, "epoch": 5})
    try:
        status, body, headers = _get(token)
        assert status == 200 and body["charts"] == {"loss": 1, "accuracy": 2}
        assert headers["cache-control"] == "no-store"
        _, body, _ = _get(token, b"only=loss,output")
        assert body == {"status": "running", "charts": {"loss": 1}, "scenes": {"output": 4}, "epoch": 5}
    finally:
        live.FEEDS.close(token)
    status, body, _ = _get(token)
    assert status == 404 and body == {"status": "gone"}


def test_the_app_serves_the_feeds():
    from playground.ui.live import routes

    assert [r.path for r in routes()][0] == "/api/live/{token}"


def test_a_job_keeps_every_series_value_but_only_the_newest_latest_one():
    from playground.jobs.train import TrainingJob
    from playground.jobs.worker import JobContext

    ctx = JobContext(1, {}, None, Config(epochs=3), device=None)
    job = TrainingJob(spec={}, dataset_name="x", config=Config(epochs=3), trainer="t", payload={})
    for epoch in (1, 2):
        ctx.series("frame", {"epoch": epoch})
        ctx.latest("frame", {"epoch": epoch, "blocks": [[float(epoch)]]})
        job._apply(ctx.take_update())
    assert job.series("frame") == [{"epoch": 1}, {"epoch": 2}]
    assert job.latest("frame") == {"epoch": 2, "blocks": [[2.0]]}
    assert job.latest("nothing", "none") == "none"
    assert ctx.take_update() == {}  # sent once
