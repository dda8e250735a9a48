"""The YOLO-style detector: its loss terms against a hand computation, its output read back by yolo.decode
(a perfect output finds every box, AP = 1), three seeds of the page's default run reaching mAP@0.5 ≥ 0.7
where the untrained network stays below 0.1, and the registered trainer in the pool. Figures through their
traces."""

import dataclasses
import json
import math

import pytest
import torch

from playground.figures.vision.detection import (
    boxes_scene,
    detections_figure,
    loss_terms_figure,
    map_series,
    term_series,
)
from playground.jobs.live import Cached
from playground.models import build, output_shape
from playground.scenes import make_scene_split
from playground.vision import boxes as bx
from playground.vision import detection, yolo
from tests.waiting import wait_for

SEEDS = (0, 1, 2)
DEFAULTS = detection.DetectorOptions()


def _logit(p: torch.Tensor) -> torch.Tensor:
    p = p.clamp(1e-6, 1 - 1e-6)
    return torch.log(p) - torch.log1p(-p)


def perfect_raw(target: torch.Tensor, B: int) -> torch.Tensor:
    """The raw network output (N, B·5 + C, S, S) whose activations give back `target` (N, S, S, B·5 + C):
    logits of x, y, √w, √h and confidence, and class logits of ±30 (a softmax of one-hot)."""
    slots = target[..., : B * 5].reshape(*target.shape[:3], B, 5).clone()
    slots[..., 2:4] = slots[..., 2:4].sqrt()
    raw = torch.cat([_logit(slots).flatten(-2), (target[..., B * 5:] * 2 - 1) * 30], dim=-1)
    return raw.permute(0, 3, 1, 2)


def _by_corner(boxes: torch.Tensor) -> torch.Tensor:
    return torch.argsort(boxes[:, 1] * 1000 + boxes[:, 0])


# ---- the loss, by hand ----------------------------------------------------------------------------------


def test_loss_terms_match_a_hand_computation():
    # S = 2, B = 1, C = 2; raw zeros: every sigmoid is 0.5 and both class probabilities 0.5.
    target = torch.zeros(2, 2, 2, 7)
    target[:, 0, 0] = torch.tensor([0.25, 0.75, 0.16, 0.36, 1.0, 0.0, 1.0])
    terms = detection.loss_terms(torch.zeros(2, 7, 2, 2), target, B=1)
    assert terms["coord_xy"].item() == pytest.approx(5 * ((0.5 - 0.25) ** 2 + (0.5 - 0.75) ** 2))  # 0.625
    assert terms["coord_wh"].item() == pytest.approx(5 * ((0.5 - 0.4) ** 2 + (0.5 - 0.6) ** 2))  # 0.1
    assert terms["object"].item() == pytest.approx(0.25)
    assert terms["no_object"].item() == pytest.approx(0.5 * 3 * 0.25)  # three empty cells
    assert terms["classes"].item() == pytest.approx(math.log(2))
    # One more number moved: slot confidence logit ln 3 in the object's cell → sigmoid 0.75.
    raw = torch.zeros(1, 7, 2, 2)
    raw[0, 4, 0, 0] = math.log(3)
    assert detection.loss_terms(raw, target[:1], B=1)["object"].item() == pytest.approx(0.0625)
    assert detection.loss_terms(raw, target[:1], B=1, lambda_noobj=0.0)["no_object"].item() == 0.0


def test_a_perfect_output_has_zero_loss_and_decodes_to_the_boxes_with_ap_one():
    train, test = make_scene_split(1, 20, seed=4)
    options = dataclasses.replace(DEFAULTS, S=8)  # 8×8 cells: no box of these scenes shares a cell
    targets = torch.stack([yolo.encode(b, lab, S=8, B=2, C=4, image_size=64)
                           for b, lab in zip(test.boxes, test.labels)])
    raw = perfect_raw(targets, 2)
    terms = detection.loss_terms(raw, targets, B=2)
    assert sum(v.item() for v in terms.values()) < 1e-6
    outputs = detection.to_output(raw, 2)
    assert torch.allclose(outputs[..., :10], targets[..., :10], atol=1e-4)
    occupied = targets[..., 4] + targets[..., 9] > 0  # the class probabilities count only where a box is
    assert torch.allclose(outputs[..., 10:][occupied], targets[..., 10:][occupied], atol=1e-4)
    found = detection.detections(outputs, S=8, B=2, C=4, threshold=0.5)
    for got, boxes, labels in zip(found, test.boxes, test.labels):
        assert len(got) == len(boxes)
        mine, theirs = _by_corner(got.boxes), _by_corner(boxes)  # decode goes cell by cell
        assert torch.allclose(got.boxes[mine], boxes[theirs], atol=1e-2)
        assert torch.equal(got.labels[mine], labels[theirs])
    truth = list(zip(test.boxes, test.labels))
    curves = bx.precision_recall(found, truth, 0.5, num_classes=4)
    assert bx.mean_ap(curves) == 1.0
    assert detection.evaluate_outputs(outputs, truth, options=options, classes=test.classes).map50 == 1.0


