"""The one place a browser session keeps its runs, and the one picker pages use to choose a model.

Runs live in `st.session_state["runs"]` (name -> RunRecord), newest last. The bundled examples are
offered beside them in every picker, so a page that inspects a model works on first open.

Each browser has a secret token, kept in a cookie (never in the URL, so a shared link does not share
it). The run store (`playground.jobs.store`) files the browser's runs under it: a new session of the
same browser (a reload, a second tab, a visit after a restart) finds them again, and follows those
still training live.
"""

from __future__ import annotations

import logging
import re
import secrets
import sqlite3
import time
from collections.abc import Callable

import streamlit as st

from playground.jobs import runs as runs_lib
from playground.jobs import store as store_lib
from playground.jobs.runs import RunRecord

_RUNS = "runs"
_TOKEN = "browser_token"
COOKIE = "np_token"
_COOKIE_MAX_AGE_S = 400 * 86400  # the longest a browser keeps a cookie
_SAVE_EVERY_S = 5.0  # how often a training run's curves and weights are written while a page watches it
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")  # what `secrets.token_urlsafe` makes


def browser_token() -> str:
    """This browser's secret token: the one in its cookie, or a new one (`remember_browser` puts it
    in the cookie). A test may set `st.session_state["browser_token"]` before the first run."""
    if _TOKEN not in st.session_state:
        try:
            cookie = st.context.cookies.get(COOKIE, "")
        except Exception:  # noqa: BLE001 - no browser behind this session (a test, a script)
            cookie = ""
        valid = isinstance(cookie, str) and _TOKEN_SHAPE.fullmatch(cookie)
        st.session_state[_TOKEN] = cookie if valid else secrets.token_urlsafe(24)
    return st.session_state[_TOKEN]


def session_id() -> str:
    """The id of this browser's runs (the hash of its token): the worker pool counts jobs per browser
    with it, and the run store files runs under it. Every tab and reload of one browser shares it, so a
    session that ends must leave its jobs running: the next session of the browser takes them over."""
    return store_lib.owner_key(browser_token())


def remember_browser() -> None:
    """Put the browser's token in its cookie (SameSite=Strict, kept 400 days), unless it is there."""
    token = browser_token()
    try:
        if st.context.cookies.get(COOKIE) == token:
            return
    except Exception:  # noqa: BLE001 - no browser behind this session
        pass
    if not _TOKEN_SHAPE.fullmatch(token):  # only our own tokens are written into the script
        return
    st.html(f"""<script>document.cookie = "{COOKIE}={token}; Max-Age={_COOKIE_MAX_AGE_S}; Path=/; "
            + "SameSite=Strict" + (location.protocol === "https:" ? "; Secure" : "");</script>""",
            unsafe_allow_javascript=True)


def runs() -> dict[str, RunRecord]:
    """This session's runs by name, oldest first, refreshed from their jobs. The first call brings
    back the browser's runs from the run store, following those still training."""
    if _RUNS not in st.session_state:
        st.session_state[_RUNS] = {}
        _restore(st.session_state[_RUNS])
    records = st.session_state[_RUNS]
    saved = st.session_state.setdefault("_saved_at", {})
    for record in records.values():
        record.refresh()
        if record.active and time.monotonic() - saved.get(record.uid, 0) >= _SAVE_EVERY_S:
            saved[record.uid] = time.monotonic()
            _save(session_id(), record)
    return records


