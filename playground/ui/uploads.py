"""This session's own datasets: uploads kept in `st.session_state`, offered beside the built-in sets.

An upload lives only in the memory of the browser session that made it (never on disk, never in a
server-wide cache), under its file name. `session.dataset`, `session.dataset_names` and
`session.dataset_info` look here first, so a dataset picker lists uploads and a page loads one
like any other dataset; a training job gets the tensors themselves (`train.dataset_payload`).
"""

from __future__ import annotations

import streamlit as st

from playground.data import DATASETS, Dataset, DatasetError, DatasetInfo
from playground.uploads import UploadedArrays

_UPLOADS = "uploaded_datasets"  # name -> UploadedArrays, oldest first
_SPLITS = "_uploaded_splits"  # (name, seed) -> Dataset
_KEEP_SPLITS = 4  # splits kept per session: a few seeds of a few uploads


def uploaded() -> dict[str, UploadedArrays]:
    """This session's uploads by name."""
    if _UPLOADS not in st.session_state:
        st.session_state[_UPLOADS] = {}
    return st.session_state[_UPLOADS]


def is_uploaded(name: str) -> bool:
    return name in uploaded()


def add(arrays: UploadedArrays) -> str:
    """Keep `arrays` in the session and return its dataset name.

    A new upload of the same file replaces the old one (e.g. with another label column); a file
    named like a built-in set gets " (yours)" added, so names stay unique.
    """
    name = arrays.name if arrays.name not in DATASETS else f"{arrays.name} (yours)"
    arrays.name = name
    uploaded()[name] = arrays
    _forget(name)
    return name


def remove(name: str) -> None:
    uploaded().pop(name, None)
    _forget(name)


def _forget(name: str) -> None:
    splits = st.session_state.setdefault(_SPLITS, {})
    for key in [k for k in splits if k[0] == name]:
        del splits[key]


def dataset(name: str, seed: int = 0) -> Dataset:
    """Upload `name` split with `seed`, made once per seed (read-only: do not modify)."""
    if name not in uploaded():
        raise DatasetError(f"No upload named {name!r} in this session: upload it again on the Your data page.")
    splits = st.session_state.setdefault(_SPLITS, {})
    key = (name, int(seed))
    if key not in splits:
        if len(splits) >= _KEEP_SPLITS:
            splits.pop(next(iter(splits)))
        splits[key] = uploaded()[name].to_dataset(seed=int(seed))
    return splits[key]


def info(name: str) -> DatasetInfo:
    """A registry-style description of upload `name`, so pages treat it like a built-in set."""
    arrays = uploaded()[name]
    return DatasetInfo(name=name, loader=lambda seed: dataset(name, seed), task=arrays.task, kind=arrays.kind,
                       description=arrays.description, defaults={}, offline=True)


def names(kind: str | None = None) -> list[str]:
    """Upload names, oldest first, optionally only those of one kind ("table" or "image")."""
    return [name for name, arrays in uploaded().items() if kind is None or arrays.kind == kind]
