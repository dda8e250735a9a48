"""Training on a GPU: run where CUDA is present (`python -m pytest tests/jobs/test_gpu.py`), skipped elsewhere.

A job asking for "cuda" (and one asking for "auto") trains there, says so, and learns; a run whose data
does not fit on the GPU moves it batch by batch and learns the same.
"""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from playground import data
from playground.jobs import placement
from playground.jobs.supervised import classifier
from playground.jobs.train import Config, start
from playground.jobs.worker import JobContext
from playground.models import preset

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA device here: these tests need a GPU")

CONFIG = Config(optimizer="adam", lr=0.003, batch_size=32, epochs=3, seed=0)


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.mark.parametrize("device", ["cuda", "auto"])
def test_a_job_on_the_gpu_says_so_and_learns(pool, digits, device):
    job = start(preset("lenet5", digits), digits, Config(**{**CONFIG.to_dict(), "device": device}), pool=pool)
    assert job.wait(120) == "done", job.error
    assert job.device.startswith("cuda")
    history = job.history
    assert history["val_loss"].iloc[-1] < 0.5 * history["val_loss"].iloc[0]
    assert history["val_acc"].iloc[-1] > 0.8


def _run_in_process(dataset, monkeypatch, *, fits: bool) -> pd.DataFrame:
    monkeypatch.setattr(placement, "fits_on_device", lambda nbytes, device, **kw: fits)
    ctx = JobContext(1, preset("lenet5", dataset), dataset, CONFIG, torch.device("cuda"))
    for _ in classifier(ctx):
        pass
    return pd.DataFrame(ctx.take_update()["rows"])


def test_data_too_large_for_the_gpu_moves_batch_by_batch_and_learns_the_same(digits, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    resident = _run_in_process(digits, monkeypatch, fits=True)
    batched = _run_in_process(digits, monkeypatch, fits=False)
    assert resident["val_loss"].iloc[-1] < 0.5 * resident["val_loss"].iloc[0]
    for column in ("train_loss", "val_loss", "val_acc"):
        assert batched[column].tolist() == pytest.approx(resident[column].tolist(), rel=1e-3, nan_ok=True)
