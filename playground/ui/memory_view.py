"""RNN vs LSTM vs GRU on the page: starting the three side by side, their live board, and the LSTM
(trained, training or untrained) whose gates the page draws."""

from __future__ import annotations

import streamlit as st
import torch

from playground.figures.sequences.memory import MSE_CHART, gates_scene, gates_scene_frame, mse_series
from playground.figures.style import style_for
from playground.models import build
from playground.sequences import memory
from playground.training_lab import regularization
from playground.ui import jobs, live, session
from playground.ui.share import presenting

JOB = "mem.job"
GATES_SHOWN = "Gates drawn after epoch"
LIVE_UNITS = 12  # the busiest units, as the page's figure draws them


def labels(names) -> list[str]:
    """The live board's and the page's metric labels, one per network."""
    return [f"Test MSE, {name}" for name in names]


def mse_texts(tables: dict) -> dict[str, str]:
    """Each network's latest test MSE, by metric label."""
    return {label: f"{mse:.3f}" if mse >= 0.001 else f"{mse:.1e}"
            for label, mse in zip(labels(tables), memory.final_mse(tables).values())}


def verdicts(tables: dict) -> dict[str, str]:
    """What each network's latest test MSE means ("learned the sum", …), by metric label."""
    return {label: memory.verdict(mse) for label, mse in zip(labels(tables), memory.final_mse(tables).values())}


def adding_data(length: int, seed: int):
    """The adding problem's sequences of `length` steps (made once per server)."""
    return session.dataset("adding", seed=seed, params=memory.dataset_params(length))


def start(length: int, seed: int) -> None:
    """Train the RNN, the LSTM and the GRU side by side in the worker pool; a message if it cannot start."""
    st.session_state[f"{JOB}.error"] = jobs.start_variants(
        JOB, memory.variants(length), adding_data(length, seed), memory.config(seed),
        name=session.unique_name(f"long memory, length {length}"), watch=[memory.WATCHED])


def _live_gates(job, spec: dict, sequence: torch.Tensor) -> tuple[dict, int] | None:
    """The live scene of the watched LSTM's gates over `sequence` from its latest weights, and their epoch."""
    weights = job.latest(f"weights: {memory.WATCHED}")
    if weights is None:
        return None
    gates = memory.lstm_gates(memory.lstm_of(regularization.load_weights(spec, weights)), sequence)
    rows = [row for row in job.series("rows") if row["variant"] == memory.WATCHED]
    return gates_scene(gates, sequence.numpy(), memory.busiest_units(gates, LIVE_UNITS)), \
        int(rows[-1]["epoch"]) if rows else 0


def _producer(job, spec: dict, sequence: torch.Tensor):
    from playground.jobs import live as feeds

    def produce(job) -> dict:
        view = feeds.job_view(job)
        tables = regularization.histories(job.series("rows"))
        if tables:
            view["metrics"] = mse_texts(tables)
        view["charts"] = {"mse": mse_series(tables)}
        found = _live_gates(job, spec, sequence)
        if found is not None:
            view["scenes"] = {"gates": found[0]}
            view.setdefault("metrics", {})[GATES_SHOWN] = str(found[1])
        return view

    return feeds.Cached(job, produce, mark=lambda j: (len(j.series("rows")), j.latest(f"weights: {memory.WATCHED}")
                                                      is not None))


def board(job, sequence_index: int) -> None:
    """A `live` for `jobs.job_panel` (with the page's test sequence): status, each network's test MSE, the
    curves with the mean's line, and the LSTM's gates over test sequence `sequence_index`, every epoch."""
    spec = next(v["spec"] for v in job.options["variants"] if v["name"] == memory.WATCHED)
    data = adding_data(spec["input_shape"][0], job.config.seed)
    sequence = data.x_test[min(sequence_index, len(data.x_test) - 1)]
    held = st.session_state.get(f"{JOB}.feed")
    if held is not None and st.session_state.get(f"{JOB}.feed.sequence") != sequence_index:
        live.close_feed(f"{JOB}.feed")  # a new test sequence: a new feed, drawing it
    st.session_state[f"{JOB}.feed.sequence"] = sequence_index
    token = live.feed_for(f"{JOB}.feed", job, lambda: _producer(job, spec, sequence))
    names = [v["name"] for v in job.options.get("variants", ())]
    frame = gates_scene_frame(sequence.numpy(), LIVE_UNITS, style=style_for(presenting()))
    live.board(token, [live.status(job.name), live.metrics(*labels(names), GATES_SHOWN),
                       live.chart("mse", **MSE_CHART),
                       live.scene("gates", frame, height=480, margin=(10, 130, 10, 10))],
               key=f"{JOB}.live", first=live.FEEDS.read(token))
    st.caption(f"Below the curves: the LSTM's gates over test sequence {sequence_index} ({memory.describe(sequence)}), "
               f"from its latest weights, redrawn every epoch ({LIVE_UNITS} busiest units down, time across; "
               "orange: open gate or positive cell, blue: closed or negative).")


def watched_lstm() -> tuple[torch.nn.Module, str, int, int] | None:
    """The LSTM of the page's job: (network, what it is, its sequence length, the data's seed), from its
    final weights once finished, else from the latest epoch's; None before any."""
    job, variants = jobs.current_job(JOB), st.session_state.get(f"{JOB}.variants")
    spec = next((v.spec for v in variants or () if v.name == memory.WATCHED), None)
    if job is None or spec is None:
        return None
    length, seed = spec["input_shape"][0], job.config.seed
    finished = jobs.variant_models(JOB).get(memory.WATCHED)
    if finished is not None:
        return finished, f"the trained LSTM (seed {seed}, length {length})", length, seed
    weights = job.latest(f"weights: {memory.WATCHED}")
    if weights is None:
        return None
    rows = [row for row in job.series("rows") if row["variant"] == memory.WATCHED]
    epoch = int(rows[-1]["epoch"]) if rows else 0
    return (regularization.load_weights(spec, weights),
            f"the LSTM as it trains (after epoch {epoch}; move a control or wait for the end to refresh)", length, seed)


def untrained_lstm(length: int, seed: int) -> torch.nn.Module:
    """The LSTM the job would start from (the same seed): what its gates do before any training."""
    with torch.random.fork_rng():  # leaves the server's own random numbers alone
        torch.manual_seed(seed)
        return build(memory.network_spec("lstm", length)).eval()
