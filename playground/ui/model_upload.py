"""A spec (.json) or a trained model (.safetensors) uploaded on Build & Train, read into layers and a run."""

from __future__ import annotations

import dataclasses
import json

from playground import models
from playground.checkpoints import CheckpointError
from playground.jobs.runs import RunRecord
from playground.links import LinkError, loads_bounded
from playground.ui import session


@dataclasses.dataclass
class Upload:
    """What an uploaded file gave: its layers, the run it made (checkpoints only), the dataset to
    switch to (None: keep the current one) and a message when something did not fit."""

    layers: list[dict] | None = None
    record: RunRecord | None = None
    dataset: str | None = None
    error: str | None = None


def read_model_file(name: str, raw: bytes, input_shape: list[int], dataset_name: str) -> Upload:
    """Read an uploaded spec or checkpoint. A checkpoint's run joins the session's runs only when it
    can be shown: its own dataset is at hand (the page switches to it), or the current one has the
    inputs it expects; otherwise the message says why and nothing is added."""
    try:
        if name.endswith(".json"):
            uploaded, record = models.validate(loads_bounded(raw, what="This file")), None
        else:
            record = RunRecord.from_checkpoint(raw, name=name.rsplit(".", 1)[0] or None)
            uploaded = record.spec
    except (LinkError, models.SpecError, CheckpointError) as e:
        return Upload(error=str(e))
    result = Upload(layers=uploaded["layers"])
    trained_on = record.dataset.get("name") if record else None
    if trained_on and session.has_dataset(trained_on):
        result.dataset = trained_on
    elif list(uploaded["input_shape"]) != list(input_shape):
        result.error = (f"This network expects inputs of shape {uploaded['input_shape']}, but {dataset_name} has "
                        f"{list(input_shape)}: choose a dataset with that shape.")
        if record is not None:
            where = f"on {trained_on}, which this session does not have" if trained_on else "on unknown data"
            result.error += (f" The trained model was not added to this session's runs: it was trained {where}. "
                             "Load it again once its data is here (the Your data page adds your own).")
            return result
    if record is not None:
        result.record = session.add_run(record)
    return result


def save_and_load(key: str, spec: dict | None, current: RunRecord | None, dataset, apply) -> None:
    """Downloads of the spec and of the current run's trained model, and an upload of either;
    `apply(upload)` takes an `Upload` read without error in part (layers, run, dataset to switch to)."""
    import streamlit as st

    left, right = st.columns(2)
    if spec is not None:
        left.download_button("Download the spec (JSON)", json.dumps(spec, indent=2), file_name="network.json",
                             mime="application/json", on_click="ignore", icon=":material/download:")
    if current is not None and current.weights is not None and not current.active:
        left.download_button("Download the trained model (.safetensors)", current.to_checkpoint(),
                             file_name=f"{current.name.replace(' ', '_')}.safetensors",
                             mime="application/octet-stream", on_click="ignore", icon=":material/download:")

    def on_upload() -> None:
        if (upload := st.session_state.get(f"{key}.upload")) is None:
            return
        read = read_model_file(upload.name, upload.getvalue(), list(dataset.input_shape), dataset.name)
        if read.error:
            st.session_state[f"{key}.upload_error"] = read.error
        apply(read)

    right.file_uploader("Load a spec (.json) or a trained model (.safetensors)", type=["json", "safetensors"],
                        key=f"{key}.upload", on_change=on_upload)
    if f"{key}.upload_error" in st.session_state:
        right.error(st.session_state.pop(f"{key}.upload_error"))
