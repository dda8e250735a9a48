"""A model loaded on Build & Train (`playground.ui.model_upload`) joins the session's runs only when it can
be shown, and the results section (`playground.ui.results.show_results`) never fails on a run of other data."""

from __future__ import annotations

import json

import torch
from streamlit.testing.v1 import AppTest

from playground.checkpoints import checkpoint_bytes
from playground.models import build

HISTORY = {"epoch": [1.0, 2.0], "train_loss": [0.9, 0.5], "train_acc": [0.6, 0.8], "val_loss": [0.8, 0.6],
           "val_acc": [0.7, 0.75], "samples_per_s": [1000.0, 1000.0], "seconds": [0.1, 0.2]}


def _checkpoint(input_shape: list[int], outputs: int, dataset: str, history=HISTORY) -> bytes:
    torch.manual_seed(0)
    spec = {"input_shape": input_shape, "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 8},
                                                   {"type": "relu"}, {"type": "linear", "out_features": outputs}]}
    return checkpoint_bytes(build(spec), spec, extra={"name": "net", "dataset": {"name": dataset, "seed": 0},
                                                      "config": {}, "history": history})


def _upload_app(file_name: str, raw: bytes) -> None:
    import streamlit as st

    from playground.ui import session
    from playground.ui.model_upload import read_model_file

    digits = session.dataset("digits")
    read = read_model_file(file_name, raw, list(digits.input_shape), "digits")
    st.session_state["read"] = read
    st.session_state["runs"] = sorted(session.runs())


def _results_app(raw: bytes) -> None:
    from playground.jobs.runs import RunRecord
    from playground.ui import session
    from playground.ui.results import show_results

    show_results(RunRecord.from_checkpoint(raw, name="wine model"), session.dataset("digits"))


def test_a_checkpoint_of_data_this_session_lacks_says_so_and_adds_no_run():
    # a network trained on an uploaded wine.csv (13 features, 3 classes), loaded in a session on digits
    at = AppTest.from_function(_upload_app, args=("wine_model.safetensors", _checkpoint([13], 3, "wine.csv")),
                               default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    read = at.session_state["read"]
    assert read.record is None and read.dataset is None
    assert "expects inputs of shape [13], but digits has [1, 8, 8]" in read.error
    assert "not added to this session's runs: it was trained on wine.csv" in read.error
    assert at.session_state["runs"] == []


def test_a_checkpoint_of_data_at_hand_is_added_and_its_dataset_chosen():
    at = AppTest.from_function(_upload_app, args=("digits_net.safetensors", _checkpoint([1, 8, 8], 10, "digits")),
                               default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    read = at.session_state["read"]
    assert read.error is None and read.dataset == "digits" and read.record.name == "digits_net"
    assert at.session_state["runs"] == ["digits_net"]
    assert read.layers[1]["out_features"] == 8


def test_a_json_spec_nested_ten_thousand_deep_gives_a_message():
    deep = ("[" * 10_000 + "]" * 10_000).encode()
    at = AppTest.from_function(_upload_app, args=("net.json", deep), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["read"].error == "This file nests 10,000 levels deep; at most 64 are allowed."
    damaged = b'{"input_shape": [64], "layers": [' + json.dumps({"type": "relu"}).encode()
    at = AppTest.from_function(_upload_app, args=("net.json", damaged), default_timeout=60).run()
    assert at.session_state["read"].error.startswith("This file is not valid JSON")


def test_results_of_a_run_whose_network_does_not_fit_the_data_show_a_message_not_an_error():
    at = AppTest.from_function(_results_app, args=(_checkpoint([13], 3, "wine.csv"),), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [i.value for i in at.info] == [
        "wine model was trained on wine.csv: its network takes inputs of shape [13], digits has [1, 8, 8]. "
        "Choose wine.csv to see its results."]
    # the same inputs but 3 outputs for digits' 10 classes
    at = AppTest.from_function(_results_app, args=(_checkpoint([1, 8, 8], 3, "shapes"),), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "its network gives 3 outputs, digits needs 10" in at.info[0].value


def test_results_of_a_history_without_epochs_show_dashes():
    history = {"val_loss": [0.5], "val_acc": [0.25]}
    at = AppTest.from_function(_results_app, args=(_checkpoint([1, 8, 8], 10, "digits", history),),
                               default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"] == "25.0%" and metrics["Test loss"] == "0.5000"
    assert metrics["Epochs · time"] == "– · – s" and metrics["Training accuracy"] == "–"


def test_on_build_train_a_wine_checkpoint_in_a_session_on_digits_shows_the_message_and_no_traceback():
    from tests.pages.test_pages_every_control import open_page

    at = open_page("pages/build_train.py")
    at.file_uploader(key="bt.upload").set_value(("wine_model.safetensors", _checkpoint([13], 3, "wine.csv"), "")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("expects inputs of shape [13], but digits has [1, 8, 8]" in e.value for e in at.error)
    at.run()  # a later rerun, where the added run used to be shown and fail
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["bt.dataset"] == "digits" and "bt.current" not in at.session_state
    assert "wine_model" not in " ".join(m.value for m in at.markdown)
