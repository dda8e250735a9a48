"""Benchmark of the Sequences section's training: RNN, LSTM and GRU on the adding problem, a job in the
worker pool against a bare PyTorch loop.

Run from the repository root:  .venv/bin/python benchmarks/bench_sequences.py

For each network, the page's setting (RNN vs LSTM vs GRU: length 50, 32 units, Adam, batches of 16,
3,200 training sequences) trained by the page's trainer (a "variants" job of that one network, the LSTM
watched as on the page) and by a plain loop over the same model, data, batches and optimizer on one
torch thread, as the workers run. Prints sequences/s per epoch, the ratio, PASS at >= 0.9 for each, and
`RESULT: PASS` or `RESULT: FAIL` last. The exit code is 0 either way: this reports figures, it is not a test.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_training import (  # noqa: E402
    SPEED_COLUMNS,
    SPEED_NOTE,
    alternate,
    bare_loop_samples_per_s,
    speed_row,
    with_one_worker,
)
from benchmarks.report import table  # noqa: E402
from playground import data  # noqa: E402
from playground.jobs.pool import WorkerPool  # noqa: E402
from playground.jobs.train import start  # noqa: E402
from playground.sequences import memory  # noqa: E402

LENGTH = memory.PROMISED_LENGTH
EPOCHS = 2  # a run; its fastest epoch counts
ROUNDS = 3  # bare and job runs alternate, so load from other programs falls on both alike
TARGET = 0.9  # job sequences/s over bare-loop sequences/s


def bare_loop_sequences_per_s(dataset, spec: dict, config) -> list[float]:
    """Sequences/s of each epoch of a plain loop: the same network, batches and optimizer, one thread."""
    return bare_loop_samples_per_s(dataset, spec, config, task="regression")


def job_sequences_per_s(pool: WorkerPool, dataset, variant, config) -> list[float]:
    """Sequences/s of each epoch of a "variants" job of one network, as the job's rows report them."""
    job = start(variant.spec, dataset, config, trainer="variants", pool=pool, name=f"bench {variant.name}",
                options={"variants": [variant.to_dict()], "watch": [memory.WATCHED]})
    status = job.wait(300)
    if status != "done":
        raise RuntimeError(f"benchmark job ended {status}: {job.error}")
    return [row["samples_per_s"] for row in job.series("rows") if row["epoch"] >= 1]


def bench(pool: WorkerPool) -> None:
    dataset = data.load("adding", seed=0, **memory.dataset_params(LENGTH))
    config = dataclasses.replace(memory.config(0), epochs=EPOCHS)
    rows = []
    for kind, name in memory.KINDS.items():
        variant = memory.variants(LENGTH, (kind,))[0]
        bare_loop_sequences_per_s(dataset, variant.spec, dataclasses.replace(config, epochs=1))  # warm-up
        bare, job = alternate(lambda v=variant: bare_loop_sequences_per_s(dataset, v.spec, config),
                              lambda v=variant: job_sequences_per_s(pool, dataset, v, config), ROUNDS)
        rows.append(speed_row(name, bare, job, target=TARGET, name=f"{name} job speed"))
    table(f"Training speed on the adding problem (length {LENGTH}, {len(dataset.x_train):,} training sequences), "
          f"{memory.HIDDEN} units, adam, batch {config.batch_size}, {EPOCHS} epochs a run, {ROUNDS} rounds, "
          f"1 torch thread; sequences/s; target ratio >= {TARGET}", SPEED_COLUMNS, rows)
    print(SPEED_NOTE)


def main() -> None:
    with_one_worker(bench)


if __name__ == "__main__":
    main()
