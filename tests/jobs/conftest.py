"""The job contract runs against both executors: `executor` is the local pool (`pool`, conftest.py at the
top) or a Ray pool on a two-node Ray cluster started once on this machine (`ray_cluster`)."""

from __future__ import annotations

import dataclasses

import pytest

from playground import data
from playground.settings import get_settings

HEAD = "playground_head"  # a resource only the head node has: the contract pools' actors stay there
SECOND = "playground_second"  # a resource only the second node has


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture(scope="module")
def xor():
    return data.load("xor")


@pytest.fixture(scope="session")
def ray_cluster():
    """Two Ray nodes on this machine, without dashboards: a head with 3 CPUs (the contract pool's two
    workers and the strict pool's one) and a second node with one CPU; this process is their driver.
    Yields the `ray.cluster_utils.Cluster` and the second node."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, connect=True,
                      head_node_args={"num_cpus": 3, "include_dashboard": False, "resources": {HEAD: 100}})
    second = cluster.add_node(num_cpus=1, include_dashboard=False, resources={SECOND: 1})
    cluster.wait_for_nodes()
    yield cluster, second
    ray.shutdown()
    cluster.shutdown()


def ray_pool_of(**settings):
    """A warm Ray pool of `settings` over the defaults on the head node (`ray_cluster` must be up)."""
    from playground.jobs.cluster import RayPool

    workers = settings.pop("workers", 2)
    pool = RayPool(dataclasses.replace(get_settings(), **settings), workers=workers, resources={HEAD: 1})
    assert pool.wait_ready(90), "the Ray workers did not start"
    return pool


@pytest.fixture(scope="session")
def ray_pool(ray_cluster):
    """Two Ray actors as workers, warmed once (the counterpart of `pool`)."""
    pool = ray_pool_of()
    yield pool
    pool.shutdown()


@pytest.fixture(scope="session")
def ray_strict_pool(ray_cluster):
    """One Ray actor that admits one job at a time and one active job per session."""
    pool = ray_pool_of(workers=1, max_running_jobs=1, max_jobs_per_session=1)
    yield pool
    pool.shutdown()


@pytest.fixture(params=["local", "ray"])
def executor(request):
    """The shared two-worker pool of either executor: each test using it runs once on each."""
    return request.getfixturevalue("pool" if request.param == "local" else "ray_pool")
