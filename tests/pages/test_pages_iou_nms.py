"""The page "IoU & non-maximum suppression" in AppTest: typed boxes against torchvision's IoU, NMS stepped to the
end against torchvision's kept set, the threshold, AP with and without NMS, bad boxes and bad links."""

from __future__ import annotations

import pytest
import torch
import torchvision
from streamlit.testing.v1 import AppTest

from playground.scenes import make_scenes
from playground.vision import boxes as bx
from tests.pages.test_pages import open_with_link


def open_iou(**params) -> AppTest:
    at = open_with_link("pages/iou_nms.py", params)
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
                     + [w.value for w in at.warning] + [s.value for s in at.success])


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def raw_boxes(scene: int):
    scenes = make_scenes(1, size=64, seed=scene)
    raw = bx.stand_in_detections(scenes.boxes, scenes.labels, num_classes=4, image_size=64, seed=scene)[0]
    return raw, bx.detection_texts(raw, scenes.classes)


def test_typed_boxes_show_torchvisions_iou():
    at = open_iou()
    assert at.title[0].value == "IoU & non-maximum suppression"
    a, b = (3.0, 7.0, 29.0, 41.0), (11.0, 2.0, 50.0, 33.0)
    for box, corners in (("a", a), ("b", b)):
        for name, value in zip(("x1", "y1", "x2", "y2"), corners, strict=True):
            at.number_input(key=f"iou.{box}_{name}").set_value(value).run()
    assert not at.exception
    want = float(torchvision.ops.box_iou(torch.tensor([a]).double(), torch.tensor([b]).double()))
    inter = (29 - 11) * (33 - 7)
    assert metric(at, "IoU") == f"{want:.4f}" and metric(at, "Intersection, px²") == f"{inter}"
    assert f"**IoU = {inter} / {26 * 34 + 39 * 31 - inter} = {want:.4f}**" in shown(at)


def test_bad_boxes_get_a_message_not_a_traceback():
    at = open_iou(a_x1=30, a_x2=10, b_y1=5, b_y2=5)
    text = shown(at)
    assert "Box A: x2 (10) must be larger than x1 (30)" in text and "Box B: y2 (5) must be larger than y1 (5)" in text
    assert not any(m.label == "IoU" for m in at.metric)
    assert "Step 1 of" in text  # the rest of the page still works


def test_stepping_nms_reaches_torchvisions_kept_set():
    raw, texts = raw_boxes(3)
    want = torchvision.ops.nms(raw.boxes, raw.scores, 0.5).tolist()
    at = open_iou(scene=3, threshold=0.5)
    assert f"Step 1 of {len(want)}." in shown(at) and f"**{texts[want[0]]}**: keep it" in shown(at)
    for step in range(2, len(want) + 1):
        at.button(key="iou.nms.next").click().run()
        assert not at.exception and f"Step {step} of {len(want)}." in shown(at)
        assert f"**{texts[want[step - 1]]}**: keep it" in shown(at)
    assert at.success[0].value == (f"Done: NMS keeps {len(want)} of {len(raw)} boxes: "
                                   + ", ".join(texts[k] for k in want) + ".")
    at.button(key="iou.nms.back").click().run()
    assert f"Step {len(want) - 1} of" in shown(at) and not at.success


def test_the_threshold_changes_how_many_are_kept():
    raw, _ = raw_boxes(0)
    at = open_iou(scene=0, step=3)
    counts = {}
    for threshold in (0.05, 0.5, 0.95):
        at.slider(key="iou.threshold").set_value(threshold).run()
        counts[threshold] = len(torchvision.ops.nms(raw.boxes, raw.scores, threshold))
        assert not at.exception and f"of {counts[threshold]}." in shown(at)
    assert counts[0.05] < counts[0.5] < counts[0.95]


