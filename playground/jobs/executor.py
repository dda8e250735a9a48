"""What every executor of jobs shares: the admission queue, the per-session limit, stopping, the sweep
of abandoned jobs, and applying the workers' messages to `TrainingJob`s.

An executor holds workers (each runs many jobs by turns: `playground.jobs.worker.Worker`) and one
listener thread that receives their messages. The local pool (`playground.jobs.pool.WorkerPool`)
keeps its workers as processes on this machine; the Ray pool (`playground.jobs.cluster.RayPool`) as
actors on a cluster. Both offer `train.start` the same interface, so a job behaves the same on either.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

from playground.settings import Settings, get_settings

# The jobs an executor holds are `playground.jobs.train.TrainingJob`s; executors sit below `train`
# (which submits to them), so they only read and update them and never import that module.
Job = Any
Worker = Any  # what a subclass keeps per worker: .jobs, .alive, .ready, .node, .send(message) -> bool

ACTIVE = ("queued", "running", "paused")  # a job's statuses while it holds or waits for a worker
SHUTDOWN_MESSAGE = "The server stopped while this run was training; train it again to finish it."


class JobLimitError(RuntimeError):
    """The session already runs as many jobs as it may."""


class Executor:
    """Workers, an admission queue, and the thread that listens to the workers.

    A subclass starts its workers (`_start_workers`), listens to them (`_listen`, calling `_receive`
    with each message and `_sweep` about once a second), replaces a dead one and ends them (`shutdown`).
    """

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self._lock = threading.RLock()
        self._queue: collections.deque[Job] = collections.deque()
        self._jobs: dict[int, Job] = {}
        self._closed = False
        self.replaced = 0
        self.workers: list[Worker] = self._start_workers()
        self._thread = threading.Thread(target=self._listen, name=f"playground-{type(self).__name__}", daemon=True)
        self._thread.start()

    # -- for subclasses --------------------------------------------------------------------------

    def _start_workers(self) -> list[Worker]:
        raise NotImplementedError

    def _listen(self) -> None:
        raise NotImplementedError

    def shutdown(self) -> None:
        """Stop every job (marked interrupted) and end the workers."""
        raise NotImplementedError

    def _eligible(self, job: Job) -> list[Worker]:
        """The workers that may take `job` now (the least busy of them will)."""
        return [w for w in self.workers if w.alive]

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

    def wait_ready(self, timeout: float = 60) -> bool:
        """Block until every worker has imported torch and said it is ready."""
        deadline = time.monotonic() + timeout
        return all(w.ready.wait(max(0.0, deadline - time.monotonic())) for w in list(self.workers))

    def _interrupt_all(self) -> None:
        """Close the pool to new jobs and mark every queued and running one interrupted."""
        with self._lock:
            self._closed = True
            for job in list(self._queue):
                job._finish("interrupted", SHUTDOWN_MESSAGE)
            self._queue.clear()
            workers = list(self.workers)
        for worker in workers:
            for job in list(worker.jobs.values()):
                job._finish("interrupted", SHUTDOWN_MESSAGE)

    # -- inside the pool -------------------------------------------------------------------------

    def _worker_of(self, job: Job) -> Worker | None:
        return next((w for w in self.workers if job.id in w.jobs), None)

    def _dispatch(self) -> None:
        """Move queued jobs, oldest first, onto the least busy workers that may take them, while
        admission allows."""
        while self._queue and self.running < self.settings.max_running_jobs:
            chosen = next(((job, workers) for job in self._queue if (workers := self._eligible(job))), None)
            if chosen is None:
                break
            job, workers = chosen
            self._queue.remove(job)
            worker = min(workers, key=lambda w: len(w.jobs))
            worker.jobs[job.id] = job
            job.status = "running"
            job.queue_position = None
            job.node = worker.node
            if not worker.send(("start", job.id, job.payload)):
                del worker.jobs[job.id]
                job._finish("failed", "The worker process could not take this job; start it again.")
            job.payload = None
        self._number_queue()

    def _number_queue(self) -> None:
        for place, job in enumerate(self._queue, 1):
            job.queue_position = place

    def _receive(self, worker: Worker, message: tuple) -> None:
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

    def _fail_jobs_of(self, worker: Worker, message: str) -> None:
        """`worker` has gone: fail every job it held with `message` (under the lock)."""
        worker.alive = False
        for job in worker.jobs.values():
            job._finish("failed", message)
        worker.jobs.clear()

    def _sweep(self) -> None:
        """Stop session jobs nobody has polled for a while; forget finished ones."""
        now = time.monotonic()
        for job in self.jobs():
            unwatched = now - job.last_polled > self.settings.abandon_after_s
            if job.session is not None and job.status in ACTIVE and unwatched:
                job.error = (f"Stopped because its page had not checked on it for "
                             f"{self.settings.abandon_after_s:.0f} s.")
                self.stop(job)
        with self._lock:
            # Finished jobs stay readable by whoever holds them; the pool forgets them.
            for job_id in [i for i, j in self._jobs.items() if j.finished]:
                del self._jobs[job_id]
