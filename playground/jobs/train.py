"""Training jobs: a config, a registry of trainers, and `start`, which hands a job to the worker pool.

`start` returns at once with a `TrainingJob`. The job runs in a worker (see `playground.jobs.worker`):
a process on this machine, or an actor on a Ray cluster (`playground.jobs.cluster`), never in the
caller's process, so a busy web server or notebook does not slow it.
Poll it with `history_since`, `progress` and `status`; take its latest weights with `model()`.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import math
import threading
import time

import pandas as pd
from torch import nn

from playground.jobs.config import LOSSES, OPTIMIZERS, CheckedSettings, Config, ConfigError, is_int, is_number
from playground.jobs.executor import ACTIVE, JobLimitError
from playground.jobs.trainers import TRAINERS, Trainer, TrainingError, register_trainer, trainer_module
from playground.layers import SpecError

__all__ = ["ACTIVE", "FINISHED", "HISTORY_COLUMNS", "LOSSES", "OPTIMIZERS", "TRAINERS", "CheckedSettings", "Config",
           "ConfigError", "JobLimitError", "Trainer", "TrainingError", "TrainingJob", "dataset_payload", "is_int",
           "is_number", "register_trainer", "start"]

HISTORY_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "samples_per_s", "seconds"]
# "interrupted": the server stopped while the job ran (the run store shows such runs after a restart).
FINISHED = ("done", "stopped", "failed", "interrupted")

# ----------------------------------------------------------------------------------------------
# Trainers (the registry is `playground.jobs.trainers`): the default ones, "classifier" and "regressor",
# are always there; any other is registered by importing the module that defines it.


def _trainer_for(name: str) -> Trainer:
    import playground.jobs.supervised  # noqa: F401  registers the default trainers

    if name not in TRAINERS:
        raise ValueError(f"unknown trainer {name!r}; known trainers are {', '.join(TRAINERS)} "
                         "(a trainer is known once the module that defines it is imported)")
    return TRAINERS[name]


# ----------------------------------------------------------------------------------------------
# The job, as the caller sees it.

_ids = itertools.count(1)


class TrainingJob:
    """A training run in the worker pool, seen from the process that started it.

    Updated by the pool's listener thread; every reader method is safe to call from any thread.
    """

    def __init__(self, *, spec: dict, dataset_name: str, config: Config, trainer: str, payload: dict,
                 session: str | None = None, name: str | None = None):
        self.id = next(_ids)
        self.spec = spec
        self.dataset_name = dataset_name
        self.config = config
        self.trainer = trainer
        self.session = session
        self.name = name or f"run {self.id}"
        self.payload = payload  # what the worker needs to run it; dropped once sent
        self.options = dict(payload.get("options") or {})  # the trainer's own settings
        self.status = "queued"
        self.error: str | None = None
        self.device: str | None = None
        self.node: str | None = None  # the machine of a Ray cluster that runs it; None on the local pool
        self.epoch = 0
        self.fraction = 0.0
        self.queue_position: int | None = None
        self.created = time.time()
        self.last_polled = time.monotonic()
        self._rows: list[dict] = []
        self._series: dict[str, list] = {}
        self._latest: dict[str, object] = {}
        self._weights: bytes | None = None
        self._weights_version = 0
        # Pause and resume requests sent so far. The worker echoes the count it has handled in each
        # update; an update sent before the latest request must not overwrite the status it set.
        self._control = 0
        self._model_cache: tuple[int, nn.Module] | None = None
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._when_finished: list | None = []  # None once they have been called
        self._pool = None

    def __repr__(self) -> str:
        return f"<TrainingJob {self.id} {self.name!r} {self.status} epoch {self.epoch}/{self.config.epochs}>"

    # -- reading ---------------------------------------------------------------------------------

    def touch(self) -> None:
        """Note that someone is watching this job (unwatched session jobs are stopped)."""
        self.last_polled = time.monotonic()

    @property
    def history(self) -> pd.DataFrame:
        """Every epoch row so far: epoch, train/val loss and accuracy, samples_per_s, seconds."""
        return self.history_since(0)

    def history_since(self, row: int) -> pd.DataFrame:
        """Only the rows from index `row` on, so that polling stays cheap."""
        self.touch()
        with self._lock:
            rows = self._rows[row:]
        frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS if not rows else None)
        for column in HISTORY_COLUMNS:
            if column not in frame:
                frame[column] = math.nan
        return frame

    @property
    def rows(self) -> int:
        """How many history rows have arrived."""
        return len(self._rows)

    @property
    def progress(self) -> float:
        """Fraction of the whole run done, 0 to 1, moving within an epoch too."""
        self.touch()
        if self.status == "done":
            return 1.0
        return min(1.0, max(0.0, (max(self.epoch - 1, 0) + self.fraction) / self.config.epochs))

    def series(self, name: str, since: int = 0) -> list:
        """Extra values a trainer reported under `name` (e.g. per-layer statistics), from index `since`."""
        with self._lock:
            return list(self._series.get(name, [])[since:])

    def latest(self, name: str, default=None):
        """The newest value a trainer offered under `name` with `JobContext.latest` (older ones are
        not kept), or `default`."""
        with self._lock:
            return self._latest.get(name, default)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def where(self) -> str | None:
        """Where it trains, for people: the device ("cpu", "cuda:0"), and on a Ray cluster the machine
        too ("cuda:0 on gpu-box (10.0.0.7)"); None before the worker has said."""
        if self.device is None:
            return None
        return f"{self.device} on {self.node}" if self.node else self.device

    def model(self) -> nn.Module | None:
        """The latest weights as a module in eval mode on the CPU, or None before the first epoch."""
        from playground.checkpoints import state_from_bytes
        from playground.models import build

        with self._lock:
            weights, version = self._weights, self._weights_version
        if weights is None:
            return None
        if self._model_cache is None or self._model_cache[0] != version:
            module = build(self.spec)
            module.load_state_dict(state_from_bytes(weights))
            module.eval()
            self._model_cache = (version, module)
        return self._model_cache[1]

    @property
    def weights(self) -> bytes | None:
        """The latest weights as safetensors bytes (no metadata), or None."""
        return self._weights

    def wait(self, timeout: float | None = None) -> str:
        """Block until the job finishes or `timeout` seconds pass; return the status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._finished.is_set():
            self.touch()
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            self._finished.wait(1.0 if left is None else min(1.0, left))
        return self.status

    def when_finished(self, callback) -> None:
        """Call `callback(job)` once the job has finished (at once if it has), from whichever thread
        finishes it: the pool's listener, or one that stops or shuts it down. Keep it short."""
        with self._lock:
            if self._when_finished is not None:
                self._when_finished.append(callback)
                return
        callback(self)

    # -- controlling -----------------------------------------------------------------------------

    def pause(self) -> None:
        """Pause after the current step; the weights so far are published."""
        self._request("running", "paused", "pause")

    def resume(self) -> None:
        """Carry on after a pause."""
        self._request("paused", "running", "resume")

    def _request(self, current: str, wanted: str, command: str) -> None:
        with self._lock:
            if self.status != current:
                return
            self.status = wanted
            self._control += 1
            message = (command, self.id, self._control)
        self._pool.send(self, message)

    def step(self, n: int = 1, unit: str = "step") -> None:
        """While paused, run `n` more steps (batches) or epochs (`unit="epoch"`), then pause again."""
        if unit not in ("step", "epoch"):
            raise ValueError("unit must be 'step' or 'epoch'")
        if self.status == "paused":
            self._pool.send(self, ("step", self.id, int(n), unit))

    def stop(self) -> None:
        """Stop the job; what it learned so far stays available through `model()`."""
        self._pool.stop(self)

    # -- updates from the pool -------------------------------------------------------------------

    def _apply(self, update: dict) -> None:
        with self._lock:
            self._rows.extend(update.get("rows", ()))
            for name, values in update.get("series", {}).items():
                self._series.setdefault(name, []).extend(values)
            self._latest.update(update.get("latest", {}))
            if update.get("weights") is not None:
                self._weights = update["weights"]
                self._weights_version += 1
            if (update.get("status") in ("running", "paused") and not self.finished
                    and update.get("control", 0) >= self._control):
                self.status = update["status"]
        if "progress" in update:
            self.epoch, self.fraction = update["progress"]
        if "device" in update:
            self.device = update["device"]

    def _finish(self, status: str, error: str | None = None) -> None:
        if self._finished.is_set():
            return
        self.error = error or self.error
        self.status = status
        self.queue_position = None
        self.payload = None
        with self._lock:
            callbacks, self._when_finished = self._when_finished or [], None
        for callback in callbacks:  # before the event, so `wait()` returns once they have run
            try:
                callback(self)
            except Exception:  # noqa: BLE001 - a failing callback must not break the pool's thread
                logging.getLogger(__name__).exception("a when_finished callback of %r failed", self)
        self._finished.set()


