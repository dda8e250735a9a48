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

