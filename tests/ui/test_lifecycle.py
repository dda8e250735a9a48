"""Tests for playground.ui.lifecycle: an ended session's datasets, runs, feeds and jobs are let go.

The sweeper is driven with a fake clock and a fake set of connected sessions (the runtime's registry);
the jobs are real ones on the shared worker pool.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from playground import data
from playground.jobs.live import Feeds
from playground.jobs.pool import ACTIVE
from playground.jobs.runs import RunRecord
from playground.jobs.train import Config, start
from playground.models import preset
from playground.ui import lifecycle
from playground.ui.lifecycle import GONE_MESSAGE, SessionSweeper, Watched, free_state
from playground.uploads import UploadedArrays
from tests.waiting import wait_for


class _State(dict):
    """A session's state: a mapping the sweeper can hold weakly, as Streamlit's SessionState."""


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sweeper(connected: set[str], released: list, clock: _Clock, grace_s: float = 120.0) -> SessionSweeper:
    return SessionSweeper(is_active=lambda sid: sid in connected, grace_s=grace_s, clock=clock,
                          release=lambda sid, watched, others: released.append((sid, watched.owner, others)))


# ---- When a session counts as ended --------------------------------------------------------------

def test_a_session_ends_only_after_the_resume_grace_has_passed():
    connected, released, clock = {"s1"}, [], _Clock()
    sweeper = _sweeper(connected, released, clock)
    state = _State(a=1)
    sweeper.watch("s1", "browser-a", state)
    assert sweeper.sweep() == [] and released == []
    connected.discard("s1")  # the tab closes
    assert sweeper.sweep() == []  # first seen disconnected at t = 1000
    clock.now += 119.0
    assert sweeper.sweep() == [] and "s1" in sweeper  # it could still be resumed
    clock.now += 1.0
    assert sweeper.sweep() == ["s1"]
    assert released == [("s1", "browser-a", False)]
    assert "s1" not in sweeper and len(sweeper) == 0
    assert sweeper.sweep() == []  # released once only


def test_a_reconnect_within_the_grace_keeps_the_session():
    connected, released, clock = {"s1"}, [], _Clock()
    sweeper = _sweeper(connected, released, clock)
    sweeper.watch("s1", "browser-a", _State())
    connected.discard("s1")
    sweeper.sweep()
    clock.now += 100.0
    connected.add("s1")  # a network blip: the browser resumes the session
    sweeper.sweep()
    connected.discard("s1")
    clock.now += 100.0
    sweeper.sweep()  # disconnected again: its grace starts over
    clock.now += 100.0
    assert sweeper.sweep() == [] and released == []
    clock.now += 20.0
    assert sweeper.sweep() == ["s1"]


def test_another_session_of_the_same_browser_is_reported():
    """A reload: the old session ends while the new one of the same browser follows its jobs."""
    connected, released, clock = {"old", "new", "other"}, [], _Clock()
    sweeper = _sweeper(connected, released, clock, grace_s=10)
    sweeper.watch("old", "browser-a", _State())
    sweeper.watch("new", "browser-a", _State())
    sweeper.watch("other", "browser-b", _State())
    connected -= {"old", "other"}
    sweeper.sweep()
    clock.now += 10
    assert sorted(sweeper.sweep()) == ["old", "other"]
    assert sorted(released) == [("old", "browser-a", True), ("other", "browser-b", False)]


def test_a_failing_release_does_not_stop_the_sweep():
    clock = _Clock()
    seen = []

    def release(sid, watched, others):
        seen.append(sid)
        raise RuntimeError("boom")

    sweeper = SessionSweeper(is_active=lambda sid: False, grace_s=0, release=release, clock=clock)
    sweeper.watch("s1", "a", _State())
    sweeper.watch("s2", "b", _State())
    sweeper.sweep()
    assert sorted(sweeper.sweep()) == ["s1", "s2"] and sorted(seen) == ["s1", "s2"]


# ---- What is let go ------------------------------------------------------------------------------

def _upload(n: int = 2000) -> UploadedArrays:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 20)).astype(np.float32)
    return UploadedArrays(name="mine.csv", kind="table", task="classification", x=x, y=(x[:, 0] > 0).astype(np.int64),
                          classes=["no", "yes"], params={}, notes=[])


def test_the_ended_sessions_datasets_are_freed_and_collected():
    """Before the sweep a closed session's upload stayed in memory for as long as the server ran."""
    connected, clock = {"s1"}, _Clock()
    feeds = Feeds()
    state = _State()
    arrays = _upload()
    state["uploaded_datasets"] = {"mine.csv": arrays}
    state["_yd.parsed"] = arrays
    token = feeds.open(lambda: {"status": "done"})
    state["pg.feed"] = (7, token)
    alive = weakref.ref(arrays.x)
    del arrays

    def release(sid, watched, others):
        free_state(watched.state(), stop_jobs=not others, feeds=feeds)

    sweeper = SessionSweeper(is_active=lambda sid: sid in connected, grace_s=120, release=release, clock=clock)
    sweeper.watch("s1", "browser-a", state)
    connected.clear()
    sweeper.sweep()
    clock.now += 120
    gc.collect()
    assert alive() is not None  # still held while the session could be resumed
    assert sweeper.sweep() == ["s1"]
    assert dict(state) == {}
    assert token not in feeds and len(feeds) == 0
    gc.collect()
    assert alive() is None


