"""This session's own datasets: uploads kept in `st.session_state`, offered beside the built-in sets.

An upload lives only in the memory of the browser session that made it (never on disk, never in a
server-wide cache), under its file name. `session.dataset`, `session.dataset_names` and
`session.dataset_info` look here first, so a dataset picker lists uploads and a page loads one
like any other dataset; a training job gets the tensors themselves (`train.dataset_payload`).
"""

from __future__ import annotations

import streamlit as st

from playground.data import DATASETS, Dataset, DatasetError, DatasetInfo
from playground.ui.charts import chart
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


# ---- The Your data page's reading of one file --------------------------------------------------

_PREVIEW_ROWS = 50
_PREVIEW_PER_CLASS = 3
TASKS = ("classification", "regression")


def read_once(raw: bytes, name: str, read):
    """`read(raw, filename=name)`, once per file content; an UploadError is kept as its message."""
    import hashlib

    from playground.uploads import UploadError

    key = ("_yd.parsed", hashlib.sha256(raw).hexdigest(), name)
    if st.session_state.get("_yd.parsed_key") != key:
        try:
            value = read(raw, filename=name)
        except UploadError as e:
            value = str(e)
        st.session_state["_yd.parsed_key"], st.session_state["_yd.parsed"] = key, value
    return st.session_state["_yd.parsed"]


def show_pictures(arrays: UploadedArrays) -> None:
    """A few pictures of each class of an uploaded image set, as the network sees them."""
    from playground.figures import format_shape, image_grid_figure

    picks = [i for c in range(len(arrays.classes)) for i in (arrays.y == c).nonzero()[0][:_PREVIEW_PER_CLASS]]
    chart(image_grid_figure(arrays.x[picks], [arrays.classes[arrays.y[i]] for i in picks],
                            columns=min(len(picks), 6)), key="yd.fig.images")
    st.caption(f"A few pictures of each class, as the network sees them: {format_shape(arrays.x.shape[1:])}.")


def table_form(frame, name: str) -> UploadedArrays | None:
    """The preview of an uploaded table and its choices (the column to predict, the task, the columns
    to learn from); returns the arrays they make, or None after showing why there are none."""
    from playground import uploads as lib

    st.dataframe(frame.head(_PREVIEW_ROWS), hide_index=True, height=240)
    st.caption(f"{len(frame):,} rows and {frame.shape[1]} columns" +
               (f"; the first {_PREVIEW_ROWS} are shown." if len(frame) > _PREVIEW_ROWS else "."))
    columns = list(frame.columns)
    if st.session_state.get("yd.label") not in columns:
        st.session_state["yd.label"] = columns[-1]

    def on_label() -> None:
        st.session_state["yd.task"] = lib.suggest_task(frame, st.session_state["yd.label"])

    if st.session_state.get("yd.task") not in TASKS:
        on_label()
    c1, c2 = st.columns([2, 3])
    label = c1.selectbox("Column to predict", columns, key="yd.label", on_change=on_label)
    c2.radio("Task", TASKS, key="yd.task", horizontal=True,
             help="Classification: the column names a class (a word, or a few whole numbers). "
                  "Regression: it is a number to predict.")
    numeric = set(lib.numeric_columns(frame))  # a set: tables may have up to `upload_max_columns` columns
    candidates = [c for c in columns if c != label]
    features = st.multiselect("Learn from these columns", candidates, default=[c for c in candidates if c in numeric],
                              key=f"yd.features.{label}", help="Only columns of numbers can be fed to a network.")
    if text_columns := [c for c in candidates if c not in numeric]:
        st.caption("Left out because they hold text: " + ", ".join(f"`{c}`" for c in text_columns))
    try:
        return lib.table_arrays(frame, label=label, features=features, task=st.session_state["yd.task"],
                                filename=name)
    except lib.UploadError as e:
        st.error(str(e))
        return None


def uploads_table() -> None:
    """This session's uploads as a table, with a Remove control."""
    from playground.figures import format_shape

    mine = uploaded()
    st.dataframe([{"dataset": n, "kind": "pictures" if a.kind == "image" else "table", "task": a.task,
                   "examples": len(a.x), "input": format_shape(a.x.shape[1:]),
                   "classes": ", ".join(a.classes[:8]) + (" …" if len(a.classes) > 8 else "")}
                  for n, a in mine.items()], hide_index=True, width="stretch")
    r1, r2, _ = st.columns([2, 1, 2])
    r1.selectbox("Remove", list(mine), key="yd.remove_name", label_visibility="collapsed")
    r2.button("Remove", key="yd.remove", on_click=lambda: remove(st.session_state["yd.remove_name"]))
