"""The classroom job mix on both executors: the local worker pool and a Ray cluster on this machine.

Run from the repository root:  .venv/bin/python benchmarks/bench_cluster.py

A class of 30 presses Train within three seconds (one job every 0.1 s): half train an MLP on digits
(Build & Train's default network, 20 epochs), half an MLP on the spiral (200 epochs), every job small
enough for one CPU. The same jobs run first on the local pool (two worker processes), then on a Ray
cluster of two CPUs started here with `ray start --head --block` (two actors as workers, the app's
listener in this process). Printed for each:

- throughput: jobs finished per minute, from the first start to the last job done;
- start-up latency: from `start` to the job's first history row (its untrained epoch 0), p50, p95, max;
- memory (RSS): the workers, and for Ray its own processes (GCS, raylet, agents) and what importing
  and connecting to Ray adds to the server's process.

PASS/FAIL: Ray's throughput >= 0.8 × the local pool's, and Ray's start-up p95 <= 1 s.
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_server import _full_mb  # noqa: E402
from benchmarks.report import finish, load, table, verdict  # noqa: E402
from playground import data  # noqa: E402
from playground.jobs.pool import WorkerPool  # noqa: E402
from playground.jobs.train import Config, start  # noqa: E402
from playground.models import preset  # noqa: E402
from playground.settings import get_settings  # noqa: E402

JOBS = 30
ARRIVAL_S = 0.1  # between two students pressing Train
THROUGHPUT_RATIO_TARGET = 0.8
STARTUP_P95_TARGET_S = 1.0
WORKERS = 2
MIX = [("digits", Config(epochs=20, seed=0)), ("spiral", Config(epochs=200, batch_size=10, lr=0.03, seed=0))]


def _class(pool) -> dict:
    """Start the class's jobs on `pool`, one every ARRIVAL_S; wait for all; their timings."""
    datasets = {name: data.load(name) for name, _ in MIX}
    jobs, started, first_row = [], [], {}
    done = threading.Event()

    def watch() -> None:  # notes each job's first row within a few milliseconds
        while not done.is_set():
            for job in list(jobs):
                if job.id not in first_row and job.rows >= 1:
                    first_row[job.id] = time.perf_counter()
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    began = time.perf_counter()
    for k in range(JOBS):
        name, config = MIX[k % len(MIX)]
        due = began + k * ARRIVAL_S
        time.sleep(max(0.0, due - time.perf_counter()))
        started.append(time.perf_counter())
        jobs.append(start(preset("mlp", datasets[name]), datasets[name], config, pool=pool))
    statuses = [job.wait(600) for job in jobs]
    ended = time.perf_counter()
    done.set()
    watcher.join()
    failed = [f"{job.name}: {job.status} {job.error}" for job, s in zip(jobs, statuses, strict=True) if s != "done"]
    latency = np.array([first_row.get(job.id, np.inf) - t for job, t in zip(jobs, started, strict=True)])
    return {"seconds": ended - began, "per_minute": 60 * JOBS / (ended - began), "latency": latency,
            "failed": failed, "where": sorted({str(job.where) for job in jobs})}


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return [process]


def _rss_mb(processes) -> float:
    return sum(_full_mb(p)[0] for p in processes)


def _cpu_s(processes) -> float:
    """User and system CPU seconds of `processes` so far (those that have gone count 0)."""
    total = 0.0
    for p in processes:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_local() -> tuple[dict, float]:
    pool = WorkerPool(dataclasses.replace(get_settings(), workers=WORKERS))
    try:
        assert pool.wait_ready(120), "the local workers did not start"
        workers = [psutil.Process(pid) for pid in pool.pids()]
        before = {"workers": _cpu_s(workers), "server's process": _cpu_s([psutil.Process()])}
        result = _class(pool)
        result["cpu"] = {"workers": _cpu_s(workers) - before["workers"],
                         "server's process": _cpu_s([psutil.Process()]) - before["server's process"]}
        memory = _rss_mb(workers)
    finally:
        pool.shutdown()
    return result, memory


