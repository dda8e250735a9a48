"""A worker: runs training jobs by turns, in short slices, and reports back. In a worker process of the
local pool it talks over a pipe (below); in a Ray actor through the actor's calls (`playground.jobs.cluster`).

Started by the pool as `python -m playground.jobs.worker FD` (a fresh interpreter, never a fork and never
a spawn of the caller's main module: under `streamlit run` that module is the page script, and
re-running it in a child would start pools recursively). FD is one end of a socket pair.

Messages in:  ("start", id, payload), ("pause", id, control), ("resume", id, control),
              ("step", id, n, unit), ("stop", id), ("command", id, name, value).
Messages out: ("ready", pid), ("update", id, dict), ("finished", id, status, error).
`control` counts the caller's pause and resume requests; updates echo the latest one handled.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection

import torch

from playground.jobs import messages
from playground.settings import get_settings

_PUBLISH_EVERY_S = 0.5  # weights are sent at most this often while running (always at pause and end)
_TURN_S = 0.3  # with many jobs, slices shrink so that each job's turn comes round this often
_SHORTEST_SLICE_S = 0.005


def slice_length(slice_s: float, runnable: int) -> float:
    """How long each of `runnable` jobs runs before the next one's turn: `slice_s`, but shorter when
    so many jobs share the worker that a round would take longer than `_TURN_S` (each job reports
    what it did at the end of its slice, so a page watching it would otherwise stand still for a
    whole round: 15 jobs of 0.05 s is 0.75 s). Never below `_SHORTEST_SLICE_S`."""
    return max(_SHORTEST_SLICE_S, min(slice_s, _TURN_S / max(runnable, 1)))


class JobContext:
    """What a trainer sees: the job's spec, data, config and device, and ways to report back."""

    def __init__(self, job_id: int, spec: dict, dataset, config, device: torch.device,
                 init_weights: bytes | None = None, options: dict | None = None):
        self.job_id = job_id
        self.options = options or {}  # the trainer's own settings
        self.init_weights = init_weights  # safetensors bytes to start from instead of a fresh init
        self.spec = spec
        self.dataset = dataset
        self.config = config
        self.device = device
        self.commands: list[tuple[str, object]] = []  # (name, value) sent by the caller, oldest first
        self._rows: list[dict] = []
        self._series: dict[str, list] = {}
        self._latest: dict[str, object] = {}
        self._progress: tuple[int, float] | None = None
        self._weights: bytes | None = None
        self._module: torch.nn.Module | None = None
        self._last_publish = -1e9
        self.slice_end = float("inf")  # when the current slice ends (time.perf_counter()); set by the worker

    def slice_ending(self, margin: float = 0.002) -> bool:
        """Whether the worker will turn to another job at the trainer's next yield: the moment to report
        what is new, since the next chance comes only after every other job's turn."""
        return time.perf_counter() >= self.slice_end - margin

    def report(self, **row) -> None:
        """Add one history row (floats or None)."""
        self._rows.append({k: (float("nan") if v is None else v) for k, v in row.items()})

    def progress(self, epoch: int, fraction: float) -> None:
        """Where the job is: `epoch` (1-based) and the fraction of it done."""
        self._progress = (epoch, fraction)

    def series(self, name: str, value) -> None:
        """Append `value` (anything picklable and small) to the extra series `name`."""
        self._series.setdefault(name, []).append(value)

    def latest(self, name: str, value) -> None:
        """Offer `value` as the newest `name`: the caller keeps only the last one (a picture of the
        weights now, say), not a series of every one sent."""
        self._latest[name] = value

    def publish(self, module: torch.nn.Module, *, force: bool = False) -> None:
        """Offer the latest weights; sent now if forced or if the last ones are old enough."""
        self._module = module
        now = time.monotonic()
        if force or now - self._last_publish >= _PUBLISH_EVERY_S:
            self._last_publish = now
            self._weights = _state_bytes(module)

    def force_publish(self) -> None:
        if self._module is not None:
            self.publish(self._module, force=True)

    def take_update(self) -> dict:
        """Everything reported since the last call, as one message body (empty dict if nothing)."""
        update = {}
        if self._rows:
            update["rows"], self._rows = self._rows, []
        if self._series:
            update["series"], self._series = self._series, {}
        if self._latest:
            update["latest"], self._latest = self._latest, {}
        if self._progress is not None:
            update["progress"], self._progress = self._progress, None
        if self._weights is not None:
            update["weights"], self._weights = self._weights, None
        return update


def _state_bytes(module: torch.nn.Module) -> bytes:
    from safetensors.torch import save

    return save({k: v.detach().to("cpu").contiguous().clone() for k, v in module.state_dict().items()})