def _restore(records: dict[str, RunRecord]) -> None:
    """Put the browser's stored runs in `records`; a run whose job still trains follows that job."""
    store = store_lib.get_store()
    if store is None:
        return
    owner = session_id()
    try:
        stored = store.load(owner)
    except sqlite3.Error as e:
        logging.getLogger(__name__).warning("could not read the run store: %s", e)
        return
    live = {job.id: job for job in _pool().jobs(session=owner)} if any(s.job_id for s in stored) else {}
    recorded = st.session_state.setdefault("_recorded_jobs", {})
    for item in stored:
        record, job = item.record, live.get(item.job_id)
        if job is not None:
            variant = next((v for v in job.options.get("variants", ()) if v["name"] == record.variant), None)
            follow = RunRecord.from_job(job, record.dataset, page=record.page, variant=variant, name=record.name)
            follow.uid, follow.created, follow.source = record.uid, record.created, record.source
            record = follow
        elif record.active:  # its job has gone without saying how it ended
            record.status, record.error = store_lib.INTERRUPTED, store_lib.INTERRUPTED_MESSAGE
        name, k = record.name, 2
        while name in records:
            name, k = f"{record.name} ({k})", k + 1
        record.name = name
        records[name] = record
        if job is not None:
            recorded.setdefault(job.id, []).append(name)


def _save(owner: str, record: RunRecord) -> None:
    """Write `record` to the run store, if there is one (also from the pool's thread: no Streamlit)."""
    store = store_lib.get_store()
    if store is None:
        return
    try:
        store.save(owner, record)
    except (sqlite3.Error, OSError) as e:
        logging.getLogger(__name__).warning("could not save run %r: %s", record.name, e)


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
    _save(session_id(), record)
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
            _forget(old)
        records.append(add_run(record))
    recorded[job.id] = [r.name for r in records]
    owner = session_id()
    # Its final state is saved when it ends, also if no page watches it then (a reload, a closed tab).
    job.when_finished(lambda _job: [_save(owner, r.refresh()) for r in records])
    return records


def _forget(record: RunRecord) -> None:
    store = store_lib.get_store()
    if store is not None:
        try:
            store.delete(session_id(), record.uid)
        except sqlite3.Error as e:
            logging.getLogger(__name__).warning("could not forget run %r: %s", record.name, e)


def stored_runs() -> int | None:
    """How many runs the server's run store holds (every browser's), or None without a store."""
    store = store_lib.get_store()
    return None if store is None else store.count()


def class_export() -> bytes:
    """Every stored run of the server as a zip of CSV tables (`playground.jobs.store.export_zip`)."""
    store = store_lib.get_store()
    return store_lib.export_zip(store) if store is not None else b""


def latest_run(page: str) -> RunRecord | None:
    """The newest run started on `page` (a page title), or None: what a page shows after a reload."""
    return next((r for r in reversed(list(runs().values())) if r.page == page and r.source == "session"), None)


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
    remember_browser()
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
    """Start the worker pool with the server's first page view, so the first Train is quick; and
    register the session (every script run, before the page), so that its datasets, runs and jobs
    are let go when it ends (`playground.ui.lifecycle`)."""
    from playground.ui import lifecycle

    lifecycle.watch(session_id())
    return _pool()


@st.cache_resource(show_spinner=False)
def _dataset_cache():
    """The server's datasets made from names, bounded in count and in megabytes (`Settings.dataset_cache_*`)."""
    from playground.data import DatasetCache
    from playground.settings import get_settings

    settings = get_settings()
    return DatasetCache(max_entries=settings.dataset_cache_entries,
                        max_bytes=int(settings.dataset_cache_mb * 2**20))


def _dataset(name: str, seed: int, params_json: str):
    import json

    from playground.data import load

    def make():
        return load(name, seed=seed, **json.loads(params_json))

    cache, key = _dataset_cache(), (name, seed, params_json)
    if key in cache:
        return cache.get(key, make)
    with st.spinner("Preparing the data…"):
        return cache.get(key, make)


def dataset(name: str, *, seed: int = 0, params: dict | None = None):
    """A dataset, made once per server for each name, seed and parameters (read-only: do not modify).

    The session's own uploads are made from its memory instead; their `params` are ignored.
    """
    import json

    from playground.ui import uploads

    if uploads.is_uploaded(name):
        return uploads.dataset(name, seed)
    # A folder to read or download into is the server's own (PLAYGROUND_DATA_DIR): one named by a
    # checkpoint's metadata or a link is not followed.
    params = {key: value for key, value in (params or {}).items() if key != "data_dir"}
    return _dataset(name, seed, json.dumps(params, sort_keys=True))


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
