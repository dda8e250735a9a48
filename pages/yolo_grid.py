import pandas as pd
import streamlit as st

from playground.figures.vision.yolo import yolo_grid_figure
from playground.scenes import SCENE_CLASSES, make_scenes
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.share import current_style
from playground.ui.urlstate import PageState, choice, number
from playground.vision import yolo

ensure_navigation()

SIZE = 64  # the generated scenes' side in pixels
SETTINGS = {"paper": "YOLO v1: S = 7, B = 2, C = 20", "ours": f"Ours: S = 4, B = 2, C = {len(SCENE_CLASSES)}",
            "custom": "Your own S, B, C"}
PRESETS = {"paper": (yolo.SEED_S, yolo.SEED_B, yolo.SEED_C), "ours": (4, 2, len(SCENE_CLASSES))}
MAX_S = 16
state = PageState("yolo", {
    "setting": choice("paper", tuple(SETTINGS)),
    "S": number(4, 1, MAX_S), "B": number(2, 1, 5), "C": number(len(SCENE_CLASSES), 1, 30),
    "scene": number(0, 0, 9999),
    "row": number(3, 0, MAX_S - 1), "col": number(3, 0, MAX_S - 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("The YOLO grid")
st.caption("YOLO (Redmon et al., 2016) looks at the whole image once and answers with one block of numbers. It "
           "cuts the image into an S × S grid; each cell predicts B boxes, each as five numbers (x, y, w, h and a "
           "confidence), and C class probabilities shared by its boxes. The cell that holds an object's centre is "
           "the one responsible for finding it.")

c1, c2, c3, c4 = st.columns([2.2, 1, 1, 1])
setting = state.radio("setting", "Grid", container=c1, format_func=SETTINGS.get)
if setting == "custom":
    state.number_input("S", "S (cells per side)", container=c2)
    state.number_input("B", "B (boxes per cell)", container=c3)
    state.number_input("C", "C (classes)", container=c4)
S, B, C = PRESETS.get(setting, (state["S"], state["B"], state["C"]))
length = yolo.cell_length(B, C)
st.markdown(f"**Output size** = S·S·(B·5 + C) = {S}·{S}·({B}·5 + {C}) = {S}·{S}·{length} = "
            f"**{yolo.output_size(S, B, C):,} numbers**, read as a block of {S} × {S} × {length}: "
            f"{length} numbers per cell.")

scenes = make_scenes(1, size=SIZE, seed=state["scene"])
classes = list(scenes.classes)
problems = yolo.check_grid(S, B, C, image_size=SIZE, num_classes=len(classes))
for problem in problems:
    st.error(problem)
if problems:
    state.save()
    st.stop()

boxes, labels = scenes.boxes[0], scenes.labels[0]
names = yolo.class_names_for(C, classes)
target = yolo.encode(boxes, labels, S=S, B=B, C=C, image_size=SIZE)
placed = yolo.assign(boxes, labels, S=S, B=B, image_size=SIZE)
box_names = [classes[k] for k in labels.tolist()]


def on_click() -> None:
    """A click on the grid picks the cell under it."""
    event = st.session_state.get(chart_key)
    for point in event["selection"]["points"] if event else []:
        state["row"], state["col"] = yolo.cell_at(point["x"], point["y"], S=S, image_size=SIZE)


chart_key = f"yolo.fig.grid.{S}"
left, right = st.columns([3, 2])
with right:
    state.number_input("scene", "Scene (a seed for the generator)")
    st.markdown("**Pick a cell**: click it on the picture, or type its row and column.")
    r1, r2 = st.columns(2)
    row = state.number_input("row", f"Row (0–{S - 1})", high=S - 1, container=r1)
    col = state.number_input("col", f"Column (0–{S - 1})", high=S - 1, container=r2)
    st.caption(f"The scene has {len(box_names)} object{'s' if len(box_names) != 1 else ''}: "
               f"{', '.join(box_names)} (dashed outlines). Each grid cell is {SIZE / S:.1f} pixels wide.")
    if placed.dropped:
        st.info(f"{len(placed.dropped)} object(s) lost: their centre falls in a cell whose {B} box slot(s) are "
                "full or which already holds another class (a cell has one set of class probabilities). "
                "A finer grid or more boxes per cell keeps them.")

found = yolo.cell_boxes(target, row, col, S=S, B=B, image_size=SIZE)
klass, probability = yolo.cell_class(target, row, col, B=B)
predicted = [(box.steps, f"box {box.slot + 1} of the cell: {names[klass]}") for box in found]
chart(yolo_grid_figure(scenes.images[0], boxes, box_names, S=S, cell=(row, col), predicted=predicted,
                       style=current_style()),
      key=chart_key, on_select=on_click, selection_mode="points", container=left)

st.subheader(f"Cell (row {row}, column {col}): its {length} numbers")
st.caption("These are the numbers a perfect detector outputs for this scene: the training target, made by "
           "encoding the scene's boxes. A trained network's numbers come close to them. Box widths and "
           "heights are kept as fractions of the image; YOLO v1's network predicts their square roots instead, "
           "so that the same error counts for more on a small box.")
st.dataframe(pd.DataFrame(yolo.cell_rows(target, row, col, B=B, C=C, class_names=names)), hide_index=True,
             width="stretch", key="yolo.cell_table", column_config={"value": st.column_config.NumberColumn(
                 "value", format="%.4f")}, height=min(36 * (length + 1) + 4, 560))

st.subheader("From a cell's numbers to a box on the image")
if not found:
    st.markdown("No object's centre lies in this cell, so every confidence here is 0: the cell predicts no box, "
                "whatever its other numbers say. Pick a cell with a centre in it (the picture's dots mark the "
                "cells).")
for box in found:
    lines = yolo.explain_cell_box(box.x, box.y, box.w, box.h, box.steps, image_size=SIZE)
    st.markdown(f"**Box {box.slot + 1}** (x = {box.x:.3f}, y = {box.y:.3f}, w = {box.w:.3f}, h = {box.h:.3f}, "
                f"confidence = {box.confidence:.2f}):\n" + "\n".join(f"1. {line}" for line in lines))
    st.markdown(f"Its score for **{names[klass]}** = confidence × P({names[klass]}) = {box.confidence:.2f} × "
                f"{probability:.2f}: the decoder keeps a box whose score passes a threshold (then non-maximum "
                "suppression removes duplicates).")

decoded, _, _ = yolo.decode(target, S=S, B=B, C=C, image_size=SIZE, threshold=0.5)
st.caption(f"Decoding the whole {S} × {S} × {length} target (every box whose score is at least 0.5) gives back "
           f"{len(decoded)} box(es): the scene's {len(box_names) - len(placed.dropped)} kept object(s), "
           "with the same corners.")
state.save()
