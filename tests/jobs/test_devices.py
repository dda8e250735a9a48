"""Which device a run trains on: "auto" takes CUDA where the worker has it, "cuda" without one fails with
a message, running out of its memory says what to do, and a run that never uses torch says it is on the CPU.

CUDA's presence is faked in this process (`torch.cuda.is_available`); no GPU is needed.
"""

from __future__ import annotations

import pytest
import torch

from playground import data
from playground.basics import playground2d as p2
from playground.jobs.train import Config, TrainingError, start
from playground.jobs.worker import JobContext, _describe_failure, _pick_device
from playground.models import preset

NO_GPU_MESSAGE = "This run asks for a GPU (cuda) but this server has none; choose device 'auto'."


@pytest.mark.parametrize(("available", "expected"), [(True, "cuda"), (False, "cpu")])
def test_auto_takes_cuda_exactly_when_the_worker_has_it(monkeypatch, available, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    assert _pick_device("auto") == torch.device(expected)
    assert _pick_device("cpu") == torch.device("cpu")


def test_asking_for_cuda_where_there_is_none_names_the_way_out(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for name in ("cuda", "cuda:0"):
        with pytest.raises(TrainingError) as caught:
            _pick_device(name)
        assert str(caught.value) == NO_GPU_MESSAGE
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert _pick_device("cuda:0") == torch.device("cuda", 0)


def test_a_gpu_number_the_machine_does_not_have_says_how_many_it_has(monkeypatch):
    """`cuda:3` on a one-GPU machine failed with the generic "Training failed unexpectedly"."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(TrainingError) as caught:
        _pick_device("cuda:3")
    assert str(caught.value) == ("This run asks for GPU 3 (cuda:3), but this machine has one GPU, cuda:0; choose "
                                 "'cuda' or 'auto'.")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(TrainingError, match=r"has 2 GPUs, cuda:0 to cuda:1;"):
        _pick_device("cuda:2")
    assert _pick_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(TrainingError, match="'cuda:x' is not a device"):
        _pick_device("cuda:x")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU, so a cuda run trains")
def test_a_run_asking_for_cuda_on_a_server_without_one_fails_with_that_message(pool):
    xor = data.load("xor", n=100)
    job = start(preset("mlp", xor), xor, Config(epochs=2, device="cuda"), pool=pool)
    assert job.wait(30) == "failed"
    assert job.error == NO_GPU_MESSAGE
    assert job.rows == 0


def test_running_out_of_gpu_memory_says_what_to_change():
    message = _describe_failure(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert message == "The device ran out of memory; use a smaller batch size or a smaller network."


def test_the_2d_playground_says_it_trains_on_the_cpu_even_where_auto_found_a_gpu():
    # Its TinyNet is NumPy: a page showing "cuda" for it would be wrong.
    dataset = p2.training_dataset(p2.make_points("spiral", n=100), ["x1", "x2"])
    ctx = JobContext(1, p2.network_spec(2, [4], ["tanh"]), dataset, Config(epochs=2), torch.device("cuda"))
    run = p2.playground2d(ctx)
    next(run)
    run.close()
    assert ctx.device == torch.device("cpu")
    assert ctx.take_update()["rows"][0]["epoch"] == 0
