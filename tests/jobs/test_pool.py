"""Tests for playground.jobs.pool and playground.jobs.worker: real worker processes, recovery from a killed
worker, fair time slicing, the admission queue, per-session limits and abandoned jobs.

Most tests share the two-worker `pool` from conftest.py; those that need other settings start a
one-worker pool of their own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from playground.jobs.pool import WorkerPool
from playground.jobs.train import Config, JobLimitError, start
from playground.jobs.trainers import TRAINERS, register_trainer, trainer_module
from playground.models import preset
from playground.settings import get_settings
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def _small_pool(**settings):
    """A warm one-worker pool with `settings` over the defaults, shut down afterwards."""
    pool = WorkerPool(dataclasses.replace(get_settings(), workers=1, **settings))
    try:
        assert pool.wait_ready(60), "the worker did not start"
        yield pool
    finally:
        pool.shutdown()


def _long_job(digits, pool, **kwargs):
    """A job that would run for a minute or more: stop it when done with it."""
    return start(preset("lenet5", digits), digits, Config(batch_size=4, epochs=200), pool=pool, **kwargs)


def _quick_config() -> Config:
    return Config(epochs=5, seed=3)


# ----------------------------------------------------------------------------------------------
# Processes


def test_workers_are_separate_processes(pool):
    pids = pool.pids()
    assert len(pids) == 2 and len(set(pids)) == 2
    assert os.getpid() not in pids
    for pid in pids:
        process = psutil.Process(pid)
        assert process.is_running()
        assert "playground.jobs.worker" in process.cmdline()


def test_workers_give_way_to_the_server(pool):
    """Workers run at a lower priority (nice) than the process that started them, and so does their
    session's scheduling group where the kernel has one: pages are answered first on a busy machine."""
    ours = psutil.Process().nice()
    for pid in pool.pids():
        assert psutil.Process(pid).nice() == min(19, ours + get_settings().worker_nice) > ours
        group = Path(f"/proc/{pid}/autogroup")
        if group.exists():
            assert group.read_text().split()[-1] == str(get_settings().worker_nice)


