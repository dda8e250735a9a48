"""The character language model on its page: where the text comes from, the training run (live while it
runs, figures once it stops), and the model of the moment for writing and for next-character guesses."""

from __future__ import annotations

import streamlit as st

from playground.figures.sequences.charlm import LOSS_CHART, loss_figure
from playground.sequences import charlm
from playground.text import MAX_TEXT_CHARS, MIN_TEXT_CHARS, TextError, check_text, default_text
from playground.ui import live
from playground.ui.charts import chart
from playground.ui.inputs import memo, weights_key

JOB = "lm.job"
SOURCES = ("ours", "paste", "upload")
SOURCE_LABELS = {"ours": "Our text (simple English)", "paste": "Paste your own", "upload": "Upload a file"}
# What a change of these settings means a new run; the prompt and temperature only change what it writes.
TRAINING_KEYS = ("vocab", "cell", "hidden", "layers", "embedding", "window", "batch_size", "steps", "lr")
LOSS_CAPTION = ("Loss: how surprised the model is by each next character, in nats (÷ ln 2 = bits). The dotted line is "
                "the text's **unigram entropy**: the best any model can do that ignores what came before. Below it, "
                "the model uses context.")


def read_text(source: str) -> str | None:
    """The text to train on from `source` ("ours", "paste" or "upload"), checked; None after showing what is
    wrong with it (empty, too short or too long, not UTF-8)."""
    if source == "ours":
        text = memo(("lm.default",), default_text)
        with st.expander(f"Our text: {len(text):,} characters of simple English, made up by a small grammar"):
            st.text(text[:600] + "…")
        return text
    if source == "paste":
        raw = st.text_area("Your text", key="lm.paste", height=180,
                           placeholder=f"Paste at least {MIN_TEXT_CHARS} characters: a story, a poem, code, …")
        if not raw:
            st.info(f"Paste some text above (at least {MIN_TEXT_CHARS} characters, at most {MAX_TEXT_CHARS:,}).")
            return None
    else:
        upload = st.file_uploader("A plain-text file (UTF-8)", type=["txt", "md", "csv", "py", "json", "html"],
                                  key="lm.file")
        if upload is None:
            st.info(f"Upload a text file of {MIN_TEXT_CHARS} to {MAX_TEXT_CHARS:,} characters.")
            return None
        raw = upload.getvalue()
    try:
        return check_text(raw)
    except TextError as e:
        st.error(str(e))
        return None


def describe(text: str) -> None:
    """How long the text is, how many characters it uses, and its baseline."""
    entropy = memo(("lm.entropy", hash(text)), lambda: charlm.unigram_entropy(text))
    st.caption(f"{len(text):,} characters, {len(set(text))} different ones. Unigram entropy (the baseline): "
               f"{entropy:.2f} nats = {charlm.bits(entropy):.2f} bits per character.")


def model_now(job, options: charlm.CharOptions, seed: int) -> tuple[charlm.CharModel, charlm.Vocabulary, str]:
    """The model to write with: the job's latest weights (as published when the page ran), or an untrained
    one of `options` with `seed` before any run; and a few words on which it is."""
    if job is not None and job.weights is not None:
        found = memo(("lm.weights", job.id, weights_key(job.weights)), lambda: charlm.job_model(job))
        steps = int(job.history["epoch"].max()) if job.rows else 0
        return found[0], found[1], f"the model after {steps:,} steps"

    def untrained():
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return charlm.CharModel.from_options(options.validate()).eval()

    key = ("lm.untrained", *[getattr(options, k) for k in TRAINING_KEYS], seed)
    return memo(key, untrained), charlm.Vocabulary(options.vocab), "the untrained model (press Play to train it)"


def temperature_words(temperature: float) -> str:
    """What a temperature does to the writing, in a sentence."""
    if temperature < 0.5:
        what = "low, so it picks the likeliest characters and repeats itself."
    elif temperature > 1.2:
        what = "high, so it takes chances and misspells."
    else:
        what = "in between: mostly words, some surprises."
    return f"Temperature {temperature:g}: {what}"


def settings_changed(job, options: charlm.CharOptions) -> bool:
    """Whether the text or the training settings differ from those `job` trains with."""
    now = options.to_dict()
    return any(job.options.get(k) != now[k] for k in TRAINING_KEYS)


def live_view(job) -> None:
    """The run as the browser redraws it by itself: status, numbers, the loss against the baseline, and the
    latest sample as it appears."""
    token = live.feed_for(f"{JOB}.feed", job, lambda: charlm.live_producer(job))
    first = live.FEEDS.read(token)
    live.board(token, [live.status(job.name), live.metrics("Step", "Held-out loss", "Unigram baseline"),
                       live.chart("loss", **LOSS_CHART, empty="No steps yet"),
                       live.text("sample", height=230, empty="The first sample comes at step 0…")],
               key="lm.live", first=first, interval=0.5)
    st.caption(LOSS_CAPTION + " Below the chart: what the model writes now, from the same prompt and random draws "
               "each time, so only the model changes.")


def render(job) -> None:
    """The run once it stops (paused, done, stopped or failed): numbers, the loss chart and the samples."""
    history = job.history_since(0)
    baseline = charlm.job_baseline(job)
    columns = st.columns(3)
    for column, (label, value) in zip(columns, charlm.loss_metrics(history, baseline).items()):
        column.metric(label, value)
    if baseline is None:
        st.caption("Starting…")
        return
    chart(loss_figure(history, baseline), key="lm.fig.loss")
    st.caption(LOSS_CAPTION)
    samples = job.series("samples")
    if samples:
        st.markdown(f"**What it wrote at step {samples[-1]['step']:,}** (from the prompt, during training):")
        st.text(samples[-1]["text"])
        with st.expander(f"All {len(samples)} samples, from noise to words"):
            for s in samples:
                st.markdown(f"**Step {s['step']:,}**")
                st.text(s["text"])
    if job.status == "paused":
        st.caption("Paused. **Step** trains one more step; **Play** carries on.")
