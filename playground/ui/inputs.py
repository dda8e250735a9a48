"""Choosing what to inspect: an image model of the session (or an example) and one input image."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st
import torch

from playground import data
from playground.figures import format_shape
from playground.images import ImageError, image_from_bytes, image_from_pixels
from playground.runs import RunRecord
from playground.ui import session

_MEMO = "_memo"
_MEMO_SIZE = 64


def is_image_classifier(record: RunRecord) -> bool:
    name = record.dataset.get("name")
    return (len(record.spec["input_shape"]) == 3 and session.has_dataset(name)
            and session.dataset_info(name).task == "classification")


def image_model(key: str, *, label: str = "Model", prefer: str | None = None) -> tuple[RunRecord, Any]:
    """Pick an image classifier (the session's runs and the examples) and load its dataset.

    Stops the page with a message when there is none, or when its data cannot be loaded.
    """
    record = session.model_picker(label, key=key, accept=is_image_classifier,
                                  help="Models trained on Build & Train in this session, and the examples.",
                                  prefer=prefer)
    if record is None:
        st.stop()
    ref = record.dataset
    try:
        dataset = session.dataset(ref["name"], seed=ref.get("seed", 0), params=ref.get("params", {}))
    except data.DatasetError as e:
        st.error(str(e))
        st.stop()
    return record, dataset


def input_image(dataset, *, key: str, index_key: str) -> tuple[torch.Tensor, int | None, str]:
    """One input (1, C, H, W): a test image by number, or an uploaded picture resized to fit.

    Returns the input, its true label (None for uploads) and a caption. `index_key` is the
    session-state key of the test-image number (a URL-backed field of the page).
    """
    source = st.radio("Input", ["Test image", "Draw", "Upload a picture"], horizontal=True, key=f"{key}.source")
    if source == "Test image":
        count = len(dataset.x_test)
        if st.session_state.get(index_key, 0) >= count:
            st.session_state[index_key] = 0
        index = st.number_input(f"Test image (0–{count - 1})", min_value=0, max_value=count - 1, step=1,
                                key=index_key)
        label = int(dataset.y_test[index])
        return dataset.x_test[index:index + 1], label, f"test image {index}: a {dataset.classes[label]}"
    if source == "Draw":
        return _drawn_image(dataset, key)
    upload = st.file_uploader("Picture (PNG or JPEG)", type=["png", "jpg", "jpeg", "bmp", "gif"],
                              key=f"{key}.upload")
    invert = st.checkbox("Invert colours (for dark drawings on a light background)", key=f"{key}.invert")
    if upload is None:
        st.info(f"Upload a picture; it is resized to {format_shape(dataset.input_shape)}.")
        st.stop()
    try:
        x, note = image_from_bytes(upload.getvalue(), tuple(dataset.input_shape), invert=invert)
    except ImageError as e:
        st.error(str(e))
        st.stop()
    return x[None], None, f"{upload.name}. {note}"


def _drawn_image(dataset, key: str) -> tuple[torch.Tensor, None, str]:
    """A drawing in white on black, as the digits and shapes are, resized to the model's input."""
    from streamlit_drawable_canvas import st_canvas

    stroke = st.slider("Pen width", 4, 40, 18, key=f"{key}.pen")
    drawing = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000", height=224,
                        width=224, drawing_mode="freedraw", key=f"{key}.canvas", return_image_data=True)
    if drawing.image_data is None or not drawing.image_data[..., :3].any():
        st.info("Draw in the black square.")
        st.stop()
    x = image_from_pixels(drawing.image_data, tuple(dataset.input_shape))
    return x[None], None, f"your drawing, resized to {format_shape(dataset.input_shape)}"


def memo(key: Hashable, compute: Callable[[], Any]) -> Any:
    """`compute()` once per `key` in this session (a few dozen results are kept)."""
    store = st.session_state.setdefault(_MEMO, {})
    if key not in store:
        if len(store) >= _MEMO_SIZE:
            store.pop(next(iter(store)))
        store[key] = compute()
    return store[key]


def model_key(record: RunRecord) -> tuple:
    """Identifies a model's current weights, for `memo` keys."""
    return (record.name, id(record.weights))