def test_flipped_targets_are_the_targets_of_the_flipped_scenes():
    _, test = make_scene_split(1, 30, seed=2)
    flipped_boxes = [torch.stack([64 - b[:, 2], b[:, 1], 64 - b[:, 0], b[:, 3]], 1) for b in test.boxes]
    for S in (4, 8):
        for boxes, flipped, labels in zip(test.boxes, flipped_boxes, test.labels):
            if any(yolo.assign(b, labels, S=S, B=2, image_size=64).dropped for b in (boxes, flipped)):
                continue  # a centre on a cell edge changes cells when mirrored: encode may drop a box there
            mine = detection.flip_targets(yolo.encode(boxes, labels, S=S, B=2, C=4, image_size=64)[None], 2)[0]
            got = detection.detections(mine[None], S=S, B=2, C=4, threshold=0.5)[0]
            expected = yolo.encode(flipped, labels, S=S, B=2, C=4, image_size=64)
            want = detection.detections(expected[None], S=S, B=2, C=4, threshold=0.5)[0]
            assert torch.allclose(got.boxes[_by_corner(got.boxes)], want.boxes[_by_corner(want.boxes)], atol=1e-4)


def test_the_network_is_a_spec_ending_in_the_grid():
    for S in detection.GRIDS:
        spec = detection.detector_spec(dataclasses.replace(DEFAULTS, S=S))
        assert output_shape(spec) == [2 * 5 + 4, S, S]
        assert {layer["type"] for layer in spec["layers"]} == {"conv2d", "batchnorm", "leaky_relu", "maxpool2d"}
        assert build(spec)(torch.zeros(1, 3, 64, 64)).shape == (1, 14, S, S)


def test_bad_settings_are_refused_by_name():
    with pytest.raises(Exception, match="S must be one of 4, 8"):
        detection.job_arguments(detection.DetectorOptions(S=5))
    with pytest.raises(Exception, match="lr must be above 0"):
        detection.DetectorOptions(lr=0).validate()


# ---- learning: three seeds of the page's default run -------------------------------------------------------


@pytest.fixture(scope="module")
def runs(one_thread):
    """Per seed: (untrained mAP@0.5, trained trainer), the page's default options, one shared set of scenes."""
    data = detection.scene_data(DEFAULTS)
    out = {}
    for seed in SEEDS:
        trainer = detection.DetectorTrainer(DEFAULTS, data, seed=seed)
        untrained = trainer.evaluate().map50
        out[seed] = (untrained, trainer.train())
    return out


def _each_seed(runs) -> dict:
    return {seed: round(trainer.evaluate().map50, 3) for seed, (_, trainer) in runs.items()}


@pytest.mark.parametrize("seed", SEEDS)
def test_the_default_run_reaches_map_0_7_and_the_untrained_detector_stays_below_0_1(runs, seed):
    untrained, trainer = runs[seed]
    assert untrained < 0.1, {s: round(u, 3) for s, (u, _) in runs.items()}
    found = trainer.evaluate()
    assert found.map50 >= 0.7, (f"seed {seed}: mAP@0.5 {found.map50:.3f}, per class "
                                f"{[round(c.ap, 3) for c in found.curves]}; every seed: {_each_seed(runs)}")
    assert all(c.ap > 0.4 for c in found.curves)  # every class is found, not only the easy ones


