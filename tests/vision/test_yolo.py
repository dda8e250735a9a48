"""The YOLO output layout, and its target encoding round-tripping through decoding."""

from __future__ import annotations

import pytest
import torch

from playground.vision import yolo


def test_the_papers_output_is_7_by_7_by_30():
    assert yolo.cell_length(2, 20) == 30
    assert yolo.output_size(7, 2, 20) == 1470
    assert yolo.output_size(4, 2, 3) == 4 * 4 * 13
    assert yolo.output_size(1, 1, 1) == 6


def test_layout_names_each_number_of_a_cell():
    names = yolo.cell_layout(2, 3, ["circle", "square", "triangle"])
    assert names == ["box 1 x", "box 1 y", "box 1 w", "box 1 h", "box 1 confidence",
                     "box 2 x", "box 2 y", "box 2 w", "box 2 h", "box 2 confidence",
                     "P(circle)", "P(square)", "P(triangle)"]
    assert len(yolo.cell_layout(2, 20)) == 30 and yolo.cell_layout(2, 20)[-1] == "P(class 20)"
    assert yolo.class_names_for(5, ["a", "b"]) == ["a", "b", "class 3", "class 4", "class 5"]
    with pytest.raises(ValueError, match="2 class names"):
        yolo.cell_layout(1, 3, ["a", "b"])


def test_one_box_by_hand():
    # 64-pixel image, S = 4: cells of 16 px. Centre (40, 20) lies in row 1, column 2, at (0.5, 0.25) of the cell.
    box = torch.tensor([[30.0, 12.0, 50.0, 28.0]])  # 20 × 16 px
    out = yolo.encode(box, torch.tensor([1]), S=4, B=2, C=3, image_size=64)
    assert out.shape == (4, 4, 13) and out.dtype == torch.float32
    torch.testing.assert_close(out[1, 2], torch.tensor([0.5, 0.25, 20 / 64, 16 / 64, 1, 0, 0, 0, 0, 0, 0, 1, 0]))
    assert out.sum() == pytest.approx(0.5 + 0.25 + 20 / 64 + 16 / 64 + 2)
    steps = yolo.cell_box(0.5, 0.25, 20 / 64, 16 / 64, row=1, col=2, S=4, image_size=64)
    assert steps.cell_size == 16 and steps.origin == (32, 16) and steps.centre == (40, 20)
    assert steps.size == (20, 16) and steps.corners == (30, 12, 50, 28)


def _random_scene(generator: torch.Generator, *, S: int, C: int, size: int, k: int):
    """k boxes whose centres lie in k different cells of an S×S grid, with random labels."""
    cell = size / S
    picked = torch.randperm(S * S, generator=generator)[:k]
    rows, cols = picked // S, picked % S
    centre = torch.stack([cols, rows], 1) * cell + torch.rand(k, 2, generator=generator) * cell
    half = (1 + torch.rand(k, 2, generator=generator) * size / 2) / 2
    return torch.cat([centre - half, centre + half], 1), torch.randint(0, C, (k,), generator=generator)


def _sorted(boxes, labels):
    order = sorted(range(len(boxes)), key=lambda i: boxes[i].tolist())
    return boxes[order], labels[order]


@pytest.mark.parametrize("S,B,C", [(7, 2, 20), (4, 2, 3), (5, 1, 4), (13, 3, 2)])
def test_encode_then_decode_gives_the_boxes_back(S, B, C):
    generator = torch.Generator().manual_seed(S * 100 + B * 10 + C)
    for _ in range(30):
        k = int(torch.randint(1, min(S * S, 6) + 1, (1,), generator=generator))
        boxes, labels = _random_scene(generator, S=S, C=C, size=64, k=k)
        out = yolo.encode(boxes, labels, S=S, B=B, C=C, image_size=64)
        got, scores, got_labels = yolo.decode(out, S=S, B=B, C=C, image_size=64, threshold=0.5)
        assert len(got) == k
        torch.testing.assert_close(scores, torch.ones(k))
        want, want_labels = _sorted(boxes, labels)
        got, got_labels = _sorted(got, got_labels)
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
        assert got_labels.tolist() == want_labels.tolist()


def test_shared_cells_fill_b_slots_of_one_class_then_drop():
    # Four boxes whose centres all fall in cell (0, 0) of a 2×2 grid over 64 px.
    boxes = torch.tensor([[0.0, 0, 20, 20], [4, 4, 12, 30], [2, 2, 8, 8], [0, 0, 30, 30]])
    labels = torch.tensor([1, 1, 0, 1])  # the third has another class: dropped; the fourth finds B = 2 slots full
    placed = yolo.assign(boxes, labels, S=2, B=2, image_size=64)
    assert placed.cells == [(0, 0, 0), (0, 0, 1), None, None] and placed.dropped == [2, 3]
    out = yolo.encode(boxes, labels, S=2, B=2, C=2, image_size=64)
    got, _, got_labels = yolo.decode(out, S=2, B=2, C=2, image_size=64)
    torch.testing.assert_close(got, boxes[:2])
    assert got_labels.tolist() == [1, 1]
    assert out[0, 1].abs().sum() == 0 and out[1].abs().sum() == 0


def test_a_centre_on_the_far_edge_belongs_to_the_last_cell():
    assert yolo.responsible_cell([60, 60, 64, 64], S=4, image_size=64) == (3, 3)
    assert yolo.responsible_cell([62, 0, 66, 2], S=4, image_size=64) == (0, 3)


def test_bad_inputs_say_what_is_wrong():
    assert yolo.check_grid(4, 2, 3, image_size=64, num_classes=3) == []
    assert "at least 3" in yolo.check_grid(4, 2, 2, image_size=64, num_classes=3)[0]
    assert "under one pixel" in yolo.check_grid(65, 2, 3, image_size=64)[0]
    assert "S must be" in yolo.check_grid(0, 2, 3, image_size=64)[0]
    with pytest.raises(ValueError, match="labels must be from 0 to C − 1 = 1"):
        yolo.encode(torch.tensor([[0.0, 0, 4, 4]]), torch.tensor([2]), S=2, B=1, C=2, image_size=8)
    with pytest.raises(ValueError, match="shape"):
        yolo.decode(torch.zeros(2, 2, 5), S=2, B=1, C=2, image_size=8)
    with pytest.raises(ValueError, match="threshold"):
        yolo.decode(torch.zeros(2, 2, 7), S=2, B=1, C=2, image_size=8, threshold=0)
