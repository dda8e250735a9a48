"""The page "The YOLO grid" in AppTest: the output size, every grid setting, a cell's numbers against encode()."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from playground.scenes import make_scenes
from playground.vision import yolo
from tests.pages.test_pages import open_with_link


def open_yolo(**params) -> AppTest:
    at = open_with_link("pages/yolo_grid.py", params)
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
                     + [w.value for w in at.warning] + [i.value for i in at.info])


def cell_table(at: AppTest):
    return next(d.value for d in at.dataframe if "meaning" in d.value.columns)


def test_the_papers_grid_by_default_and_every_setting():
    at = open_yolo()
    assert at.title[0].value == "The YOLO grid"
    assert "7·7·(2·5 + 20) = 7·7·30 = **1,470 numbers**" in shown(at)
    assert len(cell_table(at)) == 30
    classes = len(make_scenes(1).classes)
    assert at.radio(key="yolo.setting").options == ["YOLO v1: S = 7, B = 2, C = 20",
                                                     f"Ours: S = 4, B = 2, C = {classes}", "Your own S, B, C"]
    for setting in ("paper", "ours", "custom"):
        at.radio(key="yolo.setting").set_value(setting).run()
        assert not at.exception and not at.error, setting
    assert at.radio(key="yolo.setting").value == "custom"
    at.number_input(key="yolo.S").set_value(16).run()
    at.number_input(key="yolo.B").set_value(5).run()
    at.number_input(key="yolo.C").set_value(30).run()
    assert "16·16·(5·5 + 30) = 16·16·55 = **14,080 numbers**" in shown(at)
    at.radio(key="yolo.setting").set_value("ours").run()
    assert f"4·4·(2·5 + {classes})" in shown(at) and len(cell_table(at)) == 10 + classes


def test_a_cells_numbers_are_the_encoded_target():
    scene = make_scenes(1, size=64, seed=3)
    boxes, labels = scene.boxes[0], scene.labels[0]
    target = yolo.encode(boxes, labels, S=4, B=2, C=len(scene.classes), image_size=64)
    row, col = yolo.responsible_cell(boxes[0], S=4, image_size=64)
    at = open_yolo(setting="ours", scene=3, row=row, col=col)
    table = cell_table(at)
    assert table["number"].tolist() == yolo.cell_layout(2, len(scene.classes), list(scene.classes))
    np.testing.assert_allclose(table["value"].to_numpy(), target[row, col].numpy(), atol=1e-7)
    assert "**Box 1**" in shown(at) and "corners = centre ∓ size/2" in shown(at)
    corners = yolo.cell_boxes(target, row, col, S=4, B=2, image_size=64)[0].steps.corners
    assert f"({corners[0]:.2f}, {corners[1]:.2f}) to ({corners[2]:.2f}, {corners[3]:.2f})" in shown(at)
    # Typing another cell shows its numbers: an empty one predicts no box.
    empty = next((r, c) for r in range(4) for c in range(4) if target[r, c].abs().sum() == 0)
    at.number_input(key="yolo.row").set_value(empty[0]).run()
    at.number_input(key="yolo.col").set_value(empty[1]).run()
    assert (cell_table(at)["value"] == 0).all() and "No object's centre lies in this cell" in shown(at)


def test_bad_combinations_get_messages():
    at = open_yolo(setting="custom", C=1)
    assert any("C must be at least" in e.value for e in at.error)
    at = open_yolo(setting="paper", row=6, col=6)  # a cell of the 7×7 grid ...
    at.radio(key="yolo.setting").set_value("ours").run()  # ... that the 4×4 grid lacks
    assert not at.exception and "is not from 0 to 3" in shown(at)
    at = open_yolo(row=40)
    assert "could not be used" in shown(at)