def test_worker_never_imports_the_callers_main_module(tmp_path):
    # A script with no `if __name__ == "__main__"` guard, that raises if imported under another name
    # and counts how often its top level runs. Workers started by spawning or forking the caller would
    # run it again (recursively starting pools) or trip the raise.
    marker = tmp_path / "runs.txt"
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        import dataclasses
        if __name__ != "__main__":
            raise RuntimeError("the caller's main module was imported as " + __name__)
        with open({str(marker)!r}, "a") as f:
            f.write("run\\n")
        from playground import data
        from playground.models import preset
        from playground.jobs.pool import WorkerPool
        from playground.settings import get_settings
        from playground.jobs.train import Config, start
        if True:
            pool = WorkerPool(dataclasses.replace(get_settings(), workers=1))
            xor = data.load("xor")
            job = start(preset("mlp", xor), xor, Config(epochs=3), pool=pool)
            print("status", job.wait(60), job.rows)
            pool.shutdown()
    """))
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    assert "status done 4" in result.stdout
    assert marker.read_text() == "run\n"
    assert "RuntimeError" not in result.stderr


# ----------------------------------------------------------------------------------------------
# A worker that dies


def test_killed_worker_fails_its_job_and_the_pool_carries_on(pool, digits, xor):
    replaced = pool.replaced
    job = _long_job(digits, pool)
    assert wait_for(lambda: job.rows >= 1, 20), job.status
    worker = next(w for w in pool.workers if job.id in w.jobs)
    os.kill(worker.pid, signal.SIGKILL)

    killed_at = time.monotonic()
    assert wait_for(lambda: job.finished, 5)
    assert time.monotonic() - killed_at < 5
    assert job.status == "failed"
    assert "stopped unexpectedly" in job.error and "killed" in job.error
    # The job fails first, then a new worker takes the dead one's place (starting it takes a moment).
    assert wait_for(lambda: pool.replaced == replaced + 1, 30), pool.replaced
    assert worker.pid not in pool.pids() and len(pool.pids()) == 2

    # The app keeps serving: a new job on the same pool runs to the end.
    assert pool.wait_ready(60)
    after = start(preset("mlp", xor), xor, _quick_config(), pool=pool)
    assert after.wait(30) == "done", after.error
    assert after.rows == 6


# ----------------------------------------------------------------------------------------------
# Time slicing


def _longest_stalls(jobs, seconds: float) -> list[float]:
    """For each job, the longest time its progress stood still while watched for `seconds`."""
    last = [job.progress for job in jobs]
    moved_at = [time.monotonic()] * len(jobs)
    longest = [0.0] * len(jobs)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
        now = time.monotonic()
        for i, job in enumerate(jobs):
            longest[i] = max(longest[i], now - moved_at[i])
            if job.progress != last[i]:
                last[i], moved_at[i] = job.progress, now
    return longest


def test_slices_shrink_so_that_every_job_has_a_turn_several_times_a_second():
    from playground.jobs.worker import _SHORTEST_SLICE_S, _TURN_S, slice_length

    assert slice_length(0.05, 1) == 0.05  # alone: the full slice
    assert slice_length(0.05, 15) < 0.05
    assert 15 * slice_length(0.05, 15) == pytest.approx(_TURN_S)  # 15 jobs: a round of _TURN_S, not 0.75 s
    assert slice_length(0.05, 1000) == _SHORTEST_SLICE_S


def test_every_job_advances_when_six_share_one_worker(digits):
    with _small_pool(slice_s=0.05) as pool:
        jobs = [_long_job(digits, pool) for _ in range(6)]
        assert wait_for(lambda: all(job.rows >= 1 for job in jobs), 30)
        longest = _longest_stalls(jobs, 3.0)
        assert max(longest) <= 2.0, [round(s, 2) for s in longest]
        assert all(job.status == "running" for job in jobs)
        for job in jobs:
            job.stop()
        assert all(job.wait(10) == "stopped" for job in jobs)


def test_a_class_of_thirty_on_two_workers_all_keep_moving(pool, digits):
    jobs = [_long_job(digits, pool, session=f"student {k}") for k in range(30)]
    try:
        assert wait_for(lambda: all(job.rows >= 1 for job in jobs), 60)
        assert all(job.status == "running" and job.queue_position is None for job in jobs)
        longest = _longest_stalls(jobs, 4.0)
        assert max(longest) <= 2.0, [round(s, 2) for s in longest]
    finally:
        for job in jobs:
            job.stop()
    assert all(job.wait(10) == "stopped" for job in jobs)


# ----------------------------------------------------------------------------------------------
# Admission and limits


@pytest.fixture(scope="module", params=["local", "ray"])
def strict_pool(request):
    """One worker that admits one job at a time and one active job per session, of either executor."""
    if request.param == "ray":
        yield request.getfixturevalue("ray_strict_pool")
        return
    with _small_pool(max_running_jobs=1, max_jobs_per_session=1) as pool:
        yield pool


def test_jobs_beyond_the_admission_limit_queue_in_order(strict_pool, digits, xor):
    first = _long_job(digits, strict_pool)
    second = start(preset("mlp", xor), xor, _quick_config(), pool=strict_pool)
    third = start(preset("mlp", xor), xor, _quick_config(), pool=strict_pool)
    assert first.status == "running" and first.queue_position is None
    assert (second.status, second.queue_position) == ("queued", 1)
    assert (third.status, third.queue_position) == ("queued", 2)
    assert wait_for(lambda: first.rows >= 2, 20)
    assert second.rows == 0 and second.status == "queued"

    first.stop()
    assert first.wait(10) == "stopped"
    assert second.wait(30) == "done", second.error
    assert second.rows == 6 and second.queue_position is None
    assert third.wait(30) == "done", third.error
    assert strict_pool.running == 0


def test_stopping_a_queued_job_moves_the_others_up(strict_pool, digits, xor):
    first = _long_job(digits, strict_pool)
    second = start(preset("mlp", xor), xor, _quick_config(), pool=strict_pool)
    third = start(preset("mlp", xor), xor, _quick_config(), pool=strict_pool)
    second.stop()
    assert second.status == "stopped" and second.wait(1) == "stopped" and second.rows == 0
    assert third.queue_position == 1
    first.stop()
    assert third.wait(30) == "done", third.error


def test_a_session_may_run_only_its_share(strict_pool, digits, xor):
    mine = _long_job(digits, strict_pool, session="alice")
    with pytest.raises(JobLimitError, match="runs going"):
        start(preset("mlp", xor), xor, _quick_config(), session="alice", pool=strict_pool)
    other = start(preset("mlp", xor), xor, _quick_config(), session="bob", pool=strict_pool)
    assert other.status == "queued"
    mine.stop()
    assert mine.wait(10) == "stopped"
    # Once its run has stopped, the session may start another.
    again = start(preset("mlp", xor), xor, _quick_config(), session="alice", pool=strict_pool)
    assert other.wait(30) == "done", other.error
    assert again.wait(30) == "done", again.error


# ----------------------------------------------------------------------------------------------
# Abandoned jobs


def test_a_session_job_nobody_polls_is_stopped(digits):
    with _small_pool(abandon_after_s=2) as pool:
        started = time.monotonic()
        watched_by_nobody = _long_job(digits, pool, session="gone")
        no_session = _long_job(digits, pool)
        # `status` and `finished` are plain reads; `progress`, `history` and `wait` would count as polling.
        assert wait_for(lambda: watched_by_nobody.finished, 6)
        assert time.monotonic() - started <= 4.5
        assert watched_by_nobody.status == "stopped"
        assert "had not checked on it for 2 s" in watched_by_nobody.error
        time.sleep(1.5)  # more than another sweep
        assert no_session.status == "running"
        no_session.stop()
        assert no_session.wait(10) == "stopped"


def test_a_dataset_no_worker_can_remake_travels_as_its_tensors(executor, xor):
    """A dataset that is not registered (an upload, a page's own points) is sent whole; tensors in
    messages must not travel as shared-memory handles, which a plain subprocess cannot open (to a Ray
    actor they travel through the object store)."""
    own = dataclasses.replace(xor, name="my own points")
    job = start(preset("mlp", own), own, Config(epochs=30, lr=0.03, seed=0), pool=executor)
    assert job.wait(60) == "done", job.error
    assert job.history["val_acc"].iloc[-1] >= 0.9


# ----------------------------------------------------------------------------------------------
# Trainers from any importable module


@register_trainer("test_pool.count_to_three")
def _count_to_three(ctx):
    """A trainer defined here, in a test module: the worker imports this module to find it."""
    for epoch in range(1, 4):
        ctx.report(epoch=epoch, train_loss=1.0 / epoch, samples_per_s=float(ctx.options["scale"] * epoch))
        yield "epoch"


def test_a_trainer_defined_in_a_test_module_runs_in_the_pool(executor, xor):
    """The job carries the trainer's module (this one); the worker imports it and runs the trainer."""
    assert trainer_module("test_pool.count_to_three") == __name__ == "tests.jobs.test_pool"
    job = start(preset("mlp", xor), xor, Config(epochs=3), trainer="test_pool.count_to_three",
                options={"scale": 7}, pool=executor)
    assert job.wait(60) == "done", job.error
    assert job.history["epoch"].tolist() == [1, 2, 3]
    assert job.history["train_loss"].tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert job.history["samples_per_s"].tolist() == [7.0, 14.0, 21.0]


def test_a_trainer_in_main_is_refused_with_a_message():
    """A worker cannot import `__main__` (a notebook cell, a script run directly): say so at start."""
    def trainer(ctx):
        yield "epoch"

    trainer.__module__ = "__main__"
    register_trainer("test_pool.in_main")(trainer)
    try:
        with pytest.raises(ValueError, match="defined in __main__"):
            trainer_module("test_pool.in_main")
    finally:
        TRAINERS.remove("test_pool.in_main")
