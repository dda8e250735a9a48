"""The Ray executor: jobs run in actors on a Ray cluster, with the same contract as the local pool.

Chosen by `Settings.ray_address` (PLAYGROUND_RAY_ADDRESS: "auto", or "ray://host:10001"); only then is
this module, and so Ray, imported. Each actor is a worker like the local pool's processes: it runs
`playground.jobs.worker.Worker`'s loop (the same trainers, datasets and messages), many jobs by turns,
in a thread of its own. The pool sends it messages with `post` and one listener thread in the server
collects what it sends back with `take` (a batch at a time) and applies it to the `TrainingJob`s as
the local pool does.

Placement is Ray's: a CPU worker asks for one CPU, one per CPU of the cluster, spread over its
machines; a job that needs a GPU (device cuda, or auto with a network of at least `GPU_PARAMS`
parameters on a cluster that has a GPU) goes to a GPU worker, which asks for one GPU and is started
on first need. An actor or machine that dies fails its jobs with a message; a new actor takes its
place and the queue moves on.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

import ray
import torch

from playground.jobs.executor import Executor, Job
from playground.jobs.worker import Worker, warm_imports
from playground.settings import Settings

# A network this large (in parameters) trains faster on a GPU than on one CPU thread: with device
# "auto", such a job goes to a GPU worker when the cluster has a GPU. LeNet-5 has about 60 thousand.
GPU_PARAMS = 250_000
# The most CPU workers the pool keeps, however many CPUs the cluster has.
MAX_CPU_WORKERS = 64
_TAKE_WAIT_S = 0.5  # how long one `take` waits for something to send back
_GATHER_S = 0.02  # once something is there, how long `take` lets more join the batch
_RESIZE_EVERY_S = 10.0  # how often the pool looks again at the cluster's CPUs and GPUs
_MAX_FAILED_STARTS = 3  # workers that die before they are ready are started again this often, no more
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


# ----------------------------------------------------------------------------------------------
# Inside the actor


class _Mailbox:
    """The pool's messages, handed to the worker loop in the order they were posted: calls to a
    threaded actor may run out of order, so each carries its sequence number."""

    def __init__(self):
        self._cond = threading.Condition()
        self._next = 0
        self._early: dict[int, tuple] = {}
        self._ready: collections.deque[tuple] = collections.deque()

    def put(self, seq: int, message: tuple) -> None:
        with self._cond:
            self._early[seq] = message
            while self._next in self._early:
                self._ready.append(self._early.pop(self._next))
                self._next += 1
            self._cond.notify()

    def get(self, timeout: float) -> tuple | None:
        with self._cond:
            if not self._ready and timeout > 0:
                self._cond.wait(timeout)
            return self._ready.popleft() if self._ready else None


class _Outbox:
    """What the worker loop sends back, kept until the pool takes it."""

    def __init__(self):
        self._cond = threading.Condition()
        self._items: list[tuple] = []

    def put(self, message: tuple) -> None:
        with self._cond:
            self._items.append(message)
            self._cond.notify()

    def take(self, timeout: float) -> list[tuple]:
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
            if not self._items:
                return []
        time.sleep(_GATHER_S)  # the other jobs' slices end meanwhile: one answer carries them all
        with self._cond:
            items, self._items = self._items, []
        return items


class Runner:
    """A Ray actor that is one worker: `Worker`'s loop in a thread, fed by `post`, read by `take`."""

    def __init__(self, torch_threads: int, slice_s: float, nice: int):
        # Ray starts its workers at nice 15; take the local pool's workers' place instead, `nice` (the
        # threads started from here inherit it). Only this process: the scheduling group of its
        # session (autogroup) holds Ray's own processes too. Lowering a nice value needs privilege
        # (root, CAP_SYS_NICE); without it the actor stays where Ray put it, giving way all the more.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        torch.set_num_threads(torch_threads)
        warm_imports()
        self._inbox, self._outbox = _Mailbox(), _Outbox()
        self._worker = Worker(self._inbox, self._outbox.put, slice_s)
        threading.Thread(target=self._run, name="playground-worker", daemon=True).start()

    def _run(self) -> None:
        try:
            self._worker.run()
        except BaseException:  # noqa: BLE001 - printed to the actor's log; the pool sees the actor end
            traceback.print_exc()
        os._exit(1)  # a worker whose loop has ended is of no use: ending the actor tells the pool

    def describe(self) -> dict:
        """Where this worker runs: its process, its machine ("host (ip)"), Ray's id of that machine
        (two nodes may share one host) and the GPUs it holds."""
        return {"pid": os.getpid(), "node": f"{socket.gethostname()} ({ray.util.get_node_ip_address()})",
                "node_id": ray.get_runtime_context().get_node_id(), "gpus": [str(g) for g in ray.get_gpu_ids()]}

    def post(self, seq: int, message: tuple) -> None:
        self._inbox.put(seq, message)

    def take(self, timeout: float) -> list[tuple]:
        return self._outbox.take(timeout)


