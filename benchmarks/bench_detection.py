"""Benchmark of the detector's training: a "detector" job in the worker pool against a bare PyTorch loop.

Run from the repository root:  .venv/bin/python benchmarks/bench_detection.py [--device cpu|cuda|auto]

The detector page's default setting (`DetectorOptions()`: 2,000 generated 64×64 scenes, a 4×4 grid, two
boxes a cell, Adam with a cosine-decayed rate, batches of 32, half of each batch mirrored) trained by the
page's trainer in a one-worker pool and by a plain loop over the same network, data, batches, loss and
optimizer on one torch thread, as the workers run. Runs alternate, so load from other programs falls on
both alike; each run's fastest epoch counts (the job's from its rows: training only, not the test-scene
evaluation after each epoch). Prints images/s, the ratio, PASS at >= 0.9, and `RESULT: PASS` or
`RESULT: FAIL` last. `--device auto` (the default) takes CUDA when there is one. The exit code is 0 either
way: this reports figures, it is not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_training import SPEED_COLUMNS, SPEED_NOTE, alternate, speed_row, with_one_worker  # noqa: E402
from benchmarks.report import table  # noqa: E402
from playground.jobs.pool import WorkerPool  # noqa: E402
from playground.jobs.train import start  # noqa: E402
from playground.models import build  # noqa: E402
from playground.vision import detection  # noqa: E402

EPOCHS = 2  # a run; its fastest epoch counts
ROUNDS = 3
TARGET = 0.9  # job images/s over bare-loop images/s


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bare_loop_images_per_s(dataset, options: detection.DetectorOptions, device: torch.device,
                           seed: int = 0) -> list[float]:
    """Images/s of each epoch of a plain loop: the spec's network, the same batches (random order, half
    mirrored), the five loss terms summed, Adam with the cosine schedule; one thread."""
    torch.manual_seed(seed)
    model = build(detection.detector_spec(options, num_classes=len(dataset.classes))).to(device)
    x, y = dataset.x_train.to(device), dataset.y_train.to(device)
    y_flipped = detection.flip_targets(y, options.B)
    optimizer = torch.optim.Adam(model.parameters(), lr=options.lr)
    total = EPOCHS * math.ceil(len(x) / options.batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 0.5 * (1 + math.cos(math.pi * min(k, total)
                                                                                             / total)))
    random = torch.Generator().manual_seed(seed)
    speeds = []
    for _ in range(EPOCHS):
        _sync(device)
        began = time.perf_counter()
        model.train()
        order = torch.randperm(len(x), generator=random)
        for start_at in range(0, len(x), options.batch_size):
            index = order[start_at: start_at + options.batch_size]
            mirror = (torch.rand(len(index), generator=random) < 0.5).to(device)
            xb = torch.where(mirror[:, None, None, None], x[index].flip(-1), x[index])
            yb = torch.where(mirror[:, None, None, None], y_flipped[index], y[index])
            terms = detection.loss_terms(model(xb), yb, B=options.B)
            loss = sum(terms.values())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss.item()
        _sync(device)
        speeds.append(len(x) / (time.perf_counter() - began))
    return speeds


def job_images_per_s(pool: WorkerPool, dataset, options: detection.DetectorOptions, device: str) -> list[float]:
    """Images/s of each epoch of a "detector" job, as its rows report them."""
    job = start(**detection.job_arguments(options, dataset=dataset, device=device), pool=pool, name="bench detector")
    status = job.wait(600)
    if status != "done":
        raise RuntimeError(f"benchmark job ended {status}: {job.error}")
    return [float(v) for v in job.history["samples_per_s"].iloc[1:]]


def bench(pool: WorkerPool, device: torch.device) -> None:
    options = dataclasses.replace(detection.DetectorOptions(), epochs=EPOCHS)
    began = time.perf_counter()
    dataset = detection.scene_data(options)
    print(f"{len(dataset.x_train):,} + {len(dataset.x_test)} scenes drawn in {time.perf_counter() - began:.1f} s")
    torch.set_num_threads(1)
    bare_loop_images_per_s(dataset, dataclasses.replace(options), device)  # warm-up
    bare, job = alternate(lambda: bare_loop_images_per_s(dataset, options, device),
                          lambda: job_images_per_s(pool, dataset, options, device.type), ROUNDS)
    table(f"Detector training speed ({len(dataset.x_train):,} scenes 64×64, {options.S}×{options.S} grid, B = "
          f"{options.B}, width {options.width}, adam, batch {options.batch_size}, {EPOCHS} epochs a run, {ROUNDS} "
          f"rounds, device {device.type}, 1 torch thread; images/s); target ratio >= {TARGET}", SPEED_COLUMNS,
          [speed_row("page default", bare, job, target=TARGET, name="detector job speed")])
    print(SPEED_NOTE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    wanted = parser.parse_args().device
    device = torch.device("cuda" if wanted == "cuda" or (wanted == "auto" and torch.cuda.is_available()) else "cpu")
    with_one_worker(lambda pool: bench(pool, device))


if __name__ == "__main__":
    main()
