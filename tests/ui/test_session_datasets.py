"""The server-wide cache of datasets made from names: bounded in count and in bytes, and never
holding a set past the builders' bounds (a crafted checkpoint or link asks for one in vain)."""

from __future__ import annotations

import dataclasses

import pytest

from playground import settings as settings_module
from playground.data import DatasetError
from playground.ui import session


@pytest.fixture
def cache_limits(monkeypatch):
    """Settings with the given dataset cache limits and a fresh server cache, cleared afterwards."""
    def apply(**limits):
        monkeypatch.setattr(settings_module, "_settings",
                            dataclasses.replace(settings_module.get_settings(), **limits))
        session._dataset_cache.clear()
        return session._dataset_cache()
    yield apply
    session._dataset_cache.clear()


def _made(cache) -> list[tuple]:
    return [key for key in cache._entries]


def test_the_server_keeps_at_most_its_count_of_datasets(cache_limits):
    cache = cache_limits(dataset_cache_entries=2, dataset_cache_mb=100.0)
    first = session.dataset("xor", seed=1, params={"n": 100})
    assert session.dataset("xor", seed=1, params={"n": 100}) is first
    session.dataset("xor", seed=2, params={"n": 100})
    session.dataset("xor", seed=3, params={"n": 100})
    assert len(cache) == 2 and [key[1] for key in _made(cache)] == [2, 3]


def test_the_server_keeps_at_most_its_megabytes_of_datasets(cache_limits):
    # shapes of 16 × 16: 1,000 pictures hold 1,000 × 256 × 5 + 1,000 × 8 = 1,288,000 bytes.
    cache = cache_limits(dataset_cache_entries=8, dataset_cache_mb=3.0)
    for seed in range(4):
        assert session.dataset("shapes", seed=seed, params={"n": 1_000, "size": 16}).nbytes == 1_288_000
    assert len(cache) == 2 and cache.nbytes == 2 * 1_288_000 <= 3 * 2**20
    big = session.dataset("shapes", params={"n": 4_000, "size": 16})  # 5.2 MB: used, not kept
    assert big.nbytes > 3 * 2**20 and len(cache) == 2 and cache.nbytes <= 3 * 2**20


def test_a_checkpoint_naming_150000_shapes_builds_nothing(cache_limits):
    # The metadata of a 13 KB crafted checkpoint once made the server build and keep 1 GB.
    cache = cache_limits(dataset_cache_entries=8, dataset_cache_mb=1_500.0)
    ref = {"name": "shapes", "seed": 0, "params": {"n": 150_000, "size": 64}}
    with pytest.raises(DatasetError, match="n must be between 4 and 20,000, got 150,000"):
        session.dataset(ref["name"], seed=ref["seed"], params=ref["params"])
    assert len(cache) == 0 and cache.nbytes == 0
