"""A page's own background job (a visualization, an attack lab run): start it, and watch it live.

A page keeps at most one such job under a session-state key, and shows it with `job_panel`, the
page's one timed fragment (two timed fragments on a page starve each other). While it runs, the job
is also known by the browser and the key, so a reload (a new session of the same browser) finds it
and shows it live again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import streamlit as st

from playground.jobs import train
from playground.jobs.train import ACTIVE, TrainingJob
from playground.layers import SpecError
from playground.ui import live as live_boards
from playground.ui import session
from playground.ui.charts import chart

# Running page jobs by (browser, key), with the session-state values a page keeps beside each one;
# an entry goes when its job finishes.
_RUNNING: dict[tuple[str, str], tuple[TrainingJob, dict]] = {}
_RUNNING_LOCK = threading.Lock()


def current_job(key: str) -> TrainingJob | None:
    """The page's job under `key`; in a new session of the browser, the one it left running there."""
    job = st.session_state.get(key)
    if job is None:
        with _RUNNING_LOCK:
            job, kept = _RUNNING.get((session.session_id(), key), (None, {}))
        if job is not None and job.status in ACTIVE:
            st.session_state.update(kept)
            st.session_state[key] = job
        else:
            job = None
    return job


def _remember_running(key: str, job: TrainingJob) -> None:
    """Keep `job` findable by the browser and `key` until it finishes (see `current_job`)."""
    where = (session.session_id(), key)
    kept = {name: st.session_state[name] for name in (f"{key}.variants",) if name in st.session_state}
    with _RUNNING_LOCK:
        _RUNNING[where] = (job, kept)

    def forget(_job: TrainingJob) -> None:
        with _RUNNING_LOCK:
            if _RUNNING.get(where, (None,))[0] is job:
                del _RUNNING[where]

    job.when_finished(forget)


def start_job(key: str, spec: dict, dataset, config: train.Config, **kwargs) -> str | None:
    """Start a job for this page and keep it under `key`; return an error message, or None.

    A job that trains a network puts it among the session's runs (`session.start_run`)."""
    old = current_job(key)
    if old is not None and old.status in ACTIVE:
        old.stop()
    try:
        job = session.start_run(spec, dataset, config, **kwargs)
    except (SpecError, train.ConfigError, train.JobLimitError) as e:
        return str(e)
    st.session_state[key] = job
    _remember_running(key, job)
    return None


def job_panel(key: str, render: Callable[[TrainingJob], None], *, every: float = 0.5,
              live: Callable[[TrainingJob], None] | None = None) -> None:
    """Status, progress and `render(job)` for the page's job, refreshed while it runs.

    `live(job)`, if given, draws the job while it runs or waits instead (a live board, which the
    browser redraws by itself: no page reruns); `render` then draws it once it has stopped."""
    job = current_job(key)
    if job is None:
        return
    if live is not None:
        if job.status in ("queued", "running"):
            session.page_polls()
            live(job)
            return
        live_boards.close_feed(f"{key}.feed")
    active = job.status in ACTIVE
    if active:
        session.page_polls()

    @st.fragment(run_every=every if active else None)
    def panel(was_active: bool) -> None:
        if job.status == "queued":
            st.info(f"Waiting for a free worker: place {job.queue_position} in line.")
        st.progress(job.progress, text=f"{job.name} · {job.status}")
        if job.error:
            (st.error if job.status == "failed" else st.warning)(job.error)
        render(job)
        if was_active and job.status not in ACTIVE:
            st.rerun()

    panel(active)


def start_variants(key: str, variants: list, dataset, config: train.Config, *, name: str, **options) -> str | None:
    """Train `variants` (`playground.training_lab.regularization.Variant`s) side by side in one job kept under `key`
    (the "variants" trainer); `options` go to the trainer too. Returns an error message, or None."""
    st.session_state[f"{key}.variants"] = variants
    return start_job(key, variants[0].spec, dataset, config, trainer="variants", name=name,
                     options={"variants": [v.to_dict() for v in variants], **options})