# ----------------------------------------------------------------------------------------------
# Starting a job.


def _check_fit(spec: dict, dataset, trainer: str) -> None:
    from playground.models import output_shape

    if list(spec["input_shape"]) != list(dataset.input_shape):
        raise SpecError(f"The network expects inputs of shape {list(spec['input_shape'])} but {dataset.name} "
                        f"has inputs of shape {list(dataset.input_shape)}", key="input_shape")
    if trainer not in ("classifier", "regressor"):
        return
    out = output_shape(spec)
    expected = [dataset.num_outputs]
    if out != expected:
        what = f"{expected[0]} classes" if dataset.task == "classification" else "one value to predict"
        raise SpecError(f"The network outputs {out} but {dataset.name} has {what}: make the last layer "
                        f"a linear layer with out_features {expected[0]}", key="layers")


def _check_weights(spec: dict, weights: bytes) -> None:
    from playground.checkpoints import state_from_bytes
    from playground.models import build

    try:
        build(spec).load_state_dict(state_from_bytes(weights))
    except Exception as e:  # safetensors' own error for damaged bytes, or a shape mismatch
        raise SpecError(f"The starting weights do not fit this network: {e}", key="layers") from None


def dataset_payload(dataset) -> dict:
    """How a worker gets the dataset: a reference it can re-make, or the tensors themselves.

    A reference only when remaking it gives exactly these tensors: a registered dataset whose
    tensors were changed (e.g. `dataclasses.replace(digits, x_train=noisy)`) travels as itself.
    """
    from playground.data import DATASETS

    if dataset.name in DATASETS and checksum(dataset) == _registry_checksum(_ref_key(dataset.ref())):
        return {"ref": dataset.ref()}
    return {"dataset": dataset}


