import pandas as pd
import streamlit as st

from playground.figures.vision.anchors import anchors_figure
from playground.scenes import make_scenes
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.share import current_style
from playground.ui.urlstate import Field, PageState, choice, number
from playground.vision import anchors as an

ensure_navigation()

SIZE = 64  # the generated scenes' side in pixels
MAX_ROW = SIZE // min(an.STRIDE_CHOICES) - 1


def _list_field(default: list, options: tuple, kind: type) -> Field:
    """A list of some of `options`, written "8,16,32" in a link."""
    return Field(default, parse=lambda t: [kind(v) for v in t.split(",")],
                 format=lambda v: ",".join(f"{x:g}" for x in v),
                 check=lambda v: isinstance(v, list) and all(x in options for x in v))


state = PageState("anc", {
    "scene": number(0, 0, 9999),
    "stride": choice(16, an.STRIDE_CHOICES),
    "row": number(1, 0, MAX_ROW), "col": number(1, 0, MAX_ROW),
    "scales": _list_field([8, 16, 32], an.SCALE_CHOICES, int),
    "ratios": _list_field([0.5, 1.0, 2.0], an.RATIO_CHOICES, float),
    "positive": number(an.POSITIVE_IOU, 0.05, 1.0, step=0.05),
    "negative": number(an.NEGATIVE_IOU, 0.0, 1.0, step=0.05),
})
for problem in state.restore():
    st.warning(problem)

st.title("Anchors")
st.caption("Faster R-CNN (Ren et al., 2015) does not draw boxes from nothing. At every position of its feature map "
           "it places the same few **anchor boxes**, a few sizes times a few shapes, and for each one predicts "
           "whether it holds an object and four small **offsets** that shift and stretch it onto the object. "
           "Learning a nudge from a nearby shape is much easier than learning a box's corners from scratch, and the "
           "different shapes let one position find a tall and a wide object at once.")

c1, c2 = st.columns(2)
state.pills("scales", "Scales (pixels: an anchor of scale s covers s² pixels)", options=list(an.SCALE_CHOICES),
            selection_mode="multi", container=c1)
state.pills("ratios", "Aspect ratios (height : width)", options=list(an.RATIO_CHOICES), selection_mode="multi",
            format_func=an.ratio_label, container=c2)
c3, c4, c5 = st.columns(3)
stride = state.selectbox("stride", "Stride (pixels between feature-map positions)", container=c3)
positive = state.slider("positive", "Positive at IoU ≥", container=c4)
negative = state.slider("negative", "Negative when every IoU <", container=c5)
scales, ratios = sorted(state["scales"]), sorted(state["ratios"])
problems = an.check_thresholds(positive, negative)
if not scales or not ratios:
    problems.append("Pick at least one scale and one aspect ratio.")
for problem in problems:
    st.error(problem)
if problems:
    state.save()
    st.stop()

count = len(scales) * len(ratios)
grid = an.grid_size(SIZE, stride)
st.markdown(f"**{len(scales)} scale(s) × {len(ratios)} ratio(s) = {count} anchors per position**; a stride of "
            f"{stride} pixels puts {grid} × {grid} positions on the {SIZE}-pixel image: "
            f"{grid} · {grid} · {count} = **{grid * grid * count:,} anchors** in all. (Faster R-CNN: 3 × 3 = 9 "
            "per position, at areas of 128², 256² and 512² pixels, on images about 600 pixels across.)")

scenes = make_scenes(1, size=SIZE, seed=state["scene"])
boxes, labels = scenes.boxes[0], scenes.labels[0]
box_names = [scenes.classes[k] for k in labels.tolist()]
everywhere = an.all_anchors(SIZE, stride, scales, ratios)
match = an.match_anchors(everywhere, boxes, positive=positive, negative=negative)

left, right = st.columns([3, 2])
with right:
    state.number_input("scene", "Scene (a seed for the generator)")
    row = state.slider("row", "Position: row", high=grid - 1)
    col = state.slider("col", "Position: column", high=grid - 1)
    m1, m2, m3 = st.columns(3)
    m1.metric("Positive", f"{match.positives:,}", help="Anchors that count as holding an object.")
    m2.metric("Negative", f"{match.negatives:,}", help="Anchors that count as background.")
    m3.metric("Ignored", f"{match.ignored:,}", help="Neither: left out of the training loss.")
    st.caption(f"Over all {len(everywhere):,} anchors and the scene's {len(box_names)} object(s). An anchor is "
               f"**positive** when its IoU with some box is at least {positive:.2f}, or when it is the best anchor "
               f"of some box (so that every object gets one, even when no anchor reaches {positive:.2f}); "
               f"**negative** when its IoU with every box is below {negative:.2f}; ignored otherwise.")

here = an.at_location(match, everywhere, row, col, image_size=SIZE, stride=stride)
names = an.anchor_names(scales, ratios)
chart(anchors_figure(scenes.images[0], here.boxes, names, here.labels, here.best_iou, boxes=boxes,
                     box_names=[f"{k + 1}: {name}" for k, name in enumerate(box_names)], centre=here.centre,
                     style=current_style()), key="anc.fig.anchors", container=left)
st.subheader(f"The {count} anchors at row {row}, column {col}")
st.caption("Solid: positive, with its IoU; dashed: negative; dotted: ignored (the words in the legend say the same). "
           "The 'best IoU' is the anchor's largest IoU with any of the scene's boxes.")
st.dataframe(pd.DataFrame(an.location_rows(here, names, box_names)), hide_index=True, width="stretch",
             key="anc.table", column_config={"best IoU": st.column_config.NumberColumn(format="%.3f"),
                                             "width": st.column_config.NumberColumn(format="%.1f"),
                                             "height": st.column_config.NumberColumn(format="%.1f")})
state.save()
