"""Transfer learning on its page: the run (live while it trains, figures once it stops), the lesson with
its numbers, the first layer's filters before and after fine-tuning, and ResNet-18's availability."""

from __future__ import annotations

import streamlit as st

from playground.figures.vision.transfer import (
    ACCURACY_CHART,
    NOW_LABEL,
    board_metrics,
    curves_figure,
    filters_figure,
    results_frame,
)
from playground.ui import live
from playground.ui.charts import chart
from playground.vision import pretrained as resnet
from playground.vision import transfer as tl

JOB = "tl.job"
FEATURES = ("ours", "resnet18")
FEATURE_LABELS = {"ours": "Our CNN, pretrained on digits 0–4", "resnet18": "ResNet-18 (ImageNet)"}
SIZE_CHOICES = ("5", "5,20", "5,20,100")
CURVES_CAPTION = ("Test accuracy on the digits 5–9 after every epoch, each panel one training-set size. Solid blue: "
                  "from scratch; dashed orange: fine-tune everything; dotted green: frozen features with a new "
                  "head. The last panel is the pretraining on the digits 0–4.")


def options_from(sizes: str, pretrained: bool, features: str = "ours") -> tl.TransferOptions:
    """The experiment's options from the page's choices ("5,20,100", whether to pretrain, and the features:
    "resnet18" adds ResNet-18's way when its weights are here)."""
    resnet18 = features == "resnet18" and resnet.resnet18_weights_file().exists()
    return tl.TransferOptions(sizes=tuple(int(s) for s in sizes.split(",")), pretrained=pretrained, resnet18=resnet18)


def settings_changed(job, options: tl.TransferOptions) -> bool:
    now = options.to_dict()
    return any(list(job.options.get(k) or ()) != list(now[k]) if k == "sizes" else job.options.get(k) != now[k]
               for k in ("sizes", "pretrained", "resnet18"))


def live_view(job) -> None:
    """The run as the browser redraws it: status, numbers, and the three ways side by side per size."""
    options = tl.TransferOptions.from_dict(job.options)
    token = live.feed_for(f"{JOB}.feed", job, lambda: tl.live_producer(job))
    first = live.FEEDS.read(token)
    panels = [live.chart(f"size{i}", **{**ACCURACY_CHART, "x_title": f"epoch ({n} a class)"}, empty="Waiting…")
              for i, n in enumerate(options.sizes)]
    pretrain = live.chart("pretrain", **{**ACCURACY_CHART, "x_title": "epoch (pretraining on 0–4)"},
                          empty="No epochs yet")
    label = f"Fine-tune − scratch ({options.sizes[0]} a class)"
    charts = [*panels, pretrain]  # two a row: four in a row were too small to read at 1280 pixels
    rows = [live.row(*charts[i:i + 2]) for i in range(0, len(charts), 2)]
    live.board(token, [live.status(job.name), live.metrics("Pretraining on 0–4", NOW_LABEL, label), *rows],
               key="tl.live", first=first, interval=0.5)
    st.caption(CURVES_CAPTION)


def render(job) -> None:
    """The run once it stops: numbers, the curves side by side, the lesson and the filters."""
    history = job.history_since(0)
    options = tl.TransferOptions.from_dict(job.options)
    table = tl.results_table(job.series("results"))
    for column, (label, value) in zip(st.columns(3), board_metrics(history, table).items()):
        column.metric(label, value)
    chart(curves_figure(history, options.sizes), key="tl.fig.curves")
    st.caption(CURVES_CAPTION)
    if table:
        st.subheader("What the run says")
        st.table(results_frame(table))
        st.markdown(tl.lesson(table))
    filters = job.series("filters")
    if len(filters) > 1:
        st.subheader("The first layer's filters, before and after fine-tuning")
        chart(filters_figure([filters[0], filters[-1]]), key="tl.fig.filters")
        st.caption("Each square is one 3 × 3 filter of the first convolution (red: positive weight, blue: negative; "
                   "hover for the number). With a low learning rate and a few images, fine-tuning nudges them: "
                   "the stroke detectors learned on 0–4 stay recognisable.")
    if job.status == "paused":
        st.caption("Paused. **Step** trains one more epoch; **Play** carries on.")


def resnet_panel() -> None:
    """Whether ResNet-18's ImageNet weights are here; if not, what file is missing and a button to fetch it."""
    file = resnet.resnet18_weights_file()
    if file.exists():
        st.success(f"ResNet-18's ImageNet weights are here ({file}). After our CNN's three ways, the run reads "
                   "B's pictures once through ResNet-18 (112 × 112, 512 features each; about half a minute on "
                   "one CPU core) and trains a new linear head on them: a fourth row in the table.")
        return
    st.info(resnet.unavailable_message("not downloaded yet") + " The run below uses our CNN only.")
    if st.button("Download ResNet-18's weights (45 MB)", key="tl.download"):
        try:
            with st.spinner("Downloading…"):
                resnet.load_resnet18(download=True)
        except resnet.PretrainedUnavailable as e:
            st.error(str(e))
        else:
            st.rerun()
