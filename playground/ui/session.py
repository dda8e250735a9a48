"""The one place a browser session keeps its runs, and the one picker pages use to choose a model.

Runs live in `st.session_state["runs"]` (name -> RunRecord), newest last. The bundled examples are
offered beside them in every picker, so a page that inspects a model works on first open.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import streamlit as st

from playground.jobs import runs as runs_lib
from playground.jobs.runs import RunRecord

_RUNS = "runs"
_SESSION = "session_id"


def session_id() -> str:
    """A random id for this browser session; the worker pool counts jobs per session with it."""
    if _SESSION not in st.session_state:
        st.session_state[_SESSION] = uuid.uuid4().hex
    return st.session_state[_SESSION]


def runs() -> dict[str, RunRecord]:
    """This session's runs by name, oldest first, refreshed from their jobs."""
    if _RUNS not in st.session_state:
        st.session_state[_RUNS] = {}
    records = st.session_state[_RUNS]
    for record in records.values():
        record.refresh()
    return records


def unique_name(base: str) -> str:
    """`base`, or `base (2)`, `base (3)`, ... whichever no run of this session has yet."""
    taken = set(runs())
    name, k = base, 2
    while name in taken:
        name, k = f"{base} ({k})", k + 1
    return name


def add_run(record: RunRecord) -> RunRecord:
    """Keep `record` in the session (renamed if its name is taken) and return it."""
    record.name = unique_name(record.name)
    runs()[record.name] = record
    return record


def start_run(spec: dict, dataset, config, **kwargs):
    """`train.start` for this session, its networks kept among the session's runs (once, with the
    page that started them), so Compare runs and every model picker offer them. Returns the job;
    raises what `train.start` raises."""
    from playground.jobs import train

    job = train.start(spec, dataset, config, session=session_id(), **kwargs)
    record_job(job, dataset.ref())
    return job


def record_job(job, dataset_ref: dict) -> list[RunRecord]:
    """Keep the runs of `job` in the session, unless they are kept already; return its records."""
    recorded = st.session_state.setdefault("_recorded_jobs", {})
    if job.id in recorded:
        return [runs()[name] for name in recorded[job.id] if name in runs()]
    records = []
    for record in runs_lib.records_from_job(job, dataset_ref, page=current_page()):
        old = runs().get(record.name)
        if old is not None and not old.active and old.weights is None:
            del runs()[record.name]  # a failed run of the same name: the new one takes its place
        records.append(add_run(record))
    recorded[job.id] = [r.name for r in records]
    return records


