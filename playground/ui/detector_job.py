"""The detector on its page: the scenes (made once per setting and shared), the training run (a live board
while it runs, figures once it stops), and the trained detector's raw boxes for the IoU & NMS page."""

from __future__ import annotations

import streamlit as st

from playground.figures.vision.detection import (
    GREYS,
    MAP_CHART,
    SCENE_FRAME,
    TERMS_CHART,
    detections_figure,
    loss_terms_figure,
)
from playground.ui import live
from playground.ui.charts import chart
from playground.ui.inputs import memo, weights_key
from playground.ui.jobs import current_job
from playground.ui.share import current_style
from playground.vision import detection

JOB = "det.job"
SHOWN = 4  # test scenes on the board and in the figure
# What a change of these settings means a new run.
TRAINING_KEYS = ("S", "B", "width", "epochs", "lr", "train_scenes")
TERM_TEXT = {
    "coord_xy": "where the centre is: the squared error of the responsible slot's offset in its cell, ×5 so that "
                "the few boxes count as much as the many empty cells.",
    "coord_wh": "how big the box is: the squared error of √w and √h, so a miss of 2 pixels costs more on a small "
                "box than on a large one; ×5 as well.",
    "object": "the responsible slot's confidence should be 1: there is an object here.",
    "no_object": "every other slot's confidence should be 0; ×0.5, since nearly all slots are empty and would "
                 "otherwise drown the rest.",
    "classes": "in each cell holding an object, the cross-entropy of its class probabilities (softmax) against "
               "the true class.",
}


@st.cache_resource(max_entries=2, show_spinner="Drawing the scenes…")
def _scenes(train_scenes: int, test_scenes: int, S: int, B: int, data_seed: int):
    options = detection.DetectorOptions(S=S, B=B, train_scenes=train_scenes, test_scenes=test_scenes,
                                        data_seed=data_seed)
    return detection.scene_data(options)


def scene_data(options: detection.DetectorOptions):
    """The scenes and targets for `options` (shared by every session: they are read only)."""
    return _scenes(options.train_scenes, options.test_scenes, options.S, options.B, options.data_seed)


def settings_changed(job, options: detection.DetectorOptions) -> bool:
    """Whether the training settings differ from those `job` trains with."""
    now = options.to_dict()
    return any(job.options.get(k) != now[k] for k in TRAINING_KEYS)


def live_view(job) -> None:
    """The run as the browser redraws it: status and numbers, the loss terms and mAP as they fall and rise,
    and the boxes on four test scenes (true boxes dashed white; class and score written on each)."""
    token = live.feed_for(f"{JOB}.feed", job, lambda: detection.live_producer(job))
    first = live.FEEDS.read(token)
    live.board(token, [live.status(job.name), live.metrics("Epoch", "Test mAP@0.5", "Loss"),
                       live.row(live.chart("terms", **TERMS_CHART, empty="The first epoch's terms come soon…"),
                                live.chart("map", **MAP_CHART, empty="Measuring the untrained detector…"))],
               key="det.live", first=first, interval=0.5, only=["terms", "map"])
    scenes = [live.scene(f"scene{k}", SCENE_FRAME, margin=(2, 2, 2, 2)) for k in range(SHOWN)]
    live.board(token, [live.row(*scenes)], key="det.live.scenes", first=first, interval=0.5, notify=False,
               only=[f"scene{k}" for k in range(SHOWN)], palette=GREYS)
    st.caption("Four test scenes the detector never trains on, in grey: the true boxes dashed white, the "
               "detector's boxes (after NMS, score ≥ 0.25) solid, each with its class and score.")


def render(job) -> None:
    """The run once it stops: numbers, the test scenes with the detector's boxes, the loss terms and mAP."""
    history = job.history_since(0)
    for column, (label, value) in zip(st.columns(3), detection.metrics(history).items(), strict=True):
        column.metric(label, value)
    shown, found = job.series("shown"), job.series("boxes")
    if not shown or not found:
        st.caption("Starting…")
        return
    truth = list(zip(shown[0]["boxes"], shown[0]["labels"], strict=True))
    images = shown[0]["images"].float() / 255
    chart(detections_figure(images, found[-1]["scenes"], truth, detection.SCENE_CLASSES, style=current_style()),
          key="det.fig.boxes")
    st.caption(f"After epoch {found[-1]['epoch']}: four test scenes with the detector's boxes after NMS (score ≥ "
               f"{detection.SHOW_SCORE}), each labelled with its class and score; the true boxes dashed.")
    chart(loss_terms_figure(history, style=current_style()), key="det.fig.terms")
    if job.status == "paused":
        st.caption("Paused. **Step** trains one more batch; **Play** carries on.")


def explain_terms() -> None:
    """Each loss term with its formula and what it asks of the network."""
    for term, text in TERM_TEXT.items():
        st.markdown(f"- **{term.replace('_', ' ')}** = {detection.TERM_FORMULAS[term]}: {text}")


def trained_detections(test_scenes: int):
    """The detector trained on the detector page in this session, on its own test scenes: (raw detections
    per scene, the scenes' images, true (boxes, labels) per scene, a sentence saying which run), or None
    when this session has no finished or paused detector with weights."""
    job = current_job(JOB)
    if job is None or job.weights is None or job.status in ("queued", "running", "failed"):
        return None
    options = detection.job_options(job)

    def compute():
        data = scene_data(options)
        images = data.x_test[:test_scenes]
        raw = detection.predict(detection.job_model(job), images, options=options, num_classes=len(data.classes))
        return raw, images, detection.test_truth(data)[:test_scenes]

    raw, images, truth = memo(("det.raw", job.id, weights_key(job.weights), test_scenes), compute)
    epoch = int(job.history["epoch"].max()) if job.rows else 0
    return raw, images, truth, f"the detector you trained on the detector page ({job.status}, epoch {epoch})"
