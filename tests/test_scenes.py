"""Generated scenes (shapes, determinism, boxes against masks, bounds) and the Pascal VOC loader on a tiny
VOC-format folder written here."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from playground import scenes as sc
from playground.data import DatasetError
from playground.scenes import SCENE_CLASSES, VOC_CLASSES, VOC_VOID, load_voc, make_scenes, voc_folder


@pytest.fixture(scope="module")
def scenes():
    return make_scenes(60, size=64, seed=7)


def test_shapes_types_and_ranges(scenes):
    assert scenes.images.shape == (60, 3, 64, 64) and scenes.images.dtype == torch.float32
    assert 0.0 <= float(scenes.images.min()) and float(scenes.images.max()) <= 1.0
    assert scenes.masks.shape == (60, 64, 64) and scenes.masks.dtype == torch.int64
    assert scenes.classes == SCENE_CLASSES == ("square", "circle", "triangle", "cross")
    counts = [len(b) for b in scenes.boxes]
    assert min(counts) == 1 and max(counts) == 4 and len(set(counts)) == 4
    for boxes, labels in zip(scenes.boxes, scenes.labels, strict=True):
        assert boxes.dtype == torch.float32 and labels.dtype == torch.int64 and len(boxes) == len(labels)
        assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
        assert boxes.min() >= 0 and boxes.max() <= 64
    every_label = torch.cat(scenes.labels)
    assert set(every_label.tolist()) == {0, 1, 2, 3}
    assert int(scenes.masks.max()) == 4 and int(scenes.masks.min()) == 0


def test_same_seed_same_scenes_and_prefixes_agree(scenes):
    again = make_scenes(5, size=64, seed=7)
    assert torch.equal(again.images, scenes.images[:5]) and torch.equal(again.masks, scenes.masks[:5])
    assert all(torch.equal(a, b) for a, b in zip(again.boxes, scenes.boxes[:5], strict=False))
    other = make_scenes(5, size=64, seed=8)
    assert not torch.equal(other.images, again.images)


def test_boxes_are_the_objects_tight_boxes(scenes):
    """An object's pixels carry its class in the mask and lie in its box; a box's edges touch its object
    unless a later object covers them; boxes overlap by at most sc.MAX_OVERLAP of the smaller one."""
    for i in range(len(scenes)):
        mask, boxes, labels = scenes.masks[i], scenes.boxes[i], scenes.labels[i]
        inside_some = torch.zeros_like(mask, dtype=torch.bool)
        for k, (box, label) in enumerate(zip(boxes.long().tolist(), labels.tolist(), strict=True)):
            x1, y1, x2, y2 = box
            inside_some[y1:y2, x1:x2] |= mask[y1:y2, x1:x2] == label + 1
            if k == len(boxes) - 1:  # the last object is drawn over everything: all its pixels show
                region = mask[y1:y2, x1:x2] == label + 1
                assert region[0].any() and region[-1].any() and region[:, 0].any() and region[:, -1].any()
            for other in boxes[:k].tolist():
                w = min(x2, other[2]) - max(x1, other[0])
                h = min(y2, other[3]) - max(y1, other[1])
                smaller = min((x2 - x1) * (y2 - y1), (other[2] - other[0]) * (other[3] - other[1]))
                assert max(w, 0) * max(h, 0) <= sc.MAX_OVERLAP * smaller
        assert torch.equal(inside_some, mask > 0)  # no object pixel outside its own box


def test_sizes_and_object_counts():
    small = make_scenes(3, size=32, seed=1, min_objects=2, max_objects=2)
    assert small.images.shape == (3, 3, 32, 32) and [len(b) for b in small.boxes] == [2, 2, 2]
    big = make_scenes(2, size=128, seed=1, max_objects=6, min_objects=6)
    assert [len(b) for b in big.boxes] == [6, 6]


@pytest.mark.parametrize(("params", "message"), [
    ({"n": 0}, "n must be between 1"), ({"n": 2.5}, "n must be a whole number"),
    ({"size": 16}, "size must be between 32 and 128"), ({"size": 200}, "size must be between 32 and 128"),
    ({"max_objects": 9}, "max_objects must be between 1 and 6"),
    ({"min_objects": 3, "max_objects": 2}, "min_objects must be between 1 and 2"),
    ({"seed": -1}, "seed must be between 0"), ({"n": 20_000, "size": 128}, "n × size² must be at most"),
])
def test_bad_parameters_get_clear_errors(params, message):
    with pytest.raises(ValueError, match=message):
        make_scenes(**{"n": 2, **params})


def test_splits(scenes):
    train, test = sc.split_scenes(scenes, 0.25)
    assert (len(train), len(test)) == (45, 15)
    assert torch.equal(test.images[0], scenes.images[45]) and torch.equal(test.boxes[-1], scenes.boxes[-1])
    with pytest.raises(ValueError, match="test_fraction"):
        sc.split_scenes(scenes, 1.0)
    train, test = sc.make_scene_split(4, 2, seed=7)
    assert len(train) == 4 and torch.equal(test.masks, scenes.masks[4:6])


# ---------------------------------------------------------------------------------------------------------
# Pascal VOC: a two-image folder in VOC's layout.

_OBJECTS = {"2008_000001": (48, 40, [("dog", (3, 5, 20, 30)), ("person", (25, 2, 48, 40))]),
            "2008_000002": (30, 60, [("tvmonitor", (1, 1, 30, 60))])}


def _write_voc(root):
    folder = voc_folder(root, "2012")
    for sub in ("JPEGImages", "Annotations", "SegmentationClass", "ImageSets/Segmentation", "ImageSets/Main"):
        (folder / sub).mkdir(parents=True)
    for sub in ("Segmentation", "Main"):
        (folder / "ImageSets" / sub / "val.txt").write_text("\n".join(_OBJECTS) + "\n")
    for stem, (width, height, objects) in _OBJECTS.items():
        Image.fromarray(np.full((height, width, 3), 200, np.uint8)).save(folder / "JPEGImages" / f"{stem}.jpg")
        mask = np.zeros((height, width), np.uint8)
        xml = [f"<annotation><size><width>{width}</width><height>{height}</height><depth>3</depth></size>"]
        for name, (x1, y1, x2, y2) in objects:
            mask[y1 - 1:y2, x1 - 1:x2] = VOC_CLASSES.index(name) + 1
            mask[y1 - 1, x1 - 1:x2] = 255  # VOC's void border
            xml.append(f"<object><name>{name}</name><difficult>0</difficult><bndbox><xmin>{x1}</xmin>"
                       f"<ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>")
        png = Image.fromarray(mask, mode="L").convert("P")
        png.save(folder / "SegmentationClass" / f"{stem}.png")
        (folder / "Annotations" / f"{stem}.xml").write_text("".join(xml) + "</annotation>")


def test_voc_loads_boxes_labels_and_masks(tmp_path):
    _write_voc(tmp_path)
    voc = load_voc(tmp_path, size=64)
    assert voc.images.shape == (2, 3, 64, 64) and voc.classes == VOC_CLASSES
    assert voc.labels[0].tolist() == [VOC_CLASSES.index("dog"), VOC_CLASSES.index("person")]
    # VOC's 1-based inclusive (3, 5, 20, 30) is pixels [2, 20) × [4, 30); scaled by 64/48 and 64/40.
    torch.testing.assert_close(voc.boxes[0][0], torch.tensor([2 * 64 / 48, 4 * 64 / 40, 20 * 64 / 48, 30 * 64 / 40]))
    torch.testing.assert_close(voc.boxes[1], torch.tensor([[0.0, 0.0, 64.0, 64.0]]))
    assert set(voc.masks[1].unique().tolist()) == {VOC_VOID, VOC_CLASSES.index("tvmonitor") + 1}
    assert abs(float(voc.images.mean()) - 200 / 255) < 0.02
    assert len(load_voc(tmp_path, size=32, n=1)) == 1


def test_voc_missing_files_say_where_and_what(tmp_path):
    with pytest.raises(DatasetError) as caught:
        load_voc(tmp_path / "nowhere")
    text = str(caught.value)
    assert str(voc_folder(tmp_path / "nowhere")) in text and "SegmentationClass/<id>.png" in text
    assert "download=True" in text
    with pytest.raises(DatasetError, match="image_set"):
        load_voc(tmp_path, image_set="everything")
