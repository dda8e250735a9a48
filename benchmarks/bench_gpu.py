"""Benchmark of training on a GPU: samples/s on the CPU and on CUDA, and a job against a bare loop on CUDA.

Run from the repository root:  .venv/bin/python benchmarks/bench_gpu.py

Two cases: LeNet-5 on the digits (8 × 8 images), and tiny_vgg on 64 × 64 generated shapes (as many as
the shapes allow at that size), a network with far more work per image. Each trains as a job in a pool
of one worker with device "cpu" and, where CUDA is present, with device "cuda". Printed for each: the
fastest epoch's samples/s from the job's history, the ratio CUDA / CPU, and on CUDA a bare PyTorch loop
over the same network, batches and optimizer with the data on the GPU, and the job's ratio to it.
Without CUDA it prints the CPU figures, says that there is no CUDA device and exits 0.
Figures only, no targets: the exit code is 0 either way.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import psutil
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_training import bare_loop_samples_per_s, job_samples_per_s  # noqa: E402
from benchmarks.report import finish, load, table  # noqa: E402
from playground import data  # noqa: E402
from playground.jobs import placement  # noqa: E402
from playground.jobs.pool import WorkerPool  # noqa: E402
from playground.jobs.train import Config  # noqa: E402
from playground.models import preset  # noqa: E402
from playground.settings import get_settings  # noqa: E402

# (label, dataset name and parameters, preset, config). The first epoch on a GPU includes cuDNN's
# choice of kernels, so each run has several and its fastest counts.
CASES = [
    ("lenet5 on digits 8×8", {"name": "digits"}, "lenet5",
     Config(optimizer="adam", lr=0.001, batch_size=32, epochs=3, seed=0)),
    ("tiny_vgg on shapes 64×64", {"name": "shapes", "n": data.MAX_SHAPES_PIXELS // 64**2, "size": 64}, "tiny_vgg",
     Config(optimizer="adam", lr=0.001, batch_size=64, epochs=3, seed=0)),
]
CPU_EPOCHS = 2  # a CPU epoch of tiny_vgg at 64 × 64 takes seconds on one thread


def no_cuda_reason() -> str | None:
    """Why there is no CUDA device to measure on (None when there is one)."""
    if torch.cuda.is_available():
        return None
    if torch.version.cuda is None:
        return f"this PyTorch ({torch.__version__}) is built without CUDA"
    return f"PyTorch {torch.__version__} is built for CUDA {torch.version.cuda}, but no GPU is visible"


def _best(run: dict) -> float:
    return max(run["epochs"])


def bench_case(pool: WorkerPool, label: str, ref: dict, preset_name: str, config: Config, *, cuda: bool) -> list:
    """One table row: the case's CPU and CUDA job figures, their ratio, and the CUDA bare loop's."""
    dataset = data.load(ref["name"], **{k: v for k, v in ref.items() if k != "name"})
    spec = preset(preset_name, dataset)
    cpu = job_samples_per_s(pool, dataset, spec, dataclasses.replace(config, device="cpu", epochs=CPU_EPOCHS))
    row = [f"{label} ({len(dataset.x_train):,} images, batch {config.batch_size})", round(_best(cpu))]
    if not cuda:
        return row + ["–"] * 5
    gpu = job_samples_per_s(pool, dataset, spec, dataclasses.replace(config, device="cuda"))
    bare_loop_samples_per_s(dataset, spec, dataclasses.replace(config, epochs=1), device="cuda")  # warm-up
    bare = bare_loop_samples_per_s(dataset, spec, config, device="cuda")
    nbytes = sum(t.numel() * t.element_size() for t in (dataset.x_train, dataset.y_train, dataset.x_test,
                                                         dataset.y_test))
    resident = "yes" if placement.fits_on_device(nbytes, "cuda") else "no: batches move one at a time"
    return row + [f"{round(_best(gpu))} ({gpu['device']})", f"{_best(gpu) / _best(cpu):.2f}", round(max(bare)),
                  f"{_best(gpu) / max(bare):.3f}", resident]


def main() -> None:
    began = time.perf_counter()
    settings = dataclasses.replace(get_settings(), workers=1)
    reason = no_cuda_reason()
    pool = WorkerPool(settings)
    pool.wait_ready(120)
    gpu = f"GPU: {torch.cuda.get_device_name(0)}" if reason is None else "no GPU"
    print(f"pool of 1 worker ready in {time.perf_counter() - began:.1f} s (torch threads per worker: "
          f"{settings.torch_threads}); {psutil.cpu_count()} cores; {gpu}; load average {load()}")
    try:
        rows = [bench_case(pool, *case, cuda=reason is None) for case in CASES]
    finally:
        pool.shutdown()
    table("Training speed, samples/s of the fastest epoch: a job on the CPU, a job on CUDA, and a bare "
          "PyTorch loop on CUDA; no targets, figures only",
          ["case", "CPU job", "CUDA job (device)", "CUDA / CPU", "CUDA bare loop", "job / bare", "data on GPU"],
          rows)
    print(f"  CPU: {CPU_EPOCHS} epochs a run on the worker's {settings.torch_threads} torch thread(s); CUDA: "
          f"{CASES[0][3].epochs} epochs a run. Data on GPU: whether the dataset fits in "
          f"{placement.DEVICE_SHARE:.0%} of the GPU's free memory, so that a job moves it there once.")
    if reason is not None:
        print(f"\nNo CUDA device here: {reason}; nothing to measure on a GPU.")
    finish(began)


if __name__ == "__main__":
    main()