# `take` waits while `post` must get through: a few calls at once.
_RemoteRunner = ray.remote(max_concurrency=4, max_restarts=0)(Runner)


# ----------------------------------------------------------------------------------------------
# In the server


class _ActorWorker:
    """One actor as the pool sees it: its handle, its kind ("cpu" or "gpu"), the jobs it holds and the
    calls in flight (`describe` until it is ready, then one `take` at a time)."""

    def __init__(self, handle, kind: str):
        self.actor = handle
        self.kind = kind
        self.jobs: dict[int, Job] = {}
        self.ready = threading.Event()
        self.alive = True
        self.node: str | None = None
        self.node_id: str | None = None
        self.pid: int | None = None
        self.described = handle.describe.remote()
        self.taking = None
        self._seq = itertools.count()
        self._send_lock = threading.Lock()

    def send(self, message: tuple) -> bool:
        try:
            with self._send_lock:
                self.actor.post.remote(next(self._seq), message)
            return True
        except Exception:  # noqa: BLE001 - a handle Ray no longer knows: the listener fails its jobs
            return False


def _how_it_died(error: Exception, node: str | None) -> str:
    """A short reason from Ray's error (`ray.exceptions.ActorDiedError` and its kin), for the job's message."""
    text = str(error).lower()
    where = f" ({node})" if node else ""
    if "ray.kill" in text or "killed" in text:
        return f"its worker on the machine{where} was killed"
    if "node has died" in text or "node died" in text or "node is dead" in text:
        return f"its machine{where} left the cluster"
    return f"its worker on the machine{where} ended"


