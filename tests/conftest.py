"""Shared fixtures: one warm worker pool for every test that trains."""

from __future__ import annotations

import dataclasses
import os
import tempfile

import pytest

# The tests' runs (and the servers the browser tests start, which inherit this) go to a store of
# their own, never the user's.
os.environ.setdefault("PLAYGROUND_RUN_STORE_DIR", tempfile.mkdtemp(prefix="playground-test-store-"))

from playground.jobs.pool import WorkerPool
from playground.settings import get_settings


@pytest.fixture(scope="session")
def pool():
    """A two-worker pool, warmed once and shut down after the last test."""
    workers = WorkerPool(dataclasses.replace(get_settings(), workers=2))
    assert workers.wait_ready(60), "the pool's workers did not start"
    yield workers
    workers.shutdown()


@pytest.fixture(scope="module")
def one_thread():
    """Run a module's tensor work on one thread, as the workers do.

    These tensors are tiny, and with the pool's workers busy on the same cores a second intra-op
    thread mostly waits: steps measured 0.7 ms on one thread took up to 200 ms on two.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)



# The files that take longest (about a minute or more each on this 2-core machine), longest first. The two
# test processes take whole files in collection order, so starting with these keeps both busy to the end
# instead of one finishing a long file alone while the other waits.
LONGEST_FILES = (
    "tests/e2e/test_share_browser.py",
    "tests/e2e/test_sequences_browser.py",
    "tests/sequences/test_memory.py",
    "tests/vision/test_detection.py",
    "tests/vision/test_segmentation.py",
    "tests/jobs/test_cluster.py",
    "tests/e2e/test_training_lab_browser.py",
    "tests/pages/test_pages_long_memory.py",
    "tests/e2e/test_training_lab2_browser.py",
    "tests/e2e/test_build_train_browser.py",
    "tests/e2e/test_basics_browser.py",
    "tests/e2e/test_ray_browser.py",
    "tests/e2e/test_vision_browser.py",
    "tests/e2e/test_cnn_browser.py",
    "tests/pages/test_pages_training_lab2.py",
    "tests/test_export.py",
    "tests/pages/test_pages_language_model.py",
)


def pytest_collection_modifyitems(items):
    first = {name: rank for rank, name in enumerate(LONGEST_FILES)}

    def rank(item) -> int:
        return first.get(item.nodeid.split("::")[0], len(first))

    items.sort(key=rank)  # stable: the rest keep their order