def run_ray() -> tuple[dict, dict]:
    port, log = _free_port(), Path(tempfile.mkdtemp(prefix="bench_cluster_")) / "ray.log"
    head = subprocess.Popen(
        [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", f"--port={port}",
         f"--num-cpus={WORKERS}", "--include-dashboard=false", "--disable-usage-stats"],
        stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    ours = psutil.Process()
    before = _full_mb(ours)[0]
    try:
        import ray

        from playground.jobs.cluster import RayPool

        deadline = time.monotonic() + 60
        while True:  # the head takes a few seconds to listen
            try:
                ray.init(address=f"127.0.0.1:{port}", log_to_driver=False)
                break
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        pool = RayPool(dataclasses.replace(get_settings(), workers=WORKERS))
        try:
            assert pool.wait_ready(120), "the Ray workers did not start"
            actors = {pid for pid in pool.pids() if pid is not None}
            cluster = [p for p in _tree(psutil.Process(head.pid)) if p.pid not in actors]
            groups = {"workers": [psutil.Process(pid) for pid in actors], "Ray's own processes": cluster,
                      "server's process": [ours]}
            cpu_before = {name: _cpu_s(group) for name, group in groups.items()}
            result = _class(pool)
            result["cpu"] = {name: _cpu_s(group) - cpu_before[name] for name, group in groups.items()}
            memory = {"workers (actors)": _rss_mb(psutil.Process(pid) for pid in actors),
                      "Ray's own processes": _rss_mb(cluster),
                      "Ray in the server's process": _full_mb(ours)[0] - before}
        finally:
            pool.shutdown()
            ray.shutdown()
    finally:
        head.terminate()
        try:
            head.wait(30)
        except subprocess.TimeoutExpired:
            head.kill()
    print(f"Ray's log: {log}")
    return result, memory


def main() -> None:
    began = time.perf_counter()
    print(f"{JOBS} jobs, one every {ARRIVAL_S} s, {WORKERS} workers; {psutil.cpu_count()} cores; load average {load()}")
    local, local_memory = run_local()
    ray_result, ray_memory = run_ray()
    rows = []
    for name, r in (("local pool", local), ("Ray cluster", ray_result)):
        p50, p95, top = (np.percentile(r["latency"], q) for q in (50, 95, 100))
        rows.append([name, f"{r['seconds']:.1f} s", f"{r['per_minute']:.1f}", f"{p50:.2f} s", f"{p95:.2f} s",
                     f"{top:.2f} s", len(r["failed"]), ", ".join(r["where"])])
        for line in r["failed"]:
            print(f"  {name}: {line}")
        slowest = np.argsort(r["latency"])[::-1][:5]
        print(f"{name}: slowest start-ups (job number: seconds): "
              + ", ".join(f"{k + 1} ({MIX[k % len(MIX)][0]}): {r['latency'][k]:.2f}" for k in slowest))
    table("The classroom mix", ["executor", "all done in", "jobs/min", "start-up p50", "start-up p95",
                                "start-up max", "failed", "where the jobs ran"], rows)
    table("CPU seconds during the class", ["executor", *ray_result["cpu"]],
          [["local pool", *[local["cpu"].get(k, 0.0) for k in ray_result["cpu"]]],
           ["Ray cluster", *ray_result["cpu"].values()]], float_format=".1f")
    extra = sum(ray_memory.values()) - local_memory
    table("Memory (RSS, MB)", ["what", "MB"], [["local pool: its worker processes", local_memory],
                                                *[[f"Ray: {k}", v] for k, v in ray_memory.items()],
                                                ["what Ray adds over the local pool", extra]], float_format=".0f")
    ratio = ray_result["per_minute"] / local["per_minute"]
    p95 = float(np.percentile(ray_result["latency"], 95))
    table("Summary", ["measure", "value", "target", "verdict"], [
        ["every job done on both", f"{JOBS * 2 - len(local['failed']) - len(ray_result['failed'])} of {JOBS * 2}",
         f"{JOBS * 2} of {JOBS * 2}", verdict("every job done", not local["failed"] and not ray_result["failed"])],
        ["Ray's throughput / the local pool's", f"{ratio:.2f}", f">= {THROUGHPUT_RATIO_TARGET}",
         verdict("Ray throughput", ratio >= THROUGHPUT_RATIO_TARGET)],
        ["Ray's start-up latency p95", f"{p95:.2f} s", f"<= {STARTUP_P95_TARGET_S} s",
         verdict("Ray start-up p95", p95 <= STARTUP_P95_TARGET_S)],
        ["memory Ray adds", f"{extra:.0f} MB", "", "(no target)"],
    ])
    finish(began)


if __name__ == "__main__":
    main()