_DATA_FIELDS = ("x_train", "y_train", "x_test", "y_test", "masks_train", "masks_test")
_checksums: dict[tuple, tuple[list, str]] = {}  # (tensor id, version)s -> (weak references, digest)


def checksum(dataset) -> str:
    """A digest (hex) of the dataset's tensors: their dtypes, shapes and every byte.

    Remembered per set of tensor objects and their in-place change counts (`_version`), so a
    dataset a server passes on every start is read once, and one changed in place is read again.
    """
    import weakref

    tensors = [getattr(dataset, name) for name in _DATA_FIELDS]
    key = tuple((id(t), t._version) if t is not None else None for t in tensors)
    known = _checksums.get(key)
    if known is not None and all((r() if r is not None else None) is t for r, t in zip(known[0], tensors)):
        return known[1]
    digest = hashlib.blake2b(digest_size=16)
    for t in tensors:
        if t is None:
            digest.update(b"none")
            continue
        array = t.detach().cpu().contiguous().numpy()
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.reshape(-1).view("uint8") if array.size else b"")
    if len(_checksums) >= 32:
        _checksums.clear()
    _checksums[key] = ([weakref.ref(t) if t is not None else None for t in tensors], digest.hexdigest())
    return digest.hexdigest()


def _ref_key(ref: dict) -> str:
    import json

    return json.dumps(ref, sort_keys=True)


@functools.lru_cache(maxsize=16)
def _registry_checksum(ref_key: str) -> str:
    """The checksum of the dataset that `load` makes for a reference (made once per process)."""
    import json

    from playground.data import load

    ref = json.loads(ref_key)
    return checksum(load(ref["name"], seed=ref["seed"], **ref["params"]))


def start(spec: dict, dataset, config: Config | None = None, *, trainer: str | None = None,
          session: str | None = None, name: str | None = None, init_weights: bytes | None = None,
          options: dict | None = None, pool=None) -> TrainingJob:
    """Validate everything, queue the job in the worker pool and return it at once.

    `init_weights` (safetensors bytes of a state dict for this spec) continues from trained weights.
    `options` (small, picklable) are the trainer's own settings, read by it as `ctx.options`.

    Raises SpecError (bad spec, too many parameters, or a spec that does not fit the data),
    ConfigError, or JobLimitError (the session already runs its share of jobs).
    """
    from playground.jobs.pool import get_pool
    from playground.models import build, validate

    config = (config or Config()).validate()
    spec = validate(spec)
    trainer = trainer or ("classifier" if dataset.task == "classification" else "regressor")
    _trainer_for(trainer)
    _check_fit(spec, dataset, trainer)
    build(spec)  # enforces the parameter cap with a clear message
    if init_weights is not None:
        _check_weights(spec, init_weights)
    payload = {"trainer": trainer, "trainer_module": trainer_module(trainer), "spec": spec,
               "config": config.to_dict(), "init_weights": init_weights, "options": dict(options or {}),
               **dataset_payload(dataset)}
    job = TrainingJob(spec=spec, dataset_name=dataset.name, config=config, trainer=trainer, payload=payload,
                      session=session, name=name)
    (pool or get_pool()).submit(job)
    return job