@pytest.mark.parametrize("nms_first", [True, False])
def test_ap_with_and_without_nms(nms_first):
    at = open_iou(threshold=0.5)
    at.checkbox(key="iou.nms_first").set_value(nms_first).run()
    tests = make_scenes(40, size=64, seed=10_000)
    found = bx.stand_in_detections(tests.boxes, tests.labels, num_classes=4, image_size=64, seed=10_000)
    if nms_first:
        found = bx.after_nms(found, 0.5)
    want = bx.mean_ap(bx.precision_recall(found, list(zip(tests.boxes, tests.labels, strict=True)), num_classes=4))
    assert metric(at, "mAP@0.5 (mean over classes)") == f"{want:.3f}"
    table = next(d.value for d in at.dataframe if "AP@0.5" in d.value.columns)
    assert table["class"].tolist() == ["square", "circle", "triangle", "cross"]


BOUNDS = {**{f"{box}_{c}": (-1000, 1000) for box in "ab" for c in ("x1", "y1", "x2", "y2")},
          "scene": (0, 9999), "threshold": (0.05, 0.95), "step": (1, 999)}


@pytest.mark.parametrize("link", ["low", "high", "past", "below", "empty", "garbage"])
def test_every_link_value_at_and_past_its_bounds_empty_and_garbage(link):
    """Every field at once (the page is not in the navigation yet, so the generated control tests skip it)."""
    values = {"low": {n: lo for n, (lo, hi) in BOUNDS.items()} | {"nms_first": "false"},
              "high": {n: hi for n, (lo, hi) in BOUNDS.items()} | {"nms_first": "true"},
              "past": {n: hi * 2 + 1 for n, (lo, hi) in BOUNDS.items()},
              "below": {n: lo - 1 - abs(lo) for n, (lo, hi) in BOUNDS.items()},
              "empty": dict.fromkeys([*BOUNDS, "nms_first"], ""),
              "garbage": dict.fromkeys([*BOUNDS, "nms_first"], "1e999x")}[link]
    at = open_iou(**values)
    warned = "\n".join(w.value for w in at.warning)
    if link in ("past", "below", "empty", "garbage"):
        assert all(f"'{name}'" in warned for name in values), warned
    if link in ("low", "high"):
        assert "x2 (" in shown(at) and "must be larger than x1" in shown(at)  # every corner equal: a message
    assert "Step 1 of" in shown(at) or "keeps a single box" in shown(at)
    assert any(m.label.startswith("mAP") for m in at.metric)


def test_without_a_trained_detector_the_stand_ins_say_so_and_point_to_the_detector_page():
    at = open_iou()
    assert "stand-ins made from the scene's true boxes" in shown(at)
    assert "A detector that learns" in shown(at)


def test_a_detector_trained_on_its_page_supplies_the_raw_boxes_and_the_ap():
    from playground.vision import detection

    at = open_with_link("pages/detector.py", {})
    at.select_slider(key="det.epochs").set_value(1).run()
    at.select_slider(key="det.scenes").set_value(250).run()
    at.button(key="det.play").click().run()
    job = at.session_state["det.job"]
    assert job.wait(120) == "done", job.error
    at.switch_page("pages/iou_nms.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = shown(at)
    assert "the detector you trained on the detector page (done, epoch 1)" in text
    assert "stand-ins" not in text
    # The AP shown is the one computed independently from the job's weights on its first 40 test scenes.
    options = detection.job_options(job)
    data = detection.scene_data(options)
    raw = detection.predict(detection.job_model(job), data.x_test[:40], options=options, num_classes=4)
    curves = bx.precision_recall(bx.after_nms(raw, 0.5), detection.test_truth(data)[:40], 0.5, num_classes=4)
    assert metric(at, "mAP@0.5 (mean over classes)") == f"{bx.mean_ap(curves):.3f}"
    # A scene on which a weakly trained detector scores no box high enough: a message, not an IndexError
    # (scene 1 after one epoch on 250 scenes raised one from the NMS stepper).
    for scene in range(5):
        at.number_input(key="iou.scene").set_value(scene).run()
        assert not at.exception, (scene, [e.value for e in at.exception])
    empty = bx.Detections(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.int64))
    original = detection.above
    detection.above = lambda found, score: empty
    try:
        at.run()
    finally:
        detection.above = original
    assert not at.exception, [e.value for e in at.exception]
    assert any("No raw box scores 0.1 or more on this scene" in i.value for i in at.info)
