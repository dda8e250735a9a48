"""The segmentation network on its page: the run (live while it trains, figures once it stops)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.figures.style import style_for
from playground.figures.vision.segmentation import (
    MASK_PALETTE,
    SCORES_CHART,
    cost_figure,
    curves_figure,
    iou_figure,
    mask_frame,
    masks_figure,
)
from playground.ui import live
from playground.ui.charts import chart
from playground.ui.share import presenting
from playground.vision import segmentation as seg

JOB = "seg.job"
# A change of these settings means a new run.
TRAINING_KEYS = ("width", "skips", "epochs", "lr", "n_train")
MIOU_CAPTION = ("**Mean IoU**: for each class, the pixels predicted *and* true over those predicted *or* true, "
                "averaged over the classes. **Pixel accuracy** counts right pixels, and is fooled by the "
                "background: always answering \"background\" is right on about 90 % of the pixels.")


def settings_changed(job, options: seg.SegmentationOptions) -> bool:
    """Whether the training settings differ from those `job` trains with."""
    now = options.to_dict()
    return any(job.options.get(k) != now[k] for k in TRAINING_KEYS)


def _test_scenes(job):
    """The test scenes `job` is scored on (the same scenes for every run of its settings; made once)."""
    options = seg.SegmentationOptions.from_dict(job.options)
    return seg.scene_data(options.n_train, options.n_test, options.size)[1]


def _shown(job):
    """The job's first SHOWN test scenes: pictures (SHOWN, 3, S, S) and true masks (SHOWN, S, S)."""
    test = _test_scenes(job)
    return test.images[: seg.SHOWN].numpy(), test.masks[: seg.SHOWN].numpy().astype(np.uint8)


def live_view(job) -> None:
    """The run as the browser redraws it by itself: status, pixel accuracy and mean IoU, their curves, and
    the first test scenes' true masks over the predicted ones as they change."""
    size = seg.SegmentationOptions.from_dict(job.options).size
    truth = _shown(job)[1]
    token = live.feed_for(f"{JOB}.feed", job, lambda: seg.live_producer(job, truth))
    first = live.FEEDS.read(token)
    frame = mask_frame(size, seg.SHOWN, seg.CLASS_NAMES)
    masks = live.scene("masks", frame, height=330 if presenting() else 260, margin=(60, 10, 10, 30))
    live.board(token, [live.status(job.name), live.metrics("Epoch", "Pixel accuracy", "Mean IoU"),
                       live.row(masks,
                                live.chart("scores", **SCORES_CHART))],
               key="seg.live", first=first, interval=0.5, palette=MASK_PALETTE)
    st.caption("Top: the true masks of four test scenes; below them what the network paints now. The dotted "
               "line: the mean IoU of always answering \"background\". " + MIOU_CAPTION)


def render(job) -> None:
    """The run once it stops: numbers, the masks, IoU per class against the baseline, and the curves."""
    history = job.history_since(0)
    baseline = seg.job_baseline(job)
    for column, (label, value) in zip(st.columns(3), seg.score_metrics(history).items()):
        column.metric(label, value)
    shown = seg.job_masks(job)
    if baseline is None or not shown or len(history) < 1:
        st.caption("Starting…")
        return
    images, truth = _shown(job)
    test = _test_scenes(job)
    found = seg.scores(seg.predict(seg.job_model(job), test.images), test.masks)
    style = style_for(presenting())
    st.markdown(f"**Four test scenes after epoch {shown[-1]['epoch']}**: hover a mask to read its class.")
    chart(masks_figure(images, truth, shown[-1]["masks"], seg.CLASS_NAMES, style=style), key="seg.fig.masks")
    base_iou = np.array([np.nan if v is None else v for v in baseline["iou"]])
    chart(iou_figure(found.iou, base_iou, seg.CLASS_NAMES, miou=found.miou, baseline_miou=baseline["miou"],
                     style=style), key="seg.fig.iou")
    st.caption(f"The constant \"background\" answer scores pixel accuracy {baseline['pixel_accuracy']:.1%} but mean "
               f"IoU {baseline['miou']:.2f}; the network: {found.pixel_accuracy:.1%} and {found.miou:.2f}.")
    chart(curves_figure(history, baseline, style=style), key="seg.fig.curves")
    if job.status == "paused":
        st.caption("Paused. **Step** trains one more epoch; **Play** carries on.")


def cost_view(options: seg.SegmentationOptions) -> None:
    """The sliding-window alternative's cost for one picture, against the network's."""
    cost = seg.sliding_window_cost(options.width, size=options.size, skips=options.skips)
    chart(cost_figure(cost, style=style_for(presenting())), key="seg.fig.cost")
    st.caption(f"A classifier that names the class of one pixel from the {seg.PATCH}×{seg.PATCH} patch around it "
               f"must run once per pixel: {cost['window_passes']:,} passes for a {options.size}×{options.size} "
               f"picture. The network paints every pixel in one pass, sharing the work of overlapping patches: "
               f"{cost['ratio']:,.0f}× fewer multiply-adds.")