def current_page() -> str:
    """The title of the page this script run shows, also inside a widget's callback ("" outside a page)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    from streamlit.util import calc_hash

    from playground.ui.navigation import SECTIONS

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return ""
    manager = ctx.pages_manager
    wanted = {manager.current_page_script_hash, manager.intended_page_script_hash} - {None, ""}
    # A page's hash is that of its URL path (the file's stem), as `st.Page` makes it.
    for entries in SECTIONS.values():
        for entry in entries:
            if calc_hash(entry.path.rsplit("/", 1)[-1].removesuffix(".py")) in wanted:
                return entry.title
    return ""


def active_runs() -> list[RunRecord]:
    return [r for r in runs().values() if r.active]


@st.cache_resource(show_spinner=False)
def _examples() -> list[RunRecord]:
    return runs_lib.examples()


def examples() -> list[RunRecord]:
    """The bundled example models (loaded once per server)."""
    return _examples()


def model_picker(label: str, *, key: str, accept: Callable[[RunRecord], bool] | None = None,
                 help: str | None = None, prefer: str | None = None) -> RunRecord | None:
    """A select box over the session's trained runs (newest first) and the examples.

    `accept` filters records (e.g. image models only); `prefer` names the example to start on when
    the session has no model of its own. Returns the chosen record, or None when there is nothing
    to choose from.
    """
    choices: dict[str, RunRecord] = {}
    for record in reversed(list(runs().values())):
        if record.weights is not None or record.job is not None and record.job.weights is not None:
            choices[f"{record.name} · this session"] = record
    for record in examples():
        choices[f"{record.name} · example"] = record
    if accept is not None:
        choices = {label_: r for label_, r in choices.items() if accept(r)}
    if not choices:
        st.info("No trained model yet: train one on the Build & Train page.")
        return None
    if st.session_state.get(key) not in choices:
        st.session_state.pop(key, None)
        own = [c for c, r in choices.items() if r.source != "example"]
        preferred = [c for c in choices if prefer and c == f"{prefer} · example"]
        if not own and preferred:
            st.session_state[key] = preferred[0]
    chosen = st.selectbox(label, list(choices), key=key, help=help)
    return choices[chosen]


def _status_line(record: RunRecord) -> str:
    job = record.job
    if job is None:
        return f"{record.name}: {record.status}"
    if job.status == "queued":
        return f"**{record.name}** waits in line (place {job.queue_position})"
    return f"**{record.name}** {job.status}: epoch {max(job.epoch, 0)} of {job.config.epochs}"


def once(key: str, action: Callable[[], None]) -> dict:
    """`on_click` and `args` for a button whose `action` must run once per click.

    While a timed fragment reruns, a click can reach its callback twice (the rerun it causes is
    interrupted before the script starts, and the click is handled again in the next one); a "Step"
    would then take two steps. Each drawing of the button carries a number; the first call with it
    runs `action` and moves the number on, so a second call with the same one does nothing.
    """
    name = f"_once.{key}"
    drawn = st.session_state.get(name, 0)

    def run(number: int) -> None:
        if st.session_state.get(name, 0) == number:
            st.session_state[name] = number + 1
            action()

    return {"on_click": run, "args": (drawn,)}


def page_polls() -> None:
    """Say that the current page watches its runs itself: from its own timed fragment, or from a
    live board (`playground.ui.live`, whose reads of the run's feed count as watching it).

    Two timed fragments on one page starve each other (their timers reset each other's runs), and a
    live board needs no reruns at all, so the sidebar note then stays still and leaves it to the page.
    """
    st.session_state["_page_polls"] = True


def training_status() -> None:
    """A sidebar note on this session's active runs; call it after the page has run.

    On pages that do not poll their runs themselves it refreshes every few seconds, which also
    tells the pool the session still watches its jobs (unwatched jobs are stopped).
    """
    page_polls_itself = st.session_state.pop("_page_polls", False)
    if not active_runs() or page_polls_itself:
        return

    def _panel():
        current = active_runs()
        for record in current:
            if record.job is not None:
                record.job.touch()
            st.caption(_status_line(record))
        if not current:
            st.caption("All runs finished.")

    with st.sidebar:
        if page_polls_itself:
            _panel()
        else:
            st.fragment(run_every=3)(_panel)()


@st.cache_resource(show_spinner=False)
def _pool():
    import torch

    from playground.jobs.pool import get_pool
    from playground.settings import get_settings

    # Explanations and attacks run in this process; one thread each keeps sessions from crowding
    # out the training workers (and each other) on a small server.
    torch.set_num_threads(get_settings().torch_threads)
    return get_pool()


def warm_pool():
    """Start the worker pool with the server's first page view, so the first Train is quick."""
    return _pool()


@st.cache_resource(show_spinner="Preparing the data…", max_entries=8)
def _dataset(name: str, seed: int, params_json: str):
    import json

    from playground.data import load

    return load(name, seed=seed, **json.loads(params_json))


def dataset(name: str, *, seed: int = 0, params: dict | None = None):
    """A dataset, made once per server for each name, seed and parameters (read-only: do not modify).

    The session's own uploads are made from its memory instead; their `params` are ignored.
    """
    import json

    from playground.ui import uploads

    if uploads.is_uploaded(name):
        return uploads.dataset(name, seed)
    return _dataset(name, seed, json.dumps(params or {}, sort_keys=True))


def dataset_names(kind: str | None = None) -> list[str]:
    """The built-in datasets, then this session's uploads, optionally only those of one kind."""
    from playground.data import names
    from playground.ui import uploads

    return names(kind) + uploads.names(kind)


def has_dataset(name: str) -> bool:
    """True for a built-in dataset and for an upload of this session."""
    from playground.data import DATASETS
    from playground.ui import uploads

    return name in DATASETS or uploads.is_uploaded(name)


def dataset_info(name: str):
    """The `DatasetInfo` of a built-in dataset or of an upload (kind "table" or "image")."""
    from playground.data import DATASETS
    from playground.ui import uploads

    return uploads.info(name) if uploads.is_uploaded(name) else DATASETS[name]


def runs_table():
    """The session's runs as a small table: name, data, status, epochs, test accuracy and loss, time."""
    import pandas as pd

    rows = []
    for record in runs().values():
        last = record.final
        rows.append({"run": record.name, "page": record.page or "—", "data": record.dataset.get("name", "?"),
                     "status": record.status,
                     "epochs": int(last["epoch"]) if last else 0,
                     "test accuracy": last.get("val_acc"), "test loss": last.get("val_loss"),
                     "seconds": last.get("seconds")})
    return pd.DataFrame(rows)
