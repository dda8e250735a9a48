import pandas as pd
import streamlit as st

from playground.figures.vision.boxes import iou_figure, nms_figure, pr_curves_figure
from playground.scenes import SCENE_CLASSES, make_scenes
from playground.ui import detector_job
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.share import current_style
from playground.ui.stepper import step_through
from playground.ui.urlstate import PageState, flag, number
from playground.vision import boxes as bx
from playground.vision import detection

ensure_navigation()

SIZE = 64  # the generated scenes' side in pixels
TEST_SCENES = 40  # scenes the precision-recall curves are measured on
NMS_SCORE = 0.1  # the trained detector's boxes stepped through: below this score they only crowd the picture
CORNERS = ("x1", "y1", "x2", "y2")
_START = {"a": (10.0, 12.0, 40.0, 44.0), "b": (24.0, 20.0, 56.0, 52.0)}

state = PageState("iou", {
    **{f"{box}_{c}": number(_START[box][k], -1000.0, 1000.0, step=1.0) for box in "ab" for k, c in enumerate(CORNERS)},
    "scene": number(0, 0, 9999),
    "threshold": number(0.5, 0.05, 0.95, step=0.05),
    "step": number(1, 1, 999),
    "nms_first": flag(True),
})
for problem in state.restore():
    st.warning(problem)

st.title("IoU & non-maximum suppression")
st.caption("A detector answers with boxes. To say whether a box is right we need a number for how well two boxes "
           "agree, and to clean up the many boxes a detector puts on one object we need a rule for which to keep.")

st.header("1. Intersection over union")
st.caption("IoU = the area both boxes cover ÷ the area either covers. 1 means the same box, 0 means no overlap. "
           "Corners in pixels: (x1, y1) top left, (x2, y2) bottom right, y growing downwards.")
typed = {}
for box, column in zip("ab", st.columns(2), strict=True):
    column.markdown(f"**Box {box.upper()}**")
    cells = column.columns(4)
    typed[box] = tuple(state.number_input(f"{box}_{c}", c, container=cell) for c, cell in zip(CORNERS, cells,
                                                                                                 strict=True))
problems = [f"Box {box.upper()}: {p}" for box in "ab" for p in bx.box_problems(typed[box])]
for problem in problems:
    st.error(problem)
if not problems:
    pair = bx.pair_iou(typed["a"], typed["b"])
    left, right = st.columns([3, 2])
    chart(iou_figure(typed["a"], typed["b"], pair, style=current_style()), key="iou.fig.pair", container=left)
    with right:
        st.metric("IoU", f"{pair.iou:.4f}")  # a row of its own: a third of the column cut "0.2400" at 1280 px
        m1, m2 = st.columns(2)
        m1.metric("Intersection, px²", f"{pair.intersection:g}")
        m2.metric("Union, px²", f"{pair.union:g}")
        st.markdown(f"Union = area A + area B − intersection = {pair.area_a:g} + {pair.area_b:g} − "
                    f"{pair.intersection:g} = {pair.union:g}.  \n**IoU = {pair.intersection:g} / {pair.union:g} = "
                    f"{pair.iou:.4f}**")
        st.caption("Detection benchmarks count a predicted box as finding an object when their IoU is at least "
                   "0.5 (Pascal VOC); COCO averages over thresholds from 0.5 to 0.95.")

st.header("2. Non-maximum suppression, one step at a time")
trained = detector_job.trained_detections(TEST_SCENES)
c1, c2 = st.columns(2)
state.number_input("scene", "Scene" + (" (a seed for the generator)" if trained is None else ""), container=c1)
threshold = state.slider("threshold", "Suppress when IoU with a kept box >", container=c2)
classes = SCENE_CLASSES
if trained is None:
    st.caption("A detector's raw output looks like this: several overlapping, scored boxes on every object and a few "
               "stray ones. These are stand-ins made from the scene's true boxes: each copied five times with its "
               "corners moved a little (the closer the copy, the higher its score; one in ten gets a wrong class), "
               "plus two random low-scored boxes. Train a detector on the **A detector that learns** page and its "
               "own raw boxes take their place here.")
    scene = make_scenes(1, size=SIZE, seed=state["scene"])
    image = scene.images[0]
    raw = bx.stand_in_detections(scene.boxes, scene.labels, num_classes=len(classes), image_size=SIZE,
                                 seed=state["scene"])[0]