def test_a_freed_streamlit_state_lets_go_of_what_its_widgets_callbacks_hold():
    """Your data's Add button keeps the parsed upload as its callback's argument, in the widget's
    metadata, which `SessionState.clear` leaves; Streamlit's runtime loop still refers to the last
    session it flushed, so before the widgets were forgotten that session's upload stayed."""
    from streamlit.runtime.state.common import WidgetMetadata
    from streamlit.runtime.state.session_state import SessionState

    state = SessionState()
    arrays = _upload()
    state["uploaded_datasets"] = {"mine.csv": arrays}
    state._set_widget_metadata(WidgetMetadata(
        id="$$ID-0-yd.add", deserializer=lambda v: v, serializer=lambda v: v, value_type="trigger_value",
        callback=lambda a: None, callback_args=(arrays,)))
    alive = weakref.ref(arrays.x)
    del arrays
    free_state(state, stop_jobs=False, feeds=Feeds())
    gc.collect()
    assert alive() is None  # `state` itself is still referred to, as the runtime loop does
    assert state._new_widget_state.widget_metadata == {} and list(state) == []


def test_a_collected_state_is_skipped():
    state = _State(a=np.zeros(10))
    watched = Watched("browser-a", weakref.ref(state))
    del state
    gc.collect()
    assert watched.state() is None
    lifecycle.release("s1", watched, True)  # nothing to free, nothing to stop, no error


class _FakeJob:
    def __init__(self, status="running", session="browser-a"):
        self.status, self.session, self.error = status, session, None
        self.stops = 0

    def stop(self):
        self.stops += 1
        self.status = "stopped"


def test_free_state_stops_the_active_jobs_it_holds_once():
    running, finished, page_job = _FakeJob(), _FakeJob("done"), _FakeJob("paused")
    runs = {"a": RunRecord(name="a", dataset={}, spec={}, config={}, history=None, weights=None, status="running",
                           job=running),
            "b": RunRecord(name="b", dataset={}, spec={}, config={}, history=None, weights=None, status="done",
                           job=finished),
            "c": RunRecord(name="c", dataset={}, spec={}, config={}, history=None, weights=None, status="running",
                           job=running)}
    state = _State(runs=runs, **{"gan.job": page_job})
    stopped = free_state(state, stop_jobs=True, feeds=Feeds())
    assert stopped == [running, page_job]
    assert (running.stops, finished.stops, page_job.stops) == (1, 0, 1)
    assert running.error == GONE_MESSAGE and finished.error is None
    assert dict(state) == {}


def test_free_state_leaves_jobs_that_another_session_follows():
    running = _FakeJob()
    state = _State(job=running)
    assert free_state(state, stop_jobs=False, feeds=Feeds()) == []
    assert running.status == "running" and dict(state) == {}


def test_trim_memory_runs():
    assert lifecycle.trim_memory() in (True, False)


# ---- Real jobs on the worker pool ----------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    return data.load("digits", seed=0)


def _long_job(digits, pool, session):
    return start(preset("mlp", digits), digits, Config(batch_size=4, epochs=500), pool=pool, session=session)


