"""What happens when a browser session ends: its datasets, runs, live feeds and jobs are let go.

Streamlit (1.67) has no public hook for the end of a session. A closed tab's session is kept for
`server.disconnectedSessionTTL` seconds (120 by default) so that a reconnect can resume it, and then
only stops being offered: the store that keeps it drops it lazily (on the next disconnect, if any)
and never shuts it down, so its session state (uploads, parsed files, runs and their weights), its
uploaded files in Streamlit's upload manager and its live feeds stay in the server's memory. Measured
before this module: 8 sessions that each uploaded a 3.8 MB zip raised the server's RSS by ~200 MB,
unchanged 150 s after they closed.

So every script run registers its session here (`watch`), and a sweeper thread asks the runtime
every few seconds which registered sessions are still connected (`Runtime.is_active_session`, safe
from any thread). A session disconnected for longer than the TTL can no longer be resumed; it has
ended, and `release` lets its things go:

- the live feeds kept in its state are closed, and then every key of its state is deleted;
- its running jobs are stopped, unless another session of the same browser is still there (a reload
  or a second tab follows them: see `playground.ui.session.session_id`);
- its uploaded files leave Streamlit's upload manager; on the runtime's event loop the session is
  taken out of the store of resumable sessions and shut down (`AppSession.shutdown`, which also
  lets go of its media and data frames), so nothing holds it any more;
- the garbage collector runs, and glibc's `malloc_trim` hands freed heap pages back to the system
  (without it, freed memory stays in the process for reuse and RSS does not fall).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import logging
import threading
import time
import weakref
from collections.abc import Callable, MutableMapping

SWEEP_EVERY_S = 10.0  # how often ended sessions are looked for; a session is let go this late at most
GONE_MESSAGE = "Stopped because the browser tab that started it was closed."

_log = logging.getLogger(__name__)


@dataclasses.dataclass
class Watched:
    """A registered session: its browser's id (the owner of its jobs), a way to reach its state, and
    since when (clock seconds) it has been disconnected, if it is."""

    owner: str
    state: Callable[[], MutableMapping | None]  # None once the state has been collected
    inactive_since: float | None = None
    app_session: Callable[[], object | None] = lambda: None  # Streamlit's AppSession, while it lives


class SessionSweeper:
    """The registry of live sessions and the sweep that finds those that ended.

    `is_active(session_id)` says whether a session is connected now; a session counts as ended once
    it has been disconnected for `grace_s` (the runtime's TTL for resuming it). `release(session_id,
    watched, others)` lets an ended session go; `others` is True when another session of the same
    browser is still registered and not ended.
    """

    def __init__(self, *, is_active: Callable[[str], bool], grace_s: float,
                 release: Callable[[str, Watched, bool], None], clock: Callable[[], float] = time.monotonic):
        self._is_active = is_active
        self._grace_s = grace_s
        self._release = release
        self._clock = clock
        self._watched: dict[str, Watched] = {}
        self._lock = threading.Lock()

    def watch(self, session_id: str, owner: str, state: MutableMapping, app_session=None) -> None:
        """Register (or refresh) session `session_id` of browser `owner` with its state mapping (and
        Streamlit's AppSession object, if there is one)."""
        watched = Watched(owner, _weak(state), app_session=_weak(app_session))
        with self._lock:
            self._watched[session_id] = watched

    def __len__(self) -> int:
        with self._lock:
            return len(self._watched)

    def __contains__(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._watched

    def sweep(self) -> list[str]:
        """Release every session that has ended since the last sweep; return their ids."""
        now = self._clock()
        ended: list[tuple[str, Watched]] = []
        with self._lock:
            for session_id, watched in self._watched.items():
                if self._is_active(session_id):
                    watched.inactive_since = None
                elif watched.inactive_since is None:
                    watched.inactive_since = now
                elif now - watched.inactive_since >= self._grace_s:
                    ended.append((session_id, watched))
            for session_id, _ in ended:
                del self._watched[session_id]
            owners_left = {w.owner for w in self._watched.values()}
        for session_id, watched in ended:
            try:
                self._release(session_id, watched, watched.owner in owners_left)
            except Exception:  # noqa: BLE001 - one session's trouble must not stop the sweeps
                _log.exception("could not release session %s", session_id)
        return [session_id for session_id, _ in ended]


def _weak(value) -> Callable[[], object | None]:
    """A weak reference to `value`, or a strong one to what cannot be referenced weakly (a dict)."""
    try:
        return weakref.ref(value)
    except TypeError:
        return lambda: value


# ---- Letting one session's things go (no Streamlit here: tests call these with plain objects) ----

def free_state(state: MutableMapping, *, stop_jobs: bool, feeds=None) -> list:
    """Empty a session's `state`: close the live feeds it holds, stop its active jobs when
    `stop_jobs`, and delete every key. Returns the jobs it stopped."""
    from playground.jobs.live import FEEDS
    from playground.jobs.pool import ACTIVE

    feeds = FEEDS if feeds is None else feeds
    keys = list(getattr(state, "filtered_state", state))  # Streamlit's state lists its keys this way
    stopped = []
    for key in keys:
        try:
            value = state[key]
        except KeyError:
            continue
        # A page keeps a feed as (job id, token) (`playground.ui.live.feed_for`).
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str) and value[1] in feeds:
            feeds.close(value[1])
        if stop_jobs:
            for job in _jobs_in(value):
                if job.status in ACTIVE and job not in stopped:
                    job.error = GONE_MESSAGE
                    job.stop()
                    stopped.append(job)
    for key in keys:
        try:
            del state[key]
        except KeyError:
            pass
    if callable(getattr(state, "clear", None)):
        state.clear()  # Streamlit's state: also the values of widgets without a key
    _forget_widgets(state)
    return stopped


def _forget_widgets(state) -> None:
    """Drop what Streamlit's state keeps about its widgets besides their values.

    `SessionState.clear` leaves each widget's metadata, and with it the widget's callback and its
    `args` (Your data's Add button holds the parsed upload that way), so a state that is still
    referred to after its session ended kept its uploads alive. One is: Streamlit's runtime loop
    keeps the last session it flushed in a local variable until another session is flushed.
    """
    widgets = getattr(state, "_new_widget_state", None)  # not public: Streamlit 1.67's WStates
    for name in ("widget_metadata", "states"):
        held = getattr(widgets, name, None)
        if isinstance(held, dict):
            held.clear()


def _jobs_in(value) -> list:
    """The jobs `value` holds: a job itself, or the jobs of a dict of run records (the session's runs)."""
    if hasattr(value, "stop") and hasattr(value, "status") and hasattr(value, "session"):
        return [value]
    if isinstance(value, dict):
        return [r.job for r in value.values() if getattr(r, "job", None) is not None]
    return []


def trim_memory() -> bool:
    """Collect garbage and ask glibc to return freed heap pages to the system; True if it could."""
    gc.collect()
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):  # not glibc
        return False


def release(session_id: str, watched: Watched, others: bool, *, pool=None, runtime=None) -> None:
    """Let an ended session go (see the module's docstring); `others`: another session of the same
    browser is still there, and follows its jobs."""
    state = watched.state()
    if state is not None:
        free_state(state, stop_jobs=not others)
    if not others:
        if pool is None:
            from playground.jobs.pool import get_pool

            pool = get_pool()
        pool.stop_session(watched.owner, GONE_MESSAGE)
    if runtime is not None:
        _close_in_streamlit(runtime, session_id, watched.app_session())
    trim_memory()


def _close_in_streamlit(runtime, session_id: str, app_session, *, wait_s: float = 5.0) -> None:
    """Drop the session's uploaded files; then, on the runtime's event loop (where sessions are
    connected and disconnected), take it out of the store of resumable sessions and shut it down."""
    try:
        runtime.uploaded_file_mgr.remove_session_files(session_id)
    except Exception:  # noqa: BLE001 - another upload manager: it cleans up after itself
        pass
    done = threading.Event()

    def drop() -> None:
        try:
            if not runtime.is_active_session(session_id):  # not resumed at the last moment
                _forget_stored(runtime, session_id)
                if app_session is not None:
                    app_session.shutdown()
        finally:
            done.set()

    try:
        loop = runtime._get_async_objs().eventloop  # not public: the loop sessions live on
        loop.call_soon_threadsafe(drop)
    except Exception:  # noqa: BLE001 - the runtime is stopping, or has changed shape
        return
    done.wait(wait_s)


def _forget_stored(runtime, session_id: str) -> None:
    """Remove an expired session from the runtime's store of disconnected sessions.

    The store (a TTL cache) drops expired entries only when another entry is written, so without
    this an ended session, and everything its state and widgets hold, stays until the next tab
    closes. Reached through private attributes: Streamlit 1.67 offers no public way."""
    manager = getattr(runtime, "_session_mgr", None)
    storage = getattr(manager, "_session_storage", None)
    if storage is None:
        return
    with getattr(manager, "_storage_lock", None) or contextlib.nullcontext():
        try:
            storage.delete(session_id)
        except KeyError:  # expired entries are removed, then reported missing
            pass


# ---- The server's one sweeper ------------------------------------------------------------------

_sweeper: SessionSweeper | None = None
_sweeper_lock = threading.Lock()


def _server_sweeper() -> SessionSweeper | None:
    """The sweeper of this server (started with its thread on first use); None without a runtime
    (a page test, a script)."""
    global _sweeper
    from streamlit import config
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    with _sweeper_lock:
        if _sweeper is None:
            runtime = Runtime.instance()
            grace_s = float(config.get_option("server.disconnectedSessionTTL"))
            _sweeper = SessionSweeper(
                is_active=runtime.is_active_session, grace_s=grace_s,
                release=lambda sid, w, others: release(sid, w, others, runtime=runtime))
            threading.Thread(target=_sweep_forever, args=(_sweeper,), name="playground-sessions",
                             daemon=True).start()
        return _sweeper


def _sweep_forever(sweeper: SessionSweeper) -> None:
    while True:
        time.sleep(SWEEP_EVERY_S)
        sweeper.sweep()


def watch(owner: str) -> None:
    """Register the session of this script run (`owner`: its browser's id), so that its datasets,
    runs and jobs are let go when it ends. Does nothing outside a served app."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    sweeper = _server_sweeper() if ctx is not None else None
    if sweeper is None:
        return
    # The session's own state, not the wrapper a script run sees (each run may get a new wrapper).
    app_session = Runtime.instance().get_app_session(ctx.session_id)
    if app_session is not None:
        sweeper.watch(ctx.session_id, owner, app_session.session_state, app_session)
