"""The worker pool: a bounded set of pre-warmed worker processes on this machine, shared by every session.

One listener thread in the calling process receives the workers' updates and applies them to
`TrainingJob`s; callers only read those jobs. Jobs beyond the admission limit wait in a queue
(`job.queue_position`); a worker that dies fails its jobs with a message and is replaced. What this
shares with the Ray executor (the queue, the limits, the sweep) is `playground.jobs.executor`;
`get_pool` picks the executor.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
from multiprocessing import Pipe
from multiprocessing.connection import Connection, wait
from pathlib import Path

from playground.jobs import messages
from playground.jobs.executor import ACTIVE, SHUTDOWN_MESSAGE, Executor, Job, JobLimitError
from playground.settings import Settings, get_settings

__all__ = ["ACTIVE", "SHUTDOWN_MESSAGE", "Executor", "JobLimitError", "WorkerPool", "get_pool", "shutdown_pool"]

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class _WorkerProcess:
    """One worker: its process, our end of its pipe, and the jobs it holds."""

    def __init__(self, settings: Settings):
        ours, theirs = Pipe(duplex=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        env["PLAYGROUND_TORCH_THREADS"] = str(settings.torch_threads)
        env["PLAYGROUND_SLICE_S"] = str(settings.slice_s)
        env["PLAYGROUND_WORKER_NICE"] = str(settings.worker_nice)
        # A session of its own puts the worker in its own scheduling group where the kernel groups
        # by session (autogroup), so a busy caller does not share its CPU time with the training.
        # Ctrl+C in the caller's terminal no longer reaches the worker; it exits when the pipe closes.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "playground.jobs.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env, cwd=_PACKAGE_ROOT,
            start_new_session=True)
        theirs.close()
        self.conn: Connection = ours
        self.jobs: dict[int, Job] = {}
        self.send_lock = threading.Lock()
        self.ready = threading.Event()
        self.alive = True
        self.node: str | None = None  # this machine: the jobs' pages name no node

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: tuple) -> bool:
        try:
            with self.send_lock:
                messages.send(self.conn, message)
            return True
        except (OSError, EOFError, ValueError):
            return False


class WorkerPool(Executor):
    """A fixed number of worker processes on this machine, an admission queue, and the thread that
    listens to them (the executor without `PLAYGROUND_RAY_ADDRESS`)."""

    def _start_workers(self) -> list[_WorkerProcess]:
        return [_WorkerProcess(self.settings) for _ in range(self.settings.workers)]

    def pids(self) -> list[int]:
        return [w.pid for w in self.workers]

    def shutdown(self) -> None:
        """Stop every job and end the worker processes."""
        self._interrupt_all()
        workers = list(self.workers)
        for worker in workers:
            worker.conn.close()
            worker.process.terminate()
        for worker in workers:
            try:
                worker.process.wait(5)
            except subprocess.TimeoutExpired:
                worker.process.kill()

    def _listen(self) -> None:
        last_sweep = time.monotonic()
        while not self._closed:
            with self._lock:
                conns = {w.conn: w for w in self.workers if w.alive}
            try:
                ready = wait(list(conns), timeout=0.5)
            except (OSError, ValueError):
                ready = []
            for conn in ready:
                worker = conns[conn]
                try:
                    message = messages.receive(conn)
                except (EOFError, OSError):
                    self._replace(worker)
                    continue
                self._receive(worker, message)
            if time.monotonic() - last_sweep >= 1.0:
                last_sweep = time.monotonic()
                self._sweep()

    def _replace(self, worker: _WorkerProcess) -> None:
        """A worker died: fail its jobs with a message, start a new worker, carry on."""
        if self._closed:
            return
        code = worker.process.poll()
        if code is None:
            try:
                code = worker.process.wait(2)
            except subprocess.TimeoutExpired:
                worker.process.kill()
        how = "it was killed, perhaps for lack of memory" if code is not None and code < 0 else f"exit code {code}"
        with self._lock:
            self._fail_jobs_of(worker, f"The worker process running this job stopped unexpectedly ({how}). "
                                       "A new worker has been started: start the run again.")
            worker.conn.close()
            self.workers[self.workers.index(worker)] = _WorkerProcess(self.settings)
            self.replaced += 1
            self._dispatch()

    def _sweep(self) -> None:
        """Stop session jobs nobody has polled for a while; notice workers that exited quietly."""
        super()._sweep()
        with self._lock:
            dead = [w for w in self.workers if w.alive and w.process.poll() is not None]
        for worker in dead:
            self._replace(worker)


_pool: Executor | None = None
_pool_lock = threading.Lock()


def get_pool() -> Executor:
    """The process-wide pool, started (and its workers warmed) on first use: worker processes on this
    machine, or actors on a Ray cluster when `Settings.ray_address` (PLAYGROUND_RAY_ADDRESS) is set.
    Ray is imported only then."""
    global _pool
    with _pool_lock:
        if _pool is None:
            address = get_settings().ray_address
            if address:
                from playground.jobs.cluster import RayPool

                _pool = RayPool(address=address)
            else:
                _pool = WorkerPool()
            atexit.register(_pool.shutdown)
        return _pool


def shutdown_pool() -> None:
    """End the process-wide pool, if one was started."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown()
            _pool = None
