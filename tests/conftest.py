"""Shared fixtures: one warm worker pool for every test that trains."""

from __future__ import annotations

import dataclasses

import pytest

from playground.pool import WorkerPool
from playground.settings import get_settings


@pytest.fixture(scope="session")
def pool():
    """A two-worker pool, warmed once and shut down after the last test."""
    workers = WorkerPool(dataclasses.replace(get_settings(), workers=2))
    assert workers.wait_ready(60), "the pool's workers did not start"
    yield workers
    workers.shutdown()
