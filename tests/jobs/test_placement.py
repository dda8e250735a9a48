"""Where a run's data lives (`playground.jobs.placement`), and that the trainers move it once when it fits.

No GPU is needed: the GPU's free memory is faked, and the trainers run in this process on the CPU with
`placement.to_device` replaced by a spy that records what it is given; `is_on` and `fits_on_device` are
faked to make the CPU's tensors count as elsewhere, so both paths (moved once, moved per batch) run.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch

from playground import data
from playground.jobs import placement
from playground.jobs.supervised import classifier
from playground.jobs.train import Config
from playground.jobs.worker import JobContext
from playground.latent_space import autoencoders as ae
from playground.models import preset
from playground.training_lab.regularization import Variant, variants_trainer

pytestmark = pytest.mark.usefixtures("one_thread")

CONFIG = Config(optimizer="adam", lr=0.01, batch_size=32, epochs=2, seed=3)


@pytest.fixture(scope="module")
def xor():
    return data.load("xor", n=300)  # 150 training points: 5 batches of 32 (the last one 22)


class FakeGpu:
    """Stands in for `torch.cuda.mem_get_info`: `free` bytes free (of 16 GiB); `asked` the devices asked about."""

    def __init__(self):
        self.free = 0
        self.asked: list[str] = []

    def mem_get_info(self, device=None):
        self.asked.append(str(device))
        return self.free, 16 * 2**30


@pytest.fixture
def gpu(monkeypatch):
    fake = FakeGpu()
    monkeypatch.setattr(torch.cuda, "mem_get_info", fake.mem_get_info)
    return fake


def test_data_fits_on_a_gpu_when_it_takes_at_most_half_its_free_memory(gpu):
    gpu.free = 1000
    assert placement.fits_on_device(500, "cuda")
    assert not placement.fits_on_device(501, "cuda")
    assert placement.fits_on_device(900, torch.device("cuda:0"), share=0.9)
    assert not placement.fits_on_device(901, torch.device("cuda:0"), share=0.9)
    assert gpu.asked == ["cuda", "cuda", "cuda:0", "cuda:0"]


def test_the_cpu_always_has_room_and_is_never_asked(gpu):
    assert placement.fits_on_device(10**15, "cpu")
    assert gpu.asked == []


def _same(tensors, expected) -> bool:
    return len(tensors) == len(expected) and all(a is b for a, b in zip(tensors, expected, strict=True))


def test_place_leaves_data_that_does_not_fit_where_it_is(gpu, monkeypatch):
    moved = []
    monkeypatch.setattr(placement, "to_device", lambda t, device: moved.append(t) or t)
    x, y = torch.zeros(100, 10), torch.zeros(100, dtype=torch.long)  # 4,000 + 800 bytes
    gpu.free = 2 * 4800 - 1
    tensors, resident = placement.place((x, y), "cuda")
    assert not resident and _same(tensors, [x, y]) and moved == []
    gpu.free = 2 * 4800
    tensors, resident = placement.place((x, y), "cuda")
    assert resident and _same(moved, [x, y])


def test_place_counts_only_what_is_not_on_the_device_yet(gpu, monkeypatch):
    moved = []
    monkeypatch.setattr(placement, "to_device", lambda t, device: moved.append(t) or t)
    there, here = torch.zeros(1000), torch.zeros(10)  # 4,000 and 40 bytes
    monkeypatch.setattr(placement, "is_on", lambda t, device: t is there)
    gpu.free = 80  # room for `here` (40 bytes is half of it), not for `there` as well
    tensors, resident = placement.place((there, here), "cuda")
    assert resident and _same(tensors, [there, here]) and _same(moved, [here])
    tensors, resident = placement.place((there,), "cuda")
    assert resident and _same(tensors, [there]) and len(moved) == 1 and len(gpu.asked) == 1
    gpu.free = 79
    tensors, resident = placement.place((there, here), "cuda")
    assert not resident and len(moved) == 1


def test_a_dataset_already_in_place_is_returned_as_itself(xor):
    assert placement.place_dataset(xor, "cpu") is xor
    assert placement.is_on(xor.x_train, "cpu") and not placement.is_on(xor.x_train, "cuda")


def test_model_device_is_where_the_weights_are():
    assert placement.model_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert placement.model_device(torch.nn.ReLU()) == torch.device("cpu")


# ----------------------------------------------------------------------------------------------
# The trainers


def _spy(monkeypatch, *, fits: bool) -> list[tuple[int, ...]]:
    """Make the data fit on the device (or not) and record the shape of each tensor `to_device` moves.

    The CPU stands in for the device: a tensor counts as on it only once `to_device` has copied it there."""
    moves, copies = [], []

    def to_device(tensor, device):
        moves.append(tuple(tensor.shape))
        copies.append(tensor.clone())
        return copies[-1]

    monkeypatch.setattr(placement, "is_on", lambda t, device: any(t is c for c in copies))
    monkeypatch.setattr(placement, "fits_on_device", lambda nbytes, device, **kw: fits)
    monkeypatch.setattr(placement, "to_device", to_device)
    return moves


def _run_classifier(dataset) -> pd.DataFrame:
    ctx = JobContext(1, preset("mlp", dataset), dataset, CONFIG, torch.device("cpu"))
    for _ in classifier(ctx):
        pass
    return pd.DataFrame(ctx.take_update()["rows"]).drop(columns=["samples_per_s", "seconds"])


@pytest.fixture(scope="module")
def plain_history(xor):
    return _run_classifier(xor)


def test_a_dataset_that_fits_moves_once_per_run(xor, plain_history, monkeypatch):
    moves = _spy(monkeypatch, fits=True)
    history = _run_classifier(xor)
    assert moves == [(150, 2), (150,), (150, 2), (150,)]  # x_train, y_train, x_test, y_test; no batch
    pd.testing.assert_frame_equal(history, plain_history)


def test_a_dataset_that_does_not_fit_moves_batch_by_batch_and_trains_the_same(xor, plain_history, monkeypatch):
    moves = _spy(monkeypatch, fits=False)
    history = _run_classifier(xor)
    batch = [(32, 2), (32,)] * 4 + [(22, 2), (22,)]
    assert moves == batch * CONFIG.epochs
    pd.testing.assert_frame_equal(history, plain_history)
    assert history["train_acc"].iloc[-1] > history["train_acc"].iloc[0]


def test_variants_share_one_copy_of_the_data(xor, monkeypatch):
    moves = _spy(monkeypatch, fits=True)
    spec = preset("mlp", xor)
    variants = [Variant("plain", spec).to_dict(), Variant("l2", spec, l2=0.01).to_dict()]
    ctx = JobContext(1, spec, xor, CONFIG, torch.device("cpu"), options={"variants": variants})
    for _ in variants_trainer(ctx):
        pass
    assert moves == [(150, 2), (150,), (150, 2), (150,)]  # once for the job, not once per variant
    assert len(ctx.take_update()["series"]["rows"]) == 2 * (CONFIG.epochs + 1)


@pytest.fixture(scope="module")
def few_digits():
    digits = data.load("digits")
    return dataclasses.replace(digits, x_train=digits.x_train[:100], y_train=digits.y_train[:100],
                               x_test=digits.x_test[:40], y_test=digits.y_test[:40])


def _fit_autoencoder(dataset) -> pd.DataFrame:
    encoder, decoder = ae.network_specs(dataset.input_shape, latent=2, width=16)
    _, history = ae.fit(dataset, ae.Objective(), encoder, decoder,
                        Config(optimizer="adam", lr=0.003, batch_size=40, epochs=2, loss="mse", seed=0))
    return history.drop(columns=["samples_per_s", "seconds"])


@pytest.mark.parametrize("fits", [True, False])
def test_the_autoencoder_moves_its_images_once_when_they_fit(few_digits, monkeypatch, fits):
    expected = _fit_autoencoder(few_digits)
    moves = _spy(monkeypatch, fits=fits)
    history = _fit_autoencoder(few_digits)
    per_batch = [(40, 1, 8, 8), (40, 1, 8, 8), (20, 1, 8, 8)] * 2
    assert moves == ([(100, 1, 8, 8), (40, 1, 8, 8)] if fits else per_batch)
    pd.testing.assert_frame_equal(history, expected)