else:
    k = state["scene"] % TEST_SCENES
    image, raw = trained[1][k], detection.above(trained[0][k], NMS_SCORE)
    st.caption(f"The raw boxes (before NMS, score ≥ {NMS_SCORE}) of {trained[3]}, on its test scene {k + 1} of "
               f"{TEST_SCENES} (the scene number counts round them): several overlapping, scored boxes per object.")
steps = bx.nms_steps(raw.boxes, raw.scores, threshold)
if not steps:  # a weak detector can be unsure of everything in a scene
    st.info(f"No raw box scores {NMS_SCORE} or more on this scene: the detector is not sure of anything here. "
            "Pick another scene, or train the detector longer.")
else:
    position = step_through(state, "step", len(steps), key="iou.nms", single="NMS keeps a single box here.")
    texts = bx.detection_texts(raw, classes)
    now = steps[position - 1]
    left, right = st.columns([3, 2])
    chart(nms_figure(image, raw.boxes.tolist(), texts, bx.states_at_step(steps, position, len(raw)),
                     style=current_style()), key="iou.fig.nms", container=left)
    with right:
        kept = [s.kept for s in steps[:position]]
        st.markdown(f"**Step {position} of {len(steps)}.** Of the boxes still waiting, the highest score is "
                    f"**{texts[now.kept]}**: keep it. Drop every waiting box whose IoU with it is above "
                    f"{threshold:.2f}: **{len(now.suppressed)}** box(es).")
        if now.suppressed:
            st.dataframe(pd.DataFrame({"dropped": [texts[k] for k in now.suppressed], "IoU": now.suppressed_iou}),
                         hide_index=True, key="iou.dropped",
                         column_config={"IoU": st.column_config.NumberColumn(format="%.3f")})
        st.markdown(f"Kept so far: **{len(kept)}** of {len(raw)} boxes; still waiting: {len(now.remaining)}.")
        if position == len(steps):
            st.success(f"Done: NMS keeps {len(steps)} of {len(raw)} boxes: "
                       + ", ".join(texts[k] for k in kept) + ".")
        st.caption("Here all classes go through NMS together (torchvision.ops.nms); detectors usually run it per class "
                   "(torchvision.ops.batched_nms). A lower threshold drops more boxes, a higher one keeps more "
                   "duplicates.")

st.header("3. Precision, recall and AP@0.5")
state.checkbox("nms_first", f"Run NMS first (IoU > {threshold:.2f}, as above)")
if trained is None:
    tests = make_scenes(TEST_SCENES, size=SIZE, seed=10_000)
    found = bx.stand_in_detections(tests.boxes, tests.labels, num_classes=len(classes), image_size=SIZE, seed=10_000)
    truth = list(zip(tests.boxes, tests.labels, strict=True))
else:
    found, truth = trained[0], trained[2]
    st.caption(f"On the first {TEST_SCENES} test scenes of {trained[3]}: its raw boxes (score ≥ 0.01).")
if state["nms_first"]:
    found = bx.after_nms(found, threshold)
curves = bx.precision_recall(found, truth, 0.5, num_classes=len(classes))
left, right = st.columns([3, 2])
chart(pr_curves_figure(curves, classes, style=current_style()), key="iou.fig.pr", container=left)
with right:
    st.metric("mAP@0.5 (mean over classes)", f"{bx.mean_ap(curves):.3f}")
    st.dataframe(pd.DataFrame({"class": list(classes), "true boxes": [c.ground_truths for c in curves],
                               "detections": [len(c.scores) for c in curves], "AP@0.5": [c.ap for c in curves]}),
                 hide_index=True, key="iou.ap", column_config={"AP@0.5": st.column_config.NumberColumn(format="%.3f")})
st.caption(f"Over {TEST_SCENES} test scenes, each class's detections are taken best score first. One counts as "
           "right when its IoU with a true box of its class is at least 0.5 and no better-scored detection found "
           "that box first; duplicates count as wrong. Precision: the share of detections so far that are right; "
           "recall: the share of true boxes found so far. **AP** is the area under the curve with each precision "
           "raised to the best one at any higher recall (dotted; Pascal VOC's all-point AP): 1 means every true box "
           "is found before any wrong one. Without NMS the duplicates pull precision and AP down.")
state.save()