def test_trained_raw_boxes_need_nms(runs):
    _, trainer = runs[0]
    found = trainer.evaluate()
    truth = trainer.truth
    without = bx.mean_ap(bx.precision_recall(found.raw, truth, 0.5, num_classes=4))
    assert without < found.map50  # duplicates count as wrong until NMS removes them
    assert sum(len(d) for d in found.raw) > sum(len(b) for b, _ in truth)


# ---- the job ----------------------------------------------------------------------------------------------


SMALL = detection.DetectorOptions(train_scenes=64, test_scenes=8, epochs=3, width=8, batch_size=16)


def test_the_trainer_runs_in_the_pool_streams_every_term_and_stops(pool):
    from playground.jobs import train

    job = train.start(**detection.job_arguments(SMALL, seed=1), pool=pool)
    assert job.wait(60) == "done", job.error
    history = job.history
    assert list(history["epoch"]) == [0, 1, 2, 3]
    for column in (*detection.TERMS, "total"):
        assert history[column].iloc[1:].notna().all() and math.isnan(history[column].iloc[0])
    assert history["total"].iloc[1:].to_numpy() == pytest.approx(
        history[list(detection.TERMS)].iloc[1:].sum(axis=1).to_numpy())
    assert history["test_map"].between(0, 1).all()
    assert len(job.series("boxes")) == 4 and job.series("shown")[0]["images"].shape == (4, 3, 64, 64)
    model = detection.job_model(job)
    data = detection.scene_data(SMALL)
    outputs = detection.to_output(model(data.x_test), SMALL.B).detach()
    mine = detection.evaluate_outputs(outputs, detection.test_truth(data), options=SMALL, classes=data.classes)
    assert mine.map50 == pytest.approx(history["test_map"].iloc[-1], abs=1e-6)  # the published weights
    producer = detection.live_producer(job)
    assert isinstance(producer, Cached)
    view = producer()
    assert view["metrics"]["Epoch"] == "3" and set(view["scenes"]) == {f"scene{k}" for k in range(4)}
    assert [s["name"] for s in view["charts"]["terms"]["series"]][-1] == "total"
    json.dumps(view, allow_nan=False)  # what the browser reads: plain JSON, no NaN

    long = train.start(**detection.job_arguments(dataclasses.replace(SMALL, epochs=200), dataset=data), pool=pool)
    assert wait_for(lambda: long.rows >= 2, 60)
    long.stop()
    assert long.wait(10) == "stopped" and long.rows < 201


# ---- figures ----------------------------------------------------------------------------------------------


HISTORY = {"epoch": [0, 1, 2], **{t: [math.nan, 2.0, 1.0] for t in (*detection.TERMS, "total")},
           "test_map": [0.0, 0.3, 0.6]}


def test_loss_terms_figure_draws_every_term_and_map():
    import pandas as pd

    fig = loss_terms_figure(pd.DataFrame(HISTORY))
    names = [t.name for t in fig.data]
    assert names == ["centre (x, y)", "size (√w, √h)", "object confidence", "no-object confidence", "classes",
                     "total", "test mAP@0.5"]
    assert list(fig.data[0].y) == [2.0, 1.0] and list(fig.data[-1].y) == [0.0, 0.3, 0.6]
    assert fig.data[5].line.dash == "dash"
    assert len(term_series(pd.DataFrame(HISTORY))) == 6 and map_series(pd.DataFrame(HISTORY))[0]["y"] == [0, 0.3, 0.6]


def test_detections_figure_labels_each_box_with_class_and_score():
    _, test = make_scene_split(1, 2, seed=0)
    found = [{"boxes": [[4, 4, 20, 20]], "scores": [0.87], "labels": [1]}, {"boxes": [], "scores": [], "labels": []}]
    truth = list(zip(test.boxes, test.labels))
    fig = detections_figure(test.images, found, truth, test.classes)
    assert [a.text for a in fig.layout.annotations] == ["circle 0.87"]
    dashed = [t for t in fig.data if getattr(t, "line", None) is not None and t.line.dash == "dash"]
    assert len(dashed) == sum(len(b) for b in test.boxes)
    scene = boxes_scene(test.images[0], found[0], test.boxes[0].tolist(), test.labels[0].tolist(), test.classes)
    assert [t["text"] for t in scene["texts"]] == ["circle 0.87"]
    assert scene["images"][0]["rows"] == 64 and len(scene["lines"]) == 2