class _Datasets:
    """A small cache of datasets made from references, so repeated runs skip regeneration; bounded in
    count and in bytes (`Settings.dataset_cache_mb`), as the server's own."""

    def __init__(self, size: int = 4):
        from playground.data import DatasetCache
        from playground.settings import get_settings

        self._cache = DatasetCache(max_entries=size, max_bytes=int(get_settings().dataset_cache_mb * 2**20))

    def get(self, payload: dict):
        if "dataset" in payload:
            return payload["dataset"]
        from playground.data import load

        ref = payload["ref"]
        return self._cache.get(repr(ref), lambda: load(ref["name"], seed=ref["seed"], **ref["params"]))


def _pick_device(name: str) -> torch.device:
    from playground.jobs.trainers import TrainingError

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TrainingError("This run asks for a GPU (cuda) but this server has none; choose device 'auto'.")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise TrainingError(f"'{name[:40]}' is not a device; choose 'auto', 'cpu', 'cuda' or 'cuda:0'.") from None
    count = torch.cuda.device_count() if device.type == "cuda" else 0
    if device.type == "cuda" and device.index is not None and device.index >= count:
        has = "one GPU, cuda:0" if count == 1 else f"{count} GPUs, cuda:0 to cuda:{count - 1}"
        raise TrainingError(f"This run asks for GPU {device.index} ({name}), but this machine has {has}; choose "
                            "'cuda' or 'auto'.")
    return device


class _Job:
    """One job inside the worker: its trainer generator, random state and pause/step bookkeeping."""

    def __init__(self, job_id: int, payload: dict, datasets: _Datasets):
        import importlib

        from playground.jobs.config import Config
        from playground.jobs.trainers import TRAINERS

        importlib.import_module(payload["trainer_module"])  # the module that registers the trainer
        self.id = job_id
        self.status = "running"
        self.error: str | None = None
        self.budget: tuple[int, str] | None = None  # (count, unit) of steps to run while paused
        self.control = 0  # the caller's latest pause/resume request handled, echoed in updates
        self._payload = payload
        self._datasets = datasets
        if payload["trainer"] not in TRAINERS:  # `start` checked it in the server: this worker's code differs
            raise ValueError(f"unknown trainer {payload['trainer']!r} in this worker (is its code up to date?)")
        self._trainer = TRAINERS[payload["trainer"]]
        self.config = Config.from_dict(payload["config"])
        self.ctx: JobContext | None = None
        self._gen = None
        self._rng: torch.Tensor | None = None
        self._cuda_rng: torch.Tensor | None = None

    @property
    def runnable(self) -> bool:
        return self.status == "running" or (self.status == "paused" and self.budget is not None)

    def _setup(self) -> None:
        device = _pick_device(self.config.device)
        dataset = self._datasets.get(self._payload)
        self.ctx = JobContext(self.id, self._payload["spec"], dataset, self.config, device,
                              init_weights=self._payload.get("init_weights"), options=self._payload.get("options"))
        torch.manual_seed(self.config.seed)
        self._gen = self._trainer(self.ctx)
        self._payload = None

    def run_slice(self, seconds: float) -> None:
        """Advance the trainer for about `seconds`, with this job's own random state."""
        # Several jobs share this process, so each keeps its own RNG state between slices:
        # a seeded run then repeats exactly whatever else runs beside it.
        if self._rng is not None:
            torch.set_rng_state(self._rng)
            if self._cuda_rng is not None:
                torch.cuda.set_rng_state(self._cuda_rng)
        end = time.perf_counter() + seconds
        try:
            if self._gen is None:
                self._setup()
            self.ctx.slice_end = end
            while True:
                kind = next(self._gen)
                if self.budget is not None and kind == self.budget[1]:
                    count = self.budget[0] - 1
                    self.budget = (count, self.budget[1]) if count > 0 else None
                    if self.budget is None:
                        self.ctx.force_publish()
                        break
                elif self.budget is not None and self.budget[1] == "step" and kind == "epoch":
                    continue
                if time.perf_counter() >= end:
                    break
        except StopIteration:
            self.status = "done"
            self.ctx.force_publish()
        except Exception as e:  # any failure becomes the job's message; the worker lives on
            self.status, self.error = "failed", _describe_failure(e)
            if self.ctx is not None:
                self.ctx.force_publish()
        finally:
            self._rng = torch.get_rng_state()
            if self.ctx is not None and self.ctx.device.type == "cuda":
                self._cuda_rng = torch.cuda.get_rng_state()

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()


def _describe_failure(e: Exception) -> str:
    from playground.jobs.trainers import TrainingError
    from playground.layers import SpecError

    if isinstance(e, (TrainingError, SpecError, ValueError)):
        return str(e)
    if isinstance(e, torch.OutOfMemoryError):
        return "The device ran out of memory; use a smaller batch size or a smaller network."
    traceback.print_exc(file=sys.stderr)
    return f"Training failed unexpectedly: {type(e).__name__}: {e}"


