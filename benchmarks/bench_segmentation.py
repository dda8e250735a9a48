"""Benchmark of the segmentation network's training: a "segmenter" job in the worker pool against a bare
PyTorch loop.

Run from the repository root:  .venv/bin/python benchmarks/bench_segmentation.py

The page's default setting (`SegmentationOptions()`: width 8 with skips, 500 scenes of 48×48, batches of 8,
Adam with a cosine schedule, background pixels weighted 0.2) trained by the page's trainer in a one-worker
pool and by a plain loop over the same network, data, batches, loss and optimizer on one torch thread, as the
workers run (on CUDA when there is one, for both). Prints images/s of the fastest epoch, the ratio, PASS at
>= 0.9, and `RESULT: PASS` or `RESULT: FAIL` last. The exit code is 0 either way: this reports figures.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_training import SPEED_COLUMNS, SPEED_NOTE, alternate, speed_row, with_one_worker  # noqa: E402
from benchmarks.report import table  # noqa: E402
from playground.jobs.pool import WorkerPool  # noqa: E402
from playground.jobs.train import start  # noqa: E402
from playground.vision import segmentation as seg  # noqa: E402

EPOCHS = 3  # a run; its fastest epoch counts
ROUNDS = 3  # bare and job runs alternate, so load from other programs falls on both alike
TARGET = 0.9  # job images/s over bare-loop images/s
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def bare_loop_images_per_s(options: seg.SegmentationOptions, seed: int = 0) -> list[float]:
    """Images/s of each epoch of a plain loop: the same network, data, batches, loss and optimizer."""
    train, _ = seg.scene_data(options.n_train, options.n_test, options.size)
    device = torch.device(DEVICE)
    torch.manual_seed(seed)
    model = seg.SegmentationNet.from_options(options).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=options.lr)
    steps = options.epochs * -(-options.n_train // options.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    weight = torch.tensor([options.background_weight, 1.0, 1.0, 1.0, 1.0], device=device)
    x, y = train.images.to(device), train.masks.to(device)
    generator = torch.Generator().manual_seed(seed)
    speeds = []
    for _ in range(options.epochs):
        model.train()
        began = time.perf_counter()
        for index in torch.randperm(len(x), generator=generator).split(options.batch_size):
            index = index.to(device)
            loss = torch.nn.functional.cross_entropy(model(x[index]), y[index], weight=weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss.item()  # the trainer reads every loss (and so waits for a GPU)
        speeds.append(len(x) / (time.perf_counter() - began))
    return speeds


def job_images_per_s(pool: WorkerPool, options: seg.SegmentationOptions) -> list[float]:
    """Images/s of each epoch of a "segmenter" job, as its rows report them (each epoch's whole time)."""
    job = start(**seg.job_arguments(options, seed=0, device=DEVICE), pool=pool, name="bench segmenter")
    status = job.wait(600)
    if status != "done":
        raise RuntimeError(f"benchmark job ended {status}: {job.error}")
    return [float(v) for v in job.history["samples_per_s"].dropna()]


def bench(pool: WorkerPool) -> None:
    options = dataclasses.replace(seg.SegmentationOptions(), epochs=EPOCHS)
    torch.set_num_threads(1)
    bare_loop_images_per_s(dataclasses.replace(options, epochs=1))  # warm-up (and the scenes are made)
    bare, job = alternate(lambda: bare_loop_images_per_s(options), lambda: job_images_per_s(pool, options), ROUNDS)
    table(f"Segmenter training speed ({options.n_train} scenes of {options.size}×{options.size}, width "
          f"{options.width}, skips {'on' if options.skips else 'off'}, batch {options.batch_size}, {EPOCHS} epochs a "
          f"run, {ROUNDS} rounds, device {DEVICE}, 1 torch thread; images/s); target ratio >= {TARGET}", SPEED_COLUMNS,
          [speed_row("page default", bare, job, target=TARGET, name="segmenter job speed")])
    print(SPEED_NOTE)


def main() -> None:
    with_one_worker(bench)


if __name__ == "__main__":
    main()
