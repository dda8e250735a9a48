"""Choosing what to inspect: an image model of the session (or an example) and one input image."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st
import torch

from playground import data
from playground.figures import format_shape
from playground.images import ImageError, image_from_bytes, image_from_pixels
from playground.jobs.runs import RunRecord
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


SOURCES = ("Test image", "Draw", "Upload a picture")


def input_image(dataset, *, key: str, state, field: str = "image") -> tuple[torch.Tensor, int | None, str] | None:
    """One input (1, C, H, W): a test image by number, a drawing, or an uploaded picture resized to fit.

    Returns (input, its true label or None for drawings and uploads, a caption), or None, with a
    message drawn, while nothing is drawn or uploaded yet, or the upload cannot be read. It never
    stops the page: the page draws its other controls either way, so switching the input keeps them
    (Streamlit forgets the state of any widget a run does not draw). `state[field]` is the page's
    URL-backed test-image number.
    """
    source = st.radio("Input", SOURCES, horizontal=True, key=_sticky(f"{key}.source", SOURCES[0]))
    if source == SOURCES[0]:
        count = len(dataset.x_test)
        index = state.number_input(field, f"Test image (0–{count - 1})", low=0, high=count - 1)
        label = int(dataset.y_test[index])
        return dataset.x_test[index:index + 1], label, f"test image {index}: a {dataset.classes[label]}"
    if source == SOURCES[1]:
        return _drawn_image(dataset, key)
    upload = st.file_uploader("Picture (PNG or JPEG)", type=["png", "jpg", "jpeg", "bmp", "gif"],
                              key=f"{key}.upload")
    invert = st.checkbox("Invert colours (for dark drawings on a light background)",
                         key=_sticky(f"{key}.invert", False))
    if upload is None:
        st.info(f"Upload a picture; it is resized to {format_shape(dataset.input_shape)}.")
        return None
    try:
        x, note = image_from_bytes(upload.getvalue(), tuple(dataset.input_shape), invert=invert,
                                   name=f"“{upload.name}”")
    except ImageError as e:
        st.error(str(e), icon=":material/error:")
        return None
    return x[None], None, f"{upload.name}. {note}"


def _sticky(key: str, default: Any) -> str:
    """`key` for a widget the page may leave undrawn for a while: its value comes back when it returns."""
    kept = f"_kept.{key}"
    if key in st.session_state:
        st.session_state[kept] = st.session_state[key]
    else:
        st.session_state[key] = st.session_state.get(kept, default)
    return key


def _drawn_image(dataset, key: str) -> tuple[torch.Tensor, None, str] | None:
    """A drawing in white on black, as the digits and shapes are, resized to the model's input."""
    from streamlit_drawable_canvas import st_canvas

    stroke = st.slider("Pen width", 4, 40, key=_sticky(f"{key}.pen", 18))
    drawing = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000", height=224,
                        width=224, drawing_mode="freedraw", key=f"{key}.canvas", return_image_data=True)
    if drawing.image_data is None or not drawing.image_data[..., :3].any():
        st.info("Draw in the black square.")
        return None
    x = image_from_pixels(drawing.image_data, tuple(dataset.input_shape))
    return x[None], None, f"your drawing, resized to {format_shape(dataset.input_shape)}"


def model_changed(key: str, record: RunRecord) -> bool:
    """Whether `record` differs from the model this page (`key`) showed in its last run.

    Pages reset the choices that name a model's classes then, so no label of the old model stays.
    """
    seen, now = f"_model_seen.{key}", record.name
    changed = st.session_state.get(seen, now) != now
    st.session_state[seen] = now
    return changed


def memo(key: Hashable, compute: Callable[[], Any]) -> Any:
    """`compute()` once per `key` in this session (a few dozen results are kept)."""
    store = st.session_state.setdefault(_MEMO, {})
    if key not in store:
        if len(store) >= _MEMO_SIZE:
            store.pop(next(iter(store)))
        store[key] = compute()
    return store[key]


def image_key(image: torch.Tensor) -> str:
    """A short fingerprint of an input's pixels, for `memo` keys (drawings share one caption)."""
    return hashlib.sha1(image.detach().cpu().numpy().tobytes()).hexdigest()[:16]


def weights_key(weights: bytes | None) -> str | None:
    """A fingerprint of a model's weights (safetensors bytes), for `memo` keys.

    Not `id(weights)`: once an older snapshot is freed Python can give a newer one the same id, and a memo
    then returned what the older weights computed (the word arithmetic of an early epoch after training)."""
    return None if weights is None else hashlib.blake2b(weights, digest_size=12).hexdigest()


def model_key(record: RunRecord) -> tuple:
    """Identifies a model's current weights, for `memo` keys."""
    return (record.name, weights_key(record.weights))
