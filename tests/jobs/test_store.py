"""The run store: runs written and read back whole, its size and age limits, writes from two threads,
a restart (a new store on the same file), jobs' finish callbacks, and the class's export."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import time
import zipfile

import pandas as pd
import pytest
import torch

from playground import data, models
from playground.jobs import train
from playground.jobs.runs import RunRecord, examples
from playground.jobs.store import INTERRUPTED, RunStore, export_zip, get_store, owner_key
from playground.jobs.train import HISTORY_COLUMNS


@pytest.fixture(scope="module")
def lenet():
    return next(r for r in examples() if r.name == "digits LeNet-5")


def _record(name: str, *, status: str = "done", weights: bytes = b"w" * 1000, epochs: int = 2,
            created: float | None = None) -> RunRecord:
    history = pd.DataFrame({c: [float(i + 1) for i in range(epochs)] for c in HISTORY_COLUMNS})
    return RunRecord(name=name, dataset={"name": "circle", "seed": 0, "params": {}},
                     spec={"input_shape": [2], "layers": [{"type": "linear", "out_features": 2}]},
                     config={"optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": epochs},
                     history=history, weights=weights, status=status, page="Build & Train",
                     created=created or time.time())


def test_a_run_comes_back_whole_with_its_weights(tmp_path, lenet):
    store = RunStore(tmp_path / "runs.sqlite3")
    me = owner_key("my token")
    store.save(me, lenet)
    [back] = store.load(me)
    record = back.record
    assert (record.uid, record.name, record.status, record.source) == (lenet.uid, lenet.name, "done", "example")
    assert record.spec == lenet.spec and record.config == lenet.config and record.dataset == lenet.dataset
    pd.testing.assert_frame_equal(record.history[HISTORY_COLUMNS], lenet.history[HISTORY_COLUMNS], check_dtype=False)
    assert record.weights == lenet.weights
    x = lenet.load_dataset().x_test[:16]
    assert torch.equal(record.model()(x), lenet.model()(x))  # the same network, answer for answer
    assert store.load(owner_key("someone else")) == []


def test_the_owner_is_a_hash_and_the_token_is_not_stored(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite3")
    store.save(owner_key("secret-token-123"), _record("a"))
    assert owner_key("secret-token-123") == hashlib.sha256(b"secret-token-123").hexdigest()
    assert b"secret-token-123" not in (tmp_path / "runs.sqlite3").read_bytes()


def test_saving_again_updates_the_run_in_place(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite3")
    record = _record("a", status="running", epochs=1)
    store.save("me", record)
    record.history = _record("a", epochs=3).history
    record.status = "done"
    store.save("me", record)
    [back] = store.load("me")
    assert store.count() == 1 and back.record.status == "done" and len(back.record.history) == 3


def test_past_the_size_limit_the_oldest_runs_are_dropped(tmp_path):
    sizer = RunStore(tmp_path / "one.sqlite3")
    sizer.save("me", _record("run 0"))
    one = sizer.size_bytes()
    assert one > 1000  # the weights and the rest of the run
    store = RunStore(tmp_path / "runs.sqlite3", max_bytes=int(3.5 * one))
    for k in range(6):
        store.save("me", _record(f"run {k}", created=1000.0 + k))
    names = [s.record.name for s in store.load("me")]
    assert names == ["run 3", "run 4", "run 5"]  # the three newest fit, the older three went
    assert store.size_bytes() <= store.max_bytes


def test_runs_past_the_age_limit_are_dropped(tmp_path):
    path = tmp_path / "runs.sqlite3"
    store = RunStore(path)
    store.save("me", _record("old"))
    store.save("me", _record("new"))
    store._db.execute("UPDATE runs SET updated = updated - 3 * 86400 WHERE name = 'old'")  # written 3 days ago
    store.close()
    aged = RunStore(path, max_age_s=2 * 86400)
    assert [s.record.name for s in aged.load("me")] == ["new"]


def test_two_threads_write_at_once_and_nothing_is_lost(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite3")
    errors = []

    def write(owner: str) -> None:
        try:
            for k in range(40):
                store.save(owner, _record(f"{owner} {k}"))
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=write, args=(who,)) for who in ("anna", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert [len(store.load(who)) for who in ("anna", "ben")] == [40, 40]
    # A second store object (another connection, as another server thread pool would hold) sees them all.
    assert RunStore(tmp_path / "runs.sqlite3").count() == 80


def test_after_a_restart_finished_runs_are_back_and_unfinished_ones_interrupted(tmp_path):
    path = tmp_path / "runs.sqlite3"
    before = RunStore(path)
    before.save("me", _record("finished", status="done"))
    before.save("me", _record("training", status="running", epochs=1))
    [_, training] = before.load("me")
    assert training.record.status == "running"  # the same server process: still training
    # The server stops without a word (no close) and starts again: a new store on the same file.
    after = RunStore(path)
    finished, training = (s.record for s in after.load("me"))
    assert (finished.status, finished.error, finished.weights) == ("done", None, b"w" * 1000)
    assert training.status == INTERRUPTED and "server stopped" in training.error
    assert len(training.history) == 1 and not training.active  # its last saved curve stays


def test_a_job_calls_back_when_it_finishes_and_its_run_is_saved(tmp_path, pool):
    store = RunStore(tmp_path / "runs.sqlite3")
    dataset = data.load("circle")
    job = train.start(models.preset("mlp", dataset), dataset, train.Config(epochs=2), pool=pool, name="cb")
    record = RunRecord.from_job(job, dataset.ref(), page="Build & Train")
    store.save("me", record)
    seen = []
    job.when_finished(lambda j: (seen.append(j.status), store.save("me", record.refresh())))
    assert job.wait(60) == "done"
    assert seen == ["done"]  # called once, before `wait` returned
    [back] = store.load("me")
    assert back.record.status == "done" and len(back.record.history) == len(job.history) >= 2
    assert back.record.weights == job.weights
    late = []
    job.when_finished(lambda j: late.append(j.status))  # a finished job calls at once
    assert late == ["done"]


def test_a_pool_shut_down_marks_its_jobs_interrupted():
    import dataclasses

    from playground.jobs.pool import WorkerPool
    from playground.settings import get_settings

    small = WorkerPool(dataclasses.replace(get_settings(), workers=1, max_running_jobs=1))
    dataset = data.load("circle")
    spec = models.preset("mlp", dataset)
    jobs = [train.start(spec, dataset, train.Config(epochs=500), pool=small) for _ in range(2)]
    small.shutdown()
    assert [j.status for j in jobs] == [INTERRUPTED, INTERRUPTED]
    assert all("server stopped" in j.error for j in jobs)


def test_the_class_export_holds_every_run_with_its_final_numbers_and_curves(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite3")
    store.save(owner_key("anna"), _record("anna's net", epochs=3))
    store.save(owner_key("ben"), _record("ben's net", epochs=2))
    archive = zipfile.ZipFile(io.BytesIO(export_zip(store)))
    runs = list(csv.DictReader(io.StringIO(archive.read("runs.csv").decode())))
    curves = list(csv.DictReader(io.StringIO(archive.read("curves.csv").decode())))
    assert [(r["who"], r["run"], r["epochs"], r["val_acc"], r["lr"]) for r in runs] == [
        (owner_key("anna")[:8], "anna's net", "3", "3.0", "0.01"),
        (owner_key("ben")[:8], "ben's net", "2", "2.0", "0.01")]
    assert runs[0]["page"] == "Build & Train" and runs[0]["dataset"] == "circle" and runs[0]["layers"] == "linear"
    assert [(c["run"], c["epoch"]) for c in curves] == [
        ("anna's net", "1.0"), ("anna's net", "2.0"), ("anna's net", "3.0"), ("ben's net", "1.0"), ("ben's net", "2.0")]


def test_the_server_store_lives_where_the_settings_say(tmp_path, monkeypatch):
    import dataclasses

    from playground import settings
    from playground.jobs import store as store_lib

    monkeypatch.setattr(store_lib, "_store", None)
    monkeypatch.setattr(store_lib, "_store_failed", False)
    env = {"PLAYGROUND_RUN_STORE_DIR": str(tmp_path / "kept"), "PLAYGROUND_RUN_STORE_MAX_MB": "2",
           "PLAYGROUND_RUN_STORE_MAX_DAYS": "7"}
    monkeypatch.setattr(settings, "_settings", dataclasses.replace(settings.Settings.from_env(env)))
    opened = get_store()
    assert opened.path == tmp_path / "kept" / "runs.sqlite3" and opened.path.exists()
    assert (opened.max_bytes, opened.max_age_s) == (2 * 2**20, 7 * 86400)
    opened.close()
    monkeypatch.setattr(store_lib, "_store", None)
    monkeypatch.setattr(settings, "_settings", settings.Settings.from_env({"PLAYGROUND_RUN_STORE_DIR": ""}))
    assert get_store() is None  # switched off: runs live only in the session