def _check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Raise OSError at once when `address` names a host and port ("host:6379", "ray://host:10001")
    that nothing answers on: `ray.init` would otherwise wait minutes before giving up."""
    if not address or address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if host and port.isdigit():
        socket.create_connection((host, int(port)), timeout=timeout).close()


class RayPool(Executor):
    """Workers as Ray actors, an admission queue, and the thread that listens to them.

    `address`: what `ray.init` connects to when Ray is not started in this process yet ("auto",
    "ray://host:10001"). `workers`: how many CPU workers (default: one per CPU of the cluster, at most
    `MAX_CPU_WORKERS`, more as machines join). `resources`: Ray resources every worker asks for besides
    its CPU or GPU (e.g. {"lab-room": 1} to keep the jobs on the machines that have it).
    """

    def __init__(self, settings: Settings | None = None, *, address: str | None = None, workers: int | None = None,
                 resources: dict[str, float] | None = None):
        self._started_ray = False
        if not ray.is_initialized():
            # Without an address Ray starts a cluster of this machine alone, for this process.
            try:
                _check_reachable(address)
                ray.init(address=address, **({} if address else {"include_dashboard": False}))
            except Exception as e:  # noqa: BLE001 - Ray's errors here are of several kinds
                raise RuntimeError(
                    f"Could not reach the Ray cluster at PLAYGROUND_RAY_ADDRESS={address!r} ({type(e).__name__}: "
                    f"{e}). Start it (`ray start --head`), correct the address, or leave the variable empty "
                    "to train on this machine.") from e
            self._started_ray = True
        self._fixed_workers = workers
        self._resources = dict(resources or {})
        self._kinds: dict[int, str] = {}
        self._failed_starts = 0
        self._gpus = int(ray.cluster_resources().get("GPU", 0))
        self._resized = time.monotonic()
        super().__init__(settings)

    # -- workers ---------------------------------------------------------------------------------

    def _cpu_workers_wanted(self) -> int:
        if self._fixed_workers is not None:
            return self._fixed_workers
        return max(1, min(MAX_CPU_WORKERS, int(ray.cluster_resources().get("CPU", 1))))

    def _start_workers(self) -> list[_ActorWorker]:
        return [self._new_worker("cpu") for _ in range(self._cpu_workers_wanted())]

    def _new_worker(self, kind: str) -> _ActorWorker:
        # A GPU worker holds no CPU slot: the CPU workers take one per CPU, and a GPU job's CPU mostly
        # waits on its GPU.
        cpus, gpus = (0, 1) if kind == "gpu" else (1, 0)
        env = {"PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
        handle = _RemoteRunner.options(
            num_cpus=cpus, num_gpus=gpus, resources=self._resources or None, scheduling_strategy="SPREAD",
            runtime_env={"env_vars": env},
        ).remote(self.settings.torch_threads, self.settings.slice_s, self.settings.worker_nice)
        return _ActorWorker(handle, kind)

    def pids(self) -> list[int | None]:
        """The workers' process ids (on their own machines; None until a worker is ready)."""
        return [w.pid for w in self.workers]

    def nodes(self) -> list[str | None]:
        """Each worker's machine, "host (ip)" (None until it is ready)."""
        return [w.node for w in self.workers]

    # -- jobs ------------------------------------------------------------------------------------

    def kind_of(self, job: Job) -> str:
        """"gpu" when `job` asks for a GPU (device cuda, or auto with a large network) and the cluster
        has one, else "cpu". A cuda job on a cluster without GPUs goes to a CPU worker, which fails it
        with the same message as the local pool."""
        if self._gpus <= 0:
            return "cpu"
        device = str(job.config.device)
        if device.startswith("cuda"):
            return "gpu"
        if device == "auto":
            from playground.models import count_params

            return "gpu" if count_params(job.spec) >= GPU_PARAMS else "cpu"
        return "cpu"

    def submit(self, job: Job) -> None:
        with self._lock:
            self._kinds[job.id] = self.kind_of(job)
            try:
                super().submit(job)
            except Exception:
                self._kinds.pop(job.id, None)
                raise

    def _eligible(self, job: Job) -> list[_ActorWorker]:
        kind = self._kinds.get(job.id, "cpu")
        of_kind = [w for w in self.workers if w.alive and w.kind == kind]
        if kind == "gpu" and not of_kind and self._gpus > 0 and not self._closed:
            self.workers.append(self._new_worker("gpu"))  # started on first need; the job waits for it
        return [w for w in of_kind if w.ready.is_set()]

    # -- listening -------------------------------------------------------------------------------

    def _listen(self) -> None:
        last_sweep = time.monotonic()
        while not self._closed:
            calls = self._calls()
            done = []
            if calls:
                try:
                    done, _ = ray.wait(list(calls), num_returns=1, timeout=0.5)
                    if done:  # and every other answer already there
                        done, _ = ray.wait(list(calls), num_returns=len(calls), timeout=0)
                except Exception:  # noqa: BLE001 - Ray shutting down under us
                    if self._closed:
                        return
                    time.sleep(0.5)
            else:
                time.sleep(0.5)
            for ref in done:
                self._answer(calls[ref], ref)
            if time.monotonic() - last_sweep >= 1.0:
                last_sweep = time.monotonic()
                self._sweep()

    def _calls(self) -> dict:
        """Each live worker's call in flight (a `take` is started where none is), by its reference."""
        calls = {}
        with self._lock:
            for worker in self.workers:
                if not worker.alive:
                    continue
                if not worker.ready.is_set():
                    calls[worker.described] = worker
                    continue
                if worker.taking is None:
                    worker.taking = worker.actor.take.remote(_TAKE_WAIT_S)
                calls[worker.taking] = worker
        return calls

    def _answer(self, worker: _ActorWorker, ref) -> None:
        try:
            answer = ray.get(ref)
        except ray.exceptions.RayError as e:
            self._replace(worker, e)
            return
        if ref is worker.described:
            with self._lock:
                worker.node, worker.node_id, worker.pid = answer["node"], answer["node_id"], answer["pid"]
                worker.ready.set()
                self._dispatch()
            return
        worker.taking = None
        for message in answer:
            self._receive(worker, message)

    def _receive(self, worker: _ActorWorker, message: tuple) -> None:
        if message[0] == "ready":  # the actor is ready once `describe` has answered, with its machine
            return
        super()._receive(worker, message)

    def _replace(self, worker: _ActorWorker, error: Exception) -> None:
        """An actor died (or its machine): fail its jobs with a message, start another, carry on."""
        if self._closed or not worker.alive:
            return
        how = _how_it_died(error, worker.node)
        with self._lock:
            self._fail_jobs_of(worker, f"The machine training this run stopped unexpectedly ({how}). "
                                       "Start the run again: it goes to a machine that is still up.")
            with contextlib.suppress(Exception):
                ray.kill(worker.actor, no_restart=True)
            if not worker.ready.is_set():
                # It never started (it cannot import the app there, say): starting it again and
                # again would not help. Say why, once per worker, and leave the others to work.
                self._failed_starts += 1
                print(f"playground: a Ray worker could not start: {error}", file=sys.stderr)
            if worker.ready.is_set() or self._failed_starts <= _MAX_FAILED_STARTS:
                self.workers[self.workers.index(worker)] = self._new_worker(worker.kind)
            else:
                self.workers.remove(worker)
            self.replaced += 1
            self._dispatch()

    def _sweep(self) -> None:
        """As the local pool's; and now and then, start more CPU workers when machines have joined."""
        super()._sweep()
        with self._lock:
            for job_id in [i for i in self._kinds if i not in self._jobs]:
                del self._kinds[job_id]
        if time.monotonic() - self._resized < _RESIZE_EVERY_S or self._closed:
            return
        self._resized = time.monotonic()
        with contextlib.suppress(Exception):
            self._gpus = int(ray.cluster_resources().get("GPU", 0))
            wanted = self._cpu_workers_wanted()
            with self._lock:
                have = sum(1 for w in self.workers if w.alive and w.kind == "cpu")
                self.workers.extend(self._new_worker("cpu") for _ in range(max(0, wanted - have)))

    def shutdown(self) -> None:
        """Stop every job (marked interrupted) and end the actors; and Ray, if this pool started it."""
        self._interrupt_all()
        for worker in list(self.workers):
            with contextlib.suppress(Exception):
                ray.kill(worker.actor, no_restart=True)
        self._thread.join(2)
        if self._started_ray:
            ray.shutdown()
