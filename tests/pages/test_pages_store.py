"""Runs that outlive their session: a reload finds a training run and follows it, a restart brings the
finished runs back and says which were interrupted, and For teachers exports every run."""

from __future__ import annotations

import csv
import io
import secrets
import time
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from playground.jobs import store as store_lib
from playground.jobs.store import RunStore, owner_key
from playground.ui import session

TIMEOUT = 120
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def run_store(tmp_path, monkeypatch):
    """The server's run store, in a fresh file for the test."""
    store = RunStore(tmp_path / "runs.sqlite3")
    monkeypatch.setattr(store_lib, "_store", store)
    return store


def open_page(path: str, token: str | None = None) -> AppTest:
    """A new session (as a reload or a new tab makes), of the browser whose cookie holds `token`."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if token is not None:
        at.session_state["browser_token"] = token  # AppTest cannot send cookies: the token they would carry
    at.run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def train_on_build_and_train(at: AppTest, epochs: int):
    at.number_input(key="bt.epochs").set_value(epochs).run()
    at.button(key="bt.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at.session_state["runs"][at.session_state["bt.current"]]


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [w.value for w in at.warning] + [c.value for c in at.caption])


def test_a_new_session_of_the_same_browser_follows_the_run_still_training(run_store):
    token = secrets.token_urlsafe(24)
    first = open_page("pages/build_train.py", token)
    record = train_on_build_and_train(first, epochs=400)
    job = record.job
    try:
        assert wait_for(lambda: job.rows >= 1, 60), job.status
        [saved] = run_store.load(owner_key(token))
        assert saved.record.status in ("queued", "running") and saved.job_id == job.id
        again = open_page("pages/build_train.py", token)  # the reload: a new session, the same cookie
        [found] = again.session_state["runs"].values()
        assert found.job is job and found.active and found.name == record.name  # the same job, followed live
        assert "Progress" in [s.value for s in again.subheader]
        assert not again.warning or "interrupted" not in texts(again)
        stranger = open_page("pages/build_train.py", secrets.token_urlsafe(24))
        assert stranger.session_state["runs"] == {}  # another browser sees none of it
    finally:
        job.stop()
    assert job.wait(30) == "stopped"
    # Saved when it ended, with no page watching it: its curves and its last weights.
    [saved] = run_store.load(owner_key(token))
    assert saved.record.status == "stopped" and len(saved.record.history) == job.rows
    assert saved.record.weights == job.weights


def test_after_a_restart_finished_runs_are_back_and_the_unfinished_one_says_it_was_interrupted(
        run_store, monkeypatch, tmp_path):
    token = secrets.token_urlsafe(24)
    at = open_page("pages/build_train.py", token)
    short = train_on_build_and_train(at, epochs=2)
    assert short.job.wait(90) == "done"
    long = train_on_build_and_train(at, epochs=400)
    try:
        assert wait_for(lambda: long.job.rows >= 1, 60)
        at.run()  # the page saves the curves of a watched run every few seconds
        # The server restarts: a new store object on the same file.
        monkeypatch.setattr(store_lib, "_store", RunStore(run_store.path))
        after = open_page("pages/build_train.py", token)
    finally:
        long.job.stop()
    runs = after.session_state["runs"]
    assert list(runs) == [short.name, long.name]
    finished, interrupted = runs[short.name], runs[long.name]
    assert finished.status == "done" and finished.job is None and len(finished.history) == short.job.rows == 3
    assert finished.weights == short.job.weights and finished.model() is not None
    assert interrupted.status == "interrupted" and not interrupted.active
    assert any("server stopped" in w.value for w in after.warning), [w.value for w in after.warning]


def test_the_cookie_gets_the_token_and_no_other_browser_shares_it(run_store):
    at = open_page("pages/home.py")
    token = at.session_state["browser_token"]
    assert len(token) >= 32
    scripts = [h.proto.body for h in at.get("html")]
    script = next(s for s in scripts if "np_token" in s)
    assert f"np_token={token}" in script and "SameSite=Strict" in script and "Max-Age=34560000" in script
    assert open_page("pages/home.py").session_state["browser_token"] != token


def test_for_teachers_exports_every_run_of_the_class(run_store):
    for who, name in (("anna", "mlp on circle"), ("ben", "lenet5 on digits")):
        from playground.jobs.runs import examples

        record = examples()[0]
        record.name, record.page = name, "Build & Train"
        run_store.save(owner_key(who), record)
    at = open_page("pages/teachers.py")
    assert "**2 runs**" in texts(at)
    [button] = [b for b in at.get("download_button") if "class's runs" in b.proto.label]
    assert not button.proto.disabled
    archive = zipfile.ZipFile(io.BytesIO(session.class_export()))
    rows = list(csv.DictReader(io.StringIO(archive.read("runs.csv").decode())))
    assert [(r["who"], r["run"]) for r in rows] == [(owner_key("anna")[:8], "mlp on circle"),
                                                     (owner_key("ben")[:8], "lenet5 on digits")]
    assert all(float(r["val_acc"]) > 0.9 for r in rows)


def test_a_page_of_its_own_job_finds_it_again_after_a_reload(run_store):
    token = secrets.token_urlsafe(24)
    first = open_page("pages/dropout.py", token)
    first.select_slider(key="do.epochs").set_value(150).run()
    first.button(key="do.train").click().run()
    job = first.session_state["do.job"]
    try:
        assert job.status in ("queued", "running")
        again = open_page("pages/dropout.py", token)  # the reload
        assert again.session_state["do.job"] is job  # the page's job, followed again
        assert [v.name for v in again.session_state["do.job.variants"]] == ["without dropout", "with dropout"]
        assert sorted(again.session_state["runs"]) == sorted(first.session_state["runs"])
        assert "do.job" not in open_page("pages/dropout.py").session_state  # not another browser's
    finally:
        job.stop()
    assert job.wait(30) == "stopped"
    assert "do.job" not in open_page("pages/dropout.py", token).session_state  # a finished job is not taken up