def variants_board(key: str, metrics: Callable[[dict], dict[str, str]], labels: list[str], *,
                   caption: str | None = "Dashed lines: the training set; solid: validation.") -> Callable:
    """A `live` for `job_panel` of a variants job under `key`: its status line, the numbers
    `metrics(histories)` gives (`labels`, in order) and every variant's accuracy and loss curves, with
    `caption` under them (None: the page says it itself)."""
    from playground.figures.training_lab.variants import VARIANT_CHARTS
    from playground.training_lab import regularization

    def show(job: TrainingJob) -> None:
        token = live_boards.feed_for(f"{key}.feed", job, lambda: regularization.live_producer(job, metrics))
        live_boards.board(token, [live_boards.status(job.name), live_boards.metrics(*labels),
                                  live_boards.row(live_boards.chart("acc", **VARIANT_CHARTS["acc"]),
                                                  live_boards.chart("loss", **VARIANT_CHARTS["loss"]))],
                          key=f"{key}.live", first=live_boards.FEEDS.read(token))
        if caption:
            st.caption(caption)

    return show


def variant_models(key: str, kind: str = "last") -> dict:
    """The trained networks of the finished variants job under `key`, by variant name ({} before)."""
    from playground.training_lab import regularization

    job, variants = current_job(key), st.session_state.get(f"{key}.variants")
    if job is None or not job.finished or not variants:
        return {}
    return regularization.variant_models(job, variants, kind=kind)


def train_here(prefix: str, preset_name: str, dataset_name: str, config: train.Config, *, name: str) -> None:
    """A "Train it" button that trains `preset_name` on `dataset_name` in the pool, live curves, and
    the finished model added to the session's runs (so every model picker offers it)."""
    from playground import figures, models

    key = f"{prefix}.job"

    def start() -> None:
        dataset = session.dataset(dataset_name)
        st.session_state[f"{prefix}.error"] = start_job(key, models.preset(preset_name, dataset), dataset, config,
                                                        name=session.unique_name(name))

    st.button("Train it", key=f"{prefix}.train", on_click=start)
    if st.session_state.get(f"{prefix}.error"):
        st.error(st.session_state.pop(f"{prefix}.error"))

    def show(job: TrainingJob) -> None:
        if not job.history.empty:
            chart(figures.curves_figure(job.history), key=f"{prefix}.fig.curves")

    job_panel(key, show)
    job = current_job(key)
    if job is not None and job.status == "done":
        st.success(f"{job.name} is ready: pick it in the model list above.")


def launch_sweep(sweep: dict) -> None:
    """Start the pending runs of a sweep (`sweep["pending"]`: (value, Config) pairs) while the session
    has room for them; each lands in the session's runs and in `sweep["runs"]` as (value, name)."""
    from playground import models
    from playground.settings import get_settings

    dataset = session.dataset(sweep["dataset"])
    spec = models.preset(sweep["preset"], dataset)
    while sweep["pending"] and len(session.active_runs()) < get_settings().max_jobs_per_session:
        value, config = sweep["pending"].pop(0)
        try:
            name = session.unique_name(f"sweep {sweep['setting']}={value}")
            job = session.start_run(spec, dataset, config, name=name)
        except (SpecError, train.ConfigError, train.JobLimitError) as e:
            sweep["error"] = str(e)
            sweep["pending"].clear()
            return
        sweep["runs"].append((value, session.record_job(job, dataset.ref())[0].name))


def train_buttons(key: str, current, start: Callable[[bool], None], *, enabled: bool, why: str) -> None:
    """Train and Stop for a page's runs (`current`: its latest RunRecord, or None). Train while
    `current` still trains asks whether to stop it or run both; `start(stop_current)` starts a run
    and may leave a message in `st.session_state[f"{key}.error"]`. `why`: the Train button's hint
    while it is disabled."""
    def on_train() -> None:
        if current is not None and current.active:
            st.session_state[f"{key}.confirm"] = True
        else:
            start(False)

    def answer(stop_current: bool) -> None:
        st.session_state.pop(f"{key}.confirm", None)
        start(stop_current)

    b1, b2, _ = st.columns([1, 1, 4])
    b1.button("Train", type="primary", key=f"{key}.train", on_click=on_train, disabled=not enabled, width="stretch",
              help=None if enabled else why)
    b2.button("Stop", key=f"{key}.stop", on_click=lambda: current.job.stop(),
              disabled=current is None or not current.active, width="stretch")
    if f"{key}.error" in st.session_state:
        st.error(st.session_state.pop(f"{key}.error"))
    if st.session_state.get(f"{key}.confirm") and current is not None:
        with st.container(border=True):
            st.warning(f"**{current.name}** is still training. Stop it, or run the new one beside it?")
            d1, d2, d3, _ = st.columns([1, 1, 1, 2])
            d1.button("Stop it and train", on_click=answer, args=(True,))
            d2.button("Run both", on_click=answer, args=(False,))
            d3.button("Cancel", on_click=lambda: st.session_state.pop(f"{key}.confirm", None))
