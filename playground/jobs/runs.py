"""Run records: one trained (or training) model with everything needed to inspect or repeat it.

A `RunRecord` holds the name, the dataset reference, spec, training config, history, latest weights
and status. Records come from a live `TrainingJob`, from a checkpoint file, or from the small
examples that ship with the playground (`examples()`), so a page can inspect a trained model on
first open.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from functools import lru_cache
from pathlib import Path

import pandas as pd
from torch import nn

from playground import checkpoints
from playground.jobs.train import HISTORY_COLUMNS, TrainingJob

EXAMPLES_DIR = Path(__file__).parents[1] / "examples"


@dataclasses.dataclass
class RunRecord:
    """A model of the session: where it came from, how it was trained, and its weights."""

    name: str
    dataset: dict  # {"name", "seed", "params"}: what `playground.data.load` needs to remake it
    spec: dict
    config: dict
    history: pd.DataFrame
    weights: bytes | None  # safetensors bytes of the latest state dict
    status: str  # a TrainingJob status, or "done" for loaded models
    source: str = "session"  # "session", "example" or "upload"
    error: str | None = None
    created: float = dataclasses.field(default_factory=time.time)
    page: str = ""  # the title of the page that started it ("" when unknown)
    variant: str | None = None  # for one network of a side-by-side ("variants") job: its name
    uid: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)  # its key in the run store
    job: TrainingJob | None = dataclasses.field(default=None, repr=False, compare=False)
    _model: tuple[int, nn.Module] | None = dataclasses.field(default=None, repr=False, compare=False)

    @classmethod
    def from_job(cls, job: TrainingJob, dataset_ref: dict, *, page: str = "", variant: dict | None = None,
                 name: str | None = None) -> RunRecord:
        """A record that follows `job` (or, given `variant` as a Variant dict, that variant of a
        variants job); call `refresh()` to pull its latest state."""
        record = cls(name=name or job.name, dataset=dataset_ref, spec=variant["spec"] if variant else job.spec,
                     config=job.config.to_dict(), history=_empty_history(), weights=None, status=job.status,
                     page=page, variant=variant["name"] if variant else None, job=job)
        record.refresh()
        return record

    def refresh(self) -> RunRecord:
        """Copy the job's status, history and weights into the record (no-op without a job)."""
        if self.job is None:
            return self
        self.status = self.job.status
        self.error = self.job.error
        if self.variant is None:
            if self.job.rows != len(self.history):
                self.history = self.job.history
            self.weights = self.job.weights or self.weights
            return self
        rows = [r for r in self.job.series("rows") if r.get("variant") == self.variant]
        if len(rows) != len(self.history):
            self.history = pd.DataFrame(rows, columns=HISTORY_COLUMNS).astype(float)
        last = [w["state"] for w in self.job.series("weights") if w["variant"] == self.variant and w["kind"] == "last"]
        self.weights = last[-1] if last else self.weights
        return self

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running", "paused")

    @property
    def final(self) -> dict:
        """The last history row as a dict (empty before any epoch)."""
        return {} if self.history.empty else self.history.iloc[-1].to_dict()

    def model(self) -> nn.Module | None:
        """The latest weights as a module in eval mode on the CPU, or None before any."""
        if self.job is not None and self.variant is None:
            return self.job.model()
        if self.weights is None:
            return None
        key = self.weights  # held, so that no newer snapshot can take its id while the module is kept
        if self._model is None or self._model[0] is not key:
            from playground.models import build

            module = build(self.spec)
            module.load_state_dict(checkpoints.state_from_bytes(self.weights))
            module.eval()
            self._model = (key, module)
        return self._model[1]

    def load_dataset(self):
        """The dataset this run was trained on, remade from its reference."""
        from playground.data import load

        return load(self.dataset["name"], seed=self.dataset.get("seed", 0), **self.dataset.get("params", {}))

    def to_checkpoint(self) -> bytes:
        """A safetensors checkpoint with the spec, dataset, config, history and name inside."""
        module = self.model()
        if module is None:
            raise ValueError(f"{self.name} has no weights yet")
        history = self.history.astype(object).where(self.history.notna(), None).to_dict("list")
        return checkpoints.checkpoint_bytes(module, self.spec, extra={
            "name": self.name, "dataset": self.dataset, "config": self.config, "history": history})

    @classmethod
    def from_checkpoint(cls, data: bytes, *, source: str = "upload", name: str | None = None) -> RunRecord:
        """A record from checkpoint bytes; CheckpointError if they are not a playground checkpoint."""
        module, spec = checkpoints.load_checkpoint(data)
        meta = checkpoints.read_metadata(data)
        history = pd.DataFrame(meta.get("history") or {}, columns=None)
        for column in HISTORY_COLUMNS:
            if column not in history:
                history[column] = float("nan")
        record = cls(name=name or meta.get("name") or "uploaded model", dataset=meta.get("dataset") or {},
                     spec=spec, config=meta.get("config") or {}, history=history.astype(float),
                     weights=_state_bytes(module), status="done", source=source)
        record._model = (record.weights, module)
        return record


# Trainers whose jobs train one network (or, "variants", several side by side) on a dataset's
# classes or targets with the usual history columns: each such network is a run of the session.
TRAINING_TRAINERS = ("classifier", "regressor", "adversarial", "layer_snapshots", "variants")


def records_from_job(job: TrainingJob, dataset_ref: dict, *, page: str = "") -> list[RunRecord]:
    """The run records a job makes: one per network it trains (none for a job that trains no
    network of its own, e.g. a class visualization); a variants job's are named "job: variant"."""
    if job.trainer not in TRAINING_TRAINERS:
        return []
    if job.trainer != "variants":
        return [RunRecord.from_job(job, dataset_ref, page=page)]
    return [RunRecord.from_job(job, dataset_ref, page=page, variant=v, name=f"{job.name}: {v['name']}")
            for v in job.options.get("variants", ())]


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=float) for column in HISTORY_COLUMNS})


def _state_bytes(module: nn.Module) -> bytes:
    from safetensors.torch import save

    return save({k: v.detach().contiguous().clone() for k, v in module.state_dict().items()})


@lru_cache(maxsize=1)
def _example_files() -> tuple[Path, ...]:
    return tuple(sorted(EXAMPLES_DIR.glob("*.safetensors")))


def examples() -> list[RunRecord]:
    """The trained example models that ship with the playground, one record each."""
    return [RunRecord.from_checkpoint(path.read_bytes(), source="example") for path in _example_files()]