def test_a_gone_browsers_jobs_are_stopped_and_others_train_on(pool, digits):
    mine, other = _long_job(digits, pool, "browser-a"), _long_job(digits, pool, "browser-b")
    try:
        assert wait_for(lambda: mine.epoch >= 1 and other.epoch >= 1, 60)
        state = _State(job=mine)
        lifecycle.release("s1", Watched("browser-a", weakref.ref(state)), False, pool=pool)
        assert wait_for(lambda: mine.finished, 30)
        assert mine.status == "stopped" and mine.error == GONE_MESSAGE
        assert other.status in ACTIVE and other.error is None
        assert [j for j in pool.jobs(session="browser-a") if j.status in ACTIVE] == []
        epoch = other.epoch
        assert wait_for(lambda: other.epoch > epoch, 30)  # the other browser's run still moves
    finally:
        for job in (mine, other):
            job.stop()


def test_stop_session_stops_every_job_of_that_browser_only(pool, digits):
    jobs = [_long_job(digits, pool, "browser-c"), _long_job(digits, pool, "browser-c"),
            _long_job(digits, pool, "browser-d")]
    try:
        stopped = pool.stop_session("browser-c", GONE_MESSAGE)
        assert stopped == jobs[:2]
        assert wait_for(lambda: jobs[0].finished and jobs[1].finished, 30)
        assert [j.status for j in jobs[:2]] == ["stopped", "stopped"]
        assert [j.error for j in jobs[:2]] == [GONE_MESSAGE, GONE_MESSAGE]
        assert jobs[2].status in ACTIVE and jobs[2].error is None
        assert pool.stop_session("browser-c", GONE_MESSAGE) == []
    finally:
        for job in jobs:
            job.stop()


# ---- Streamlit's side: the stored session is dropped and shut down ---------------------------------

class _FakeAppSession:
    def __init__(self, session_id):
        self.id = session_id
        self.shutdowns = 0

    def shutdown(self):
        self.shutdowns += 1


class _FakeRuntime:
    """What `release` uses of Streamlit's Runtime: its upload manager, its event loop, whether a
    session is connected, and its session manager's store of disconnected sessions."""

    def __init__(self, storage, connected=()):
        from types import SimpleNamespace

        self.removed_files = []
        self.connected = set(connected)
        self.uploaded_file_mgr = SimpleNamespace(remove_session_files=self.removed_files.append)
        loop = SimpleNamespace(call_soon_threadsafe=lambda f, *args: f(*args))
        self._get_async_objs = lambda: SimpleNamespace(eventloop=loop)
        self._session_mgr = SimpleNamespace(_session_storage=storage)

    def is_active_session(self, session_id):
        return session_id in self.connected


def _storage(clock):
    """Streamlit's own store of disconnected sessions, on a fake clock."""
    from streamlit.runtime.caching.ttl_cache import TTLCache
    from streamlit.runtime.memory_session_storage import MemorySessionStorage

    storage = MemorySessionStorage(ttl_seconds=120)
    storage._cache = TTLCache(maxsize=128, ttl=120, timer=clock)
    return storage


def test_an_expired_session_leaves_streamlits_store_and_is_shut_down(pool):
    """Streamlit's store drops an expired session only when another is written, and never shuts it
    down: its uploaded files and widgets' values stayed for as long as no other tab closed."""
    from streamlit.runtime.session_manager import SessionInfo

    clock = _Clock()
    storage = _storage(clock)
    app = _FakeAppSession("s1")
    storage.save(SessionInfo(client=None, session=app))
    clock.now += 121  # expired: no longer offered, but still held
    assert storage.get("s1") is None and len(storage._cache._data) == 1
    runtime = _FakeRuntime(storage)
    state = _State(big=np.zeros(1000))
    watched = Watched("browser-z", weakref.ref(state), app_session=weakref.ref(app))
    lifecycle.release("s1", watched, False, pool=pool, runtime=runtime)
    assert len(storage._cache._data) == 0
    assert app.shutdowns == 1
    assert runtime.removed_files == ["s1"]
    assert dict(state) == {}


def test_a_session_resumed_at_the_last_moment_is_left_alone(pool):
    from streamlit.runtime.session_manager import SessionInfo

    clock = _Clock()
    storage = _storage(clock)
    app = _FakeAppSession("s1")
    storage.save(SessionInfo(client=None, session=app))
    runtime = _FakeRuntime(storage, connected={"s1"})
    lifecycle._close_in_streamlit(runtime, "s1", app)
    assert app.shutdowns == 0 and storage.get("s1") is not None
