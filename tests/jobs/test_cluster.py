"""Tests for playground.jobs.cluster, the Ray executor, beyond the job contract it shares with the local
pool (tests/jobs/test_train.py and test_pool.py run that against both): an actor that dies fails its job
with a message and the queue moves on; a job placed by its resources on the second node of a two-node
cluster trains there and streams its live feed; which jobs ask for a GPU; and without the setting,
Ray is never imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from playground.jobs import live
from playground.jobs.train import Config, start
from playground.models import preset
from tests.jobs.conftest import SECOND
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_a_killed_actor_fails_its_job_with_a_message_and_the_next_job_runs(ray_strict_pool, digits, xor):
    import ray

    pool = ray_strict_pool
    replaced = pool.replaced
    doomed = start(preset("lenet5", digits), digits, Config(batch_size=4, epochs=200), pool=pool)
    waiting = start(preset("mlp", xor), xor, Config(epochs=5, seed=3), pool=pool)
    assert wait_for(lambda: doomed.rows >= 1, 30), doomed.status
    assert (waiting.status, waiting.queue_position) == ("queued", 1)
    actor = next(w for w in pool.workers if doomed.id in w.jobs)

    ray.kill(actor.actor, no_restart=True)
    killed_at = time.monotonic()
    assert wait_for(lambda: doomed.finished, 10)
    assert time.monotonic() - killed_at < 10
    assert doomed.status == "failed"
    # Ray says why where it knows ("killed"); a kill racing a call may come back as a plain "died".
    assert doomed.error.startswith(f"The machine training this run stopped unexpectedly (its worker on the "
                                   f"machine ({actor.node}) ")
    assert doomed.error.endswith("Start the run again: it goes to a machine that is still up.")
    # The job fails first, then a new actor takes the dead one's place (starting it takes a moment).
    assert wait_for(lambda: pool.replaced == replaced + 1, 30), pool.replaced
    assert actor not in pool.workers

    # The queued job runs on the actor that took the dead one's place, to the end.
    assert waiting.wait(90) == "done", waiting.error
    assert waiting.rows == 6
    assert pool.running == 0


def test_a_job_asking_for_the_second_nodes_resource_trains_there_and_streams_its_feed(ray_cluster, xor):
    from playground.jobs.cluster import RayPool

    _cluster, second = ray_cluster
    pool = RayPool(workers=1, resources={SECOND: 1})
    try:
        assert pool.wait_ready(90), "the second node's worker did not start"
        assert [w.node_id for w in pool.workers] == [second.node_id]
        job = start(preset("mlp", xor), xor, Config(epochs=300, lr=0.03, seed=0), pool=pool)
        token = live.FEEDS.open(live.training_producer(job), job=job)
        epochs = []
        while not job.finished and len(epochs) < 400:
            view = live.FEEDS.read(token)
            epochs.append(view["epoch"])
            time.sleep(0.02)
        assert job.wait(60) == "done", job.error
        time.sleep(live.SHARE_S)  # past the answer reads share
        view = live.FEEDS.read(token)
        live.FEEDS.close(token)
    finally:
        pool.shutdown()
    # The feed showed the run moving while it trained, then its end, with where it ran.
    moving = sorted({e for e in epochs if 0 < e < 300})
    assert len(moving) >= 3, epochs[-20:]
    assert view["status"] == "done" and view["epoch"] == 300
    assert view["device"] == f"cpu on {job.node}" and job.node == pool.workers[0].node
    assert job.node.endswith(")") and "(" in job.node  # "host (ip)"
    assert len(view["charts"]["loss"]["series"][0]["x"]) == 301
    assert job.history["val_acc"].iloc[-1] >= 0.9


def test_a_cuda_job_on_a_cluster_without_gpus_fails_with_the_local_pools_message(ray_pool, xor):
    job = start(preset("mlp", xor), xor, Config(epochs=2, device="cuda"), pool=ray_pool)
    assert job.wait(30) == "failed"
    assert job.error == "This run asks for a GPU (cuda) but this server has none; choose device 'auto'."


def test_jobs_ask_for_a_gpu_when_they_name_cuda_or_are_large_and_the_cluster_has_one(digits):
    from playground.jobs.cluster import GPU_PARAMS, RayPool
    from playground.models import count_params

    small = preset("mlp", digits)
    large = {"input_shape": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 4096},
                                                  {"type": "linear", "out_features": 10}]}
    assert count_params(small) < GPU_PARAMS <= count_params(large)

    def kind(gpus: int, spec: dict, device: str) -> str:
        job = SimpleNamespace(spec=spec, config=Config(device=device))
        return RayPool.kind_of(SimpleNamespace(_gpus=gpus), job)

    assert kind(1, small, "cuda") == kind(1, small, "cuda:0") == "gpu"
    assert kind(1, large, "auto") == "gpu"
    assert kind(1, small, "auto") == kind(1, large, "cpu") == "cpu"
    assert {kind(0, spec, device) for spec in (small, large) for device in ("auto", "cuda", "cpu")} == {"cpu"}


def test_without_the_setting_the_local_pool_runs_and_ray_is_never_imported():
    script = """
import sys
from playground import data
from playground.jobs.pool import WorkerPool, get_pool, shutdown_pool
from playground.jobs.train import Config, start
from playground.models import preset
pool = get_pool()
xor = data.load("xor")
job = start(preset("mlp", xor), xor, Config(epochs=2))
print(type(pool).__name__, job.wait(60), "ray" in sys.modules)
shutdown_pool()
"""
    env = {k: v for k, v in os.environ.items() if k != "PLAYGROUND_RAY_ADDRESS"}
    env.update(PLAYGROUND_WORKERS="1", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["WorkerPool", "done", "False"]


def test_an_address_nothing_answers_on_fails_at_once_not_after_minutes():
    """`ray.init` waits minutes for a cluster that is not there; the pool checks the port first."""
    import socket

    from playground.jobs.cluster import _check_reachable

    with socket.socket() as s:  # a port that was free a moment ago, now closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    began = time.monotonic()
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(ConnectionRefusedError):
            _check_reachable(address)
    assert time.monotonic() - began < 2
    _check_reachable("auto")  # Ray finds a cluster of this machine itself (and says so fast when there is none)
