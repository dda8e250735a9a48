"""Benchmarks of training jobs: speed against a bare PyTorch loop, start-up latency, and memory.

Run from the repository root:  .venv/bin/python benchmarks/bench_training.py

Prints a table per benchmark, PASS or FAIL for each target, and `RESULT: PASS` or `RESULT: FAIL` last.
The exit code is 0 either way: this reports figures, it is not a test.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import finish, load, table, verdict  # noqa: E402
from playground import data  # noqa: E402
from playground.jobs.pool import WorkerPool  # noqa: E402
from playground.jobs.supervised import _batches, loss_function, make_optimizer  # noqa: E402
from playground.jobs.train import Config, start  # noqa: E402
from playground.models import build, preset  # noqa: E402
from playground.settings import get_settings  # noqa: E402

# Speed: LeNet-5 on 28 × 28 generated shapes, 4,800 training images, about half a second an epoch.
SPEED_DATA = {"name": "shapes", "n": 6000}
SPEED_CONFIG = Config(optimizer="adam", lr=0.001, batch_size=32, epochs=3, seed=0)
SPEED_ROUNDS = 5
SPEED_TARGET = 0.9  # job samples/s over bare-loop samples/s
LATENCY_STARTS = 10
LATENCY_TARGET_S = 0.5  # start() to the first history row, warm pool





# ----------------------------------------------------------------------------------------------
# 1. Speed


def bare_loop_samples_per_s(dataset, spec: dict, config: Config, *, device: str = "cpu",
                            task: str = "classification") -> list[float]:
    """Samples/s of each epoch of a plain loop: the same network, batches and optimizer, one thread;
    on `device`, with the data moved there once."""
    torch.set_num_threads(1)
    torch.manual_seed(config.seed)
    model = build(spec).to(device)
    optimizer = make_optimizer(model, config)
    loss_fn = loss_function(task, config.loss)
    shuffler = torch.Generator().manual_seed(config.seed)
    x, y = dataset.x_train.to(device), dataset.y_train.to(device)
    model.train()
    speeds = []
    for _ in range(config.epochs):
        began = time.perf_counter()
        for idx in _batches(len(x), config.batch_size, shuffler):
            loss = loss_fn(model(x[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if x.is_cuda:
            torch.cuda.synchronize()  # the GPU works on after the loop has queued its last step
        speeds.append(len(x) / (time.perf_counter() - began))
    return speeds


def job_samples_per_s(pool: WorkerPool, dataset, spec: dict, config: Config) -> dict:
    """One job's figures: samples/s of each epoch (from its history), samples/s by wall time
    (set-up and evaluation included), the share of one core its worker used while it ran, and the
    device it trained on."""
    began = time.perf_counter()
    job = start(spec, dataset, config, pool=pool)
    while job.rows < 1 and not job.finished:  # set-up and the untrained evaluation come first
        time.sleep(0.002)
    worker = psutil.Process(next(w.pid for w in pool.workers if job.id in w.jobs))
    cpu_before, wall_before = sum(worker.cpu_times()[:2]), time.perf_counter()
    status = job.wait(120)
    cpu = (sum(worker.cpu_times()[:2]) - cpu_before) / (time.perf_counter() - wall_before)
    wall = time.perf_counter() - began
    if status != "done":
        raise RuntimeError(f"benchmark job ended {status}: {job.error}")
    return {"epochs": job.history["samples_per_s"].iloc[1:].tolist(),
            "wall": len(dataset.x_train) * config.epochs / wall, "cpu": cpu, "device": job.device}


# A lab's trainer against a bare loop, in alternating rounds (bench_sequences, bench_detection,
# bench_segmentation): one row of SPEED_COLUMNS per setting.
SPEED_COLUMNS = ["setting", "bare best /s", "job best /s", "bare median each round", "job median each round",
                 "ratio", "verdict"]
SPEED_NOTE = ("  best: the fastest epoch over all rounds, each timed whole (a job's as its rows report it, the work\n"
              "  between its steps included, pauses not); the ratio compares these.")


def alternate(bare: Callable[[], list[float]], job: Callable[[], list[float]], rounds: int
              ) -> tuple[list[list[float]], list[list[float]]]:
    """Each epoch's speed of `rounds` bare runs and job runs, one of each in turn, so that load from other
    programs falls on both alike."""
    bares, jobs = [], []
    for _ in range(rounds):
        bares.append(bare())
        jobs.append(job())
    return bares, jobs


def speed_row(setting: str, bare: list[list[float]], job: list[list[float]], *, target: float, name: str) -> list:
    """A SPEED_COLUMNS row: the fastest epochs, each round's median, their ratio and its verdict."""
    best_bare, best_job = max(map(max, bare)), max(map(max, job))
    ratio = best_job / best_bare
    return [setting, round(best_bare), round(best_job), " ".join(f"{statistics.median(r):.0f}" for r in bare),
            " ".join(f"{statistics.median(r):.0f}" for r in job), f"{ratio:.3f}", verdict(name, ratio >= target)]


