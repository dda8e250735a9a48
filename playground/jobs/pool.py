"""The worker pool: a bounded set of pre-warmed worker processes shared by every session.

One listener thread in the calling process receives the workers' updates and applies them to
`TrainingJob`s; callers only read those jobs. Jobs beyond the admission limit wait in a queue
(`job.queue_position`); a worker that dies fails its jobs with a message and is replaced.
"""

from __future__ import annotations

import atexit
import collections
import os
import subprocess
import sys
import threading
import time
from multiprocessing import Pipe
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from playground.jobs import messages
from playground.settings import Settings, get_settings

# The jobs a pool holds are `playground.jobs.train.TrainingJob`s; the pool sits below `train` (which
# submits to it), so it only reads and updates them and never imports that module.
Job = Any

ACTIVE = ("queued", "running", "paused")  # a job's statuses while it holds or waits for a worker
SHUTDOWN_MESSAGE = "The server stopped while this run was training; train it again to finish it."


class JobLimitError(RuntimeError):
    """The session already runs as many jobs as it may."""


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


class WorkerPool:
    """A fixed number of worker processes, an admission queue, and the thread that listens to them."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self._lock = threading.RLock()
        self.workers = [_WorkerProcess(self.settings) for _ in range(self.settings.workers)]
        self._queue: collections.deque[Job] = collections.deque()
        self._jobs: dict[int, Job] = {}
        self._closed = False
        self.replaced = 0
        self._thread = threading.Thread(target=self._listen, name="playground-pool", daemon=True)
        self._thread.start()

    # -- submitting and controlling --------------------------------------------------------------

    def submit(self, job: Job) -> None:
        """Admit `job` to a worker, or queue it; JobLimitError if its session has too many running."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool has been shut down")
            if job.session is not None:
                mine = [j for j in self._jobs.values() if j.session == job.session and j.status in ACTIVE]
                if len(mine) >= self.settings.max_jobs_per_session:
                    raise JobLimitError(
                        f"You already have {len(mine)} runs going, the most one session may run at once. "
                        "Stop one of them, or wait for it to finish.")
            job._pool = self
            self._jobs[job.id] = job
            self._queue.append(job)
            self._dispatch()

    def send(self, job: Job, message: tuple) -> None:
        with self._lock:
            worker = self._worker_of(job)
        if worker is not None:
            worker.send(message)

    def stop(self, job: Job) -> None:
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
                job._finish("stopped")
                self._number_queue()
                return
            worker = self._worker_of(job)
        if worker is not None and not job.finished:
            with job._lock:  # so that an update being applied cannot turn it back to "running"
                job.status = "stopped"  # shown at once; the worker confirms with its last weights
            worker.send(("stop", job.id))

    def stop_session(self, session: str, reason: str) -> list[Job]:
        """Stop every queued, running or paused job of `session`, with `reason` as its message
        (its browser has gone); return those jobs."""
        stopped = [job for job in self.jobs(session=session) if job.status in ACTIVE]
        for job in stopped:
            job.error = reason
            self.stop(job)
        return stopped

    def jobs(self, session: str | None = None) -> list[Job]:
        """Jobs known to the pool (all, or one session's), oldest first."""
        with self._lock:
            return [j for j in self._jobs.values() if session is None or j.session == session]

    @property
    def running(self) -> int:
        with self._lock:
            return sum(len(w.jobs) for w in self.workers)

    def pids(self) -> list[int]:
        return [w.pid for w in self.workers]

    def wait_ready(self, timeout: float = 60) -> bool:
        """Block until every worker has imported torch and said it is ready."""
        deadline = time.monotonic() + timeout
        return all(w.ready.wait(max(0.0, deadline - time.monotonic())) for w in self.workers)

    def shutdown(self) -> None:
        """Stop every job and end the worker processes."""
        with self._lock:
            self._closed = True
            for job in list(self._queue):
                job._finish("interrupted", SHUTDOWN_MESSAGE)
            self._queue.clear()
            workers = list(self.workers)
        for worker in workers:
            for job in list(worker.jobs.values()):
                job._finish("interrupted", SHUTDOWN_MESSAGE)
            worker.conn.close()
            worker.process.terminate()
        for worker in workers:
            try:
                worker.process.wait(5)
            except subprocess.TimeoutExpired:
                worker.process.kill()

    # -- inside the pool -------------------------------------------------------------------------

    def _worker_of(self, job: Job) -> _WorkerProcess | None:
        return next((w for w in self.workers if job.id in w.jobs), None)

    def _dispatch(self) -> None:
        """Move queued jobs onto the least busy live workers while admission allows."""
        while self._queue and self.running < self.settings.max_running_jobs:
            live = [w for w in self.workers if w.alive]
            if not live:
                break
            job = self._queue.popleft()
            worker = min(live, key=lambda w: len(w.jobs))
            worker.jobs[job.id] = job
            job.status = "running"
            job.queue_position = None
            if not worker.send(("start", job.id, job.payload)):
                del worker.jobs[job.id]
                job._finish("failed", "The worker process could not take this job; start it again.")
            job.payload = None
        self._number_queue()

    def _number_queue(self) -> None:
        for place, job in enumerate(self._queue, 1):
            job.queue_position = place

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

    def _receive(self, worker: _WorkerProcess, message: tuple) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready.set()
            return
        job = worker.jobs.get(message[1])
        if job is None:
            return
        if kind == "update":
            job._apply(message[2])
        elif kind == "finished":
            with self._lock:
                worker.jobs.pop(job.id, None)
                job._finish(message[2], message[3])
                self._dispatch()

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
            worker.alive = False
            for job in worker.jobs.values():
                job._finish("failed", f"The worker process running this job stopped unexpectedly ({how}). "
                                      "A new worker has been started: start the run again.")
            worker.jobs.clear()
            worker.conn.close()
            self.workers[self.workers.index(worker)] = _WorkerProcess(self.settings)
            self.replaced += 1
            self._dispatch()

    def _sweep(self) -> None:
        """Stop session jobs nobody has polled for a while; notice workers that exited quietly."""
        now = time.monotonic()
        for job in self.jobs():
            unwatched = now - job.last_polled > self.settings.abandon_after_s
            if job.session is not None and job.status in ACTIVE and unwatched:
                job.error = (f"Stopped because its page had not checked on it for "
                             f"{self.settings.abandon_after_s:.0f} s.")
                self.stop(job)
        with self._lock:
            dead = [w for w in self.workers if w.alive and w.process.poll() is not None]
        for worker in dead:
            self._replace(worker)
        with self._lock:
            # Finished jobs stay readable by whoever holds them; the pool forgets them.
            for job_id in [i for i, j in self._jobs.items() if j.finished]:
                del self._jobs[job_id]


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> WorkerPool:
    """The process-wide pool, started (and its workers warmed) on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
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