class PipeInbox:
    """The messages a worker process reads from its end of the pool's pipe."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, timeout: float) -> tuple | None:
        """The next message, waiting at most `timeout` seconds; None if none came. EOFError or
        OSError once the other end has gone."""
        return messages.receive(self.conn) if self.conn.poll(timeout) else None


class Worker:
    """The worker's loop: read commands, then give each runnable job one slice, in turn.

    The same loop runs in a worker process (messages over a pipe) and in a Ray actor (messages
    through the actor's calls): `inbox.get(timeout)` gives the next message or None, and raises
    EOFError when the pool has gone; `send(message)` sends one back.
    """

    def __init__(self, inbox, send: Callable[[tuple], None], slice_s: float):
        self.inbox = inbox
        self.send = send
        self.slice_s = slice_s
        self.jobs: dict[int, _Job] = {}
        self._new: list[int] = []  # jobs started since the last slice, oldest first
        self.datasets = _Datasets()

    def run(self) -> None:
        self.send(("ready", os.getpid()))
        while True:
            runnable = [job for job in self.jobs.values() if job.runnable]
            if not self._read(0 if runnable else 0.5):
                return
            length = slice_length(self.slice_s, len(runnable))
            self._start_new(length)
            for job in runnable:
                if job.id not in self.jobs or not job.runnable:
                    continue
                job.run_slice(length)
                self._flush(job)
                if not self._read(0):
                    return
                self._start_new(length)

    def _start_new(self, length: float) -> None:
        """Give each job that arrived since the last slice its first slice now, not after the rest of
        the round: with many jobs a round takes `_TURN_S` or more, and the first slice is the one
        that shows the student their run has begun (the untrained epoch 0). It then takes its turns."""
        while self._new:
            job = self.jobs.get(self._new.pop(0))
            if job is not None and job.runnable:
                job.run_slice(length)
                self._flush(job)

    def _read(self, timeout: float) -> bool:
        """Handle every waiting message; False once the other end has gone."""
        try:
            while (message := self.inbox.get(timeout)) is not None:
                self._handle(message)
                timeout = 0
        except (EOFError, OSError):
            return False
        return True

    def _handle(self, message: tuple) -> None:
        kind, job_id = message[0], message[1]
        if kind == "start":
            try:
                self.jobs[job_id] = _Job(job_id, message[2], self.datasets)
                self._new.append(job_id)
            except Exception as e:
                self.send(("finished", job_id, "failed", _describe_failure(e)))
            return
        job = self.jobs.get(job_id)
        if job is None:
            return
        if kind == "pause":
            job.status, job.budget, job.control = "paused", None, message[2]
            if job.ctx is not None:
                job.ctx.force_publish()
            self._flush(job)
        elif kind == "resume":
            job.status, job.budget, job.control = "running", None, message[2]
        elif kind == "step":
            job.budget = (message[2], message[3])
        elif kind == "stop":
            job.status = "stopped"
            job.close()
            if job.ctx is not None:
                job.ctx.force_publish()
            self._flush(job)
        elif kind == "command" and job.ctx is not None:
            job.ctx.commands.append((message[2], message[3]))

    def _flush(self, job: _Job) -> None:
        update = job.ctx.take_update() if job.ctx is not None else {}
        if job.status in ("running", "paused"):
            if update or job.budget is None:
                update["status"] = "paused" if job.status == "paused" and job.budget is None else "running"
                update["device"] = str(job.ctx.device) if job.ctx is not None else None
                update["control"] = job.control
                self.send(("update", job.id, update))
            return
        if update:
            self.send(("update", job.id, update))
        self.send(("finished", job.id, job.status, job.error))
        del self.jobs[job.id]


def warm_imports() -> None:
    """Import now what every job needs, not on the first job: importing scikit-learn and torch takes seconds."""
    # The digits (Build & Train's default data) come from scikit-learn, which `playground.data` imports
    # only on use: importing it with the first digits job held up every job of that worker (0.7 s idle,
    # 1.5 s on a busy machine, measured by benchmarks/bench_cluster.py).
    import sklearn.datasets  # noqa: F401

    import playground.data  # noqa: F401
    import playground.jobs.supervised  # noqa: F401
    import playground.models  # noqa: F401

    # A job's first optimizer imports torch._dynamo (torch.optim guards its constructor with it): 0.8 s
    # idle, 1.3 s on a busy machine, that every job of the worker waited through. Every job needs
    # it, so making one now costs nothing later.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def give_way(nice: int) -> None:
    """Lower this process's priority by `nice`, so the web server's answers come first when the
    cores are all busy. Where the kernel groups processes by session (autogroup, and a worker has a
    session of its own), the group's nice value is the one that counts between processes, so both
    are set. Lowering one's own priority needs no privilege; where it cannot be done, nothing changes."""
    if nice <= 0:
        return
    with contextlib.suppress(OSError, AttributeError):
        os.nice(nice)
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as group:
        group.write(str(nice))


def main(argv: list[str]) -> None:
    settings = get_settings()
    give_way(settings.worker_nice)
    torch.set_num_threads(settings.torch_threads)
    warm_imports()
    conn = Connection(int(argv[1]))
    Worker(PipeInbox(conn), functools.partial(messages.send, conn), settings.slice_s).run()


if __name__ == "__main__":
    main(sys.argv)