def with_one_worker(bench: Callable[[WorkerPool], None]) -> None:
    """Start a pool of one worker, say how long that took, run `bench(pool)`, and print the closing lines."""
    settings = dataclasses.replace(get_settings(), workers=1)
    began = time.perf_counter()
    pool = WorkerPool(settings)
    pool.wait_ready(120)
    print(f"pool of {settings.workers} worker ready in {time.perf_counter() - began:.1f} s "
          f"(torch threads per worker: {settings.torch_threads}, slice {settings.slice_s} s; "
          f"{psutil.cpu_count()} cores; load average {load()})")
    try:
        bench(pool)
    finally:
        pool.shutdown()
    finish(began)


def _busy(stop: threading.Event, counter: list[int]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
    counter.append(n)


def _job_beside_busy_thread(pool: WorkerPool, dataset, spec: dict, config: Config) -> dict:
    stop, counter = threading.Event(), []
    thread = threading.Thread(target=_busy, args=(stop, counter), daemon=True)
    thread.start()
    try:
        return job_samples_per_s(pool, dataset, spec, config)
    finally:
        stop.set()
        thread.join()


def bench_speed(pool: WorkerPool) -> None:
    dataset = data.load(SPEED_DATA["name"], n=SPEED_DATA["n"])
    spec = preset("lenet5", dataset)
    bare_loop_samples_per_s(dataset, spec, dataclasses.replace(SPEED_CONFIG, epochs=1))  # warm-up
    # Rounds alternate the three runs so that load from other programs falls on all of them alike;
    # each run's fastest epoch counts, as `timeit` takes the best of its repeats.
    bare, alone, busy = [], [], []
    for _ in range(SPEED_ROUNDS):
        bare.append(bare_loop_samples_per_s(dataset, spec, SPEED_CONFIG))
        alone.append(job_samples_per_s(pool, dataset, spec, SPEED_CONFIG))
        busy.append(_job_beside_busy_thread(pool, dataset, spec, SPEED_CONFIG))
    best_bare = max(max(epochs) for epochs in bare)
    rounds = " ".join(f"{statistics.median(epochs):.0f}" for epochs in bare)
    rows = [["bare PyTorch loop (caller)", round(best_bare), rounds, "", "1.000", ""]]
    for label, runs in (("job, caller idle", alone), ("job, caller busy in Python", busy)):
        best = max(max(r["epochs"]) for r in runs)
        ratio = best / best_bare
        rounds = " ".join(f"{statistics.median(r['epochs']):.0f}@{r['cpu']:.2f}" for r in runs)
        rows.append([label, round(best), rounds,
                     round(max(r["wall"] for r in runs)), f"{ratio:.3f}",
                     verdict(label, ratio >= SPEED_TARGET)])
    table(f"1. Training speed: lenet5 on {SPEED_DATA['name']} ({len(dataset.x_train)} images "
           f"{'x'.join(map(str, dataset.input_shape))}), adam, batch {SPEED_CONFIG.batch_size}, "
           f"{SPEED_CONFIG.epochs} epochs a run, {SPEED_ROUNDS} rounds, 1 torch thread; "
           f"target ratio >= {SPEED_TARGET}",
           ["run", "best epoch samples/s", "median epoch samples/s each round (@ worker CPU)",
            "wall samples/s", "ratio to bare", "verdict"],
           rows)
    print("  best epoch: the fastest epoch over all rounds (a job's from its history); the ratio compares\n"
          "  these. @: cores the job's worker used while it ran (1.00 = a whole core). wall samples/s: the\n"
          "  best whole run by the caller's clock, set-up and evaluation included.")


# ----------------------------------------------------------------------------------------------
# 2. Start-up latency


def _time_until(condition, timeout: float = 30) -> float:
    began = time.perf_counter()
    while not condition():
        if time.perf_counter() - began > timeout:
            return float("inf")
        time.sleep(0.001)
    return time.perf_counter() - began


def bench_latency(pool: WorkerPool) -> None:
    xor = data.load("xor")
    spec = preset("mlp", xor)
    first_row, first_epoch = [], []
    for seed in range(LATENCY_STARTS):
        began = time.perf_counter()
        job = start(spec, xor, Config(epochs=5, seed=seed), pool=pool)
        _time_until(lambda job=job: job.rows >= 1)
        first_row.append(time.perf_counter() - began)
        _time_until(lambda job=job: job.rows >= 2)
        first_epoch.append(time.perf_counter() - began)
        job.wait(30)
    median_row = statistics.median(first_row)
    rows = [
        ["start() to epoch-0 row", statistics.median(first_row), max(first_row),
         verdict("first row latency", median_row <= LATENCY_TARGET_S)],
        ["start() to first trained epoch row", statistics.median(first_epoch), max(first_epoch),
         "(no target)"],
    ]
    table(f"2. Start-up latency, warm pool: mlp on xor, {LATENCY_STARTS} starts; "
           f"target median <= {LATENCY_TARGET_S} s", ["measure", "median s", "max s", "verdict"], rows)


# ----------------------------------------------------------------------------------------------
# 3. Memory


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def bench_memory(pool: WorkerPool, at_start: dict[int, float]) -> None:
    digits = data.load("digits")
    job = start(preset("lenet5", digits), digits, Config(epochs=5), pool=pool)
    job.wait(60)
    job.model()  # the caller builds the module too, as a page showing the result would
    pids = [(f"worker {i} (pid {pid})", pid) for i, pid in enumerate(pool.pids())]
    pids.append((f"calling process (pid {os.getpid()})", os.getpid()))
    rows = [[name, at_start.get(pid, float("nan")), _rss_mb(pid)] for name, pid in pids]
    rows.append(["total", sum(r[1] for r in rows), sum(r[2] for r in rows)])
    table(f"3. Resident memory (RSS, MB) once the pool was ready, and after the runs above and a "
           f"digits run ({job.status}); no target, figures only",
           ["process", "pool ready", "after runs"], [[name, f"{a:.0f}", f"{b:.0f}"] for name, a, b in rows])



def main() -> None:
    settings = dataclasses.replace(get_settings(), workers=2)
    began = time.perf_counter()
    pool = WorkerPool(settings)
    pool.wait_ready(120)
    at_start = {pid: _rss_mb(pid) for pid in [*pool.pids(), os.getpid()]}
    print(f"pool of {settings.workers} workers ready in {time.perf_counter() - began:.1f} s "
          f"(torch threads per worker: {settings.torch_threads}, slice {settings.slice_s} s; "
          f"{psutil.cpu_count()} cores; load average {load()})")
    try:
        bench_speed(pool)
        bench_latency(pool)
        bench_memory(pool, at_start)
    finally:
        pool.shutdown()
    finish(began)


if __name__ == "__main__":
    main()
