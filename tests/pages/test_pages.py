"""Every page renders in a fresh session with its defaults, and its main actions change what it shows."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

TIMEOUT = 120
APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if path != "pages/home.py":
        at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_with_link(path: str, params: dict) -> AppTest:
    """The page as a shared link opens it: a fresh session with these query parameters."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in params.items():
        at.query_params[name] = str(value)
    at.switch_page(path).run()
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [str(m.value) for m in at.metric] + [m.label for m in at.metric]
    return "\n".join(parts)


def wait_for_current_run(at: AppTest, timeout: float = 90):
    record = at.session_state["runs"][at.session_state["bt.current"]]
    assert record.job is not None
    assert record.job.wait(timeout) == "done", record.job.error
    return record.refresh()


def test_home_renders_and_links_to_build_and_train():
    at = open_page("pages/home.py")
    assert at.title[0].value == "Neural Playground"
    assert "Build & Train" in texts(at)


def test_build_train_shows_the_preset_with_shapes_and_parameter_count():
    at = open_page("pages/build_train.py")
    assert at.selectbox(key="bt.dataset").value == "digits"
    assert at.selectbox(key="bt.preset").value == "lenet5"
    assert "19,754 parameters" in texts(at)  # LeNet-5 sized for 8×8 digits
    at.selectbox(key="bt.preset").set_value("tiny_vgg").run()
    assert not at.exception
    assert "4,802 parameters" in texts(at)
    assert "19,754 parameters" not in texts(at)


def test_an_invalid_layer_shows_its_message_and_blocks_training():
    at = open_page("pages/build_train.py")
    rows = [dict(r) for r in at.session_state["bt.rows"]]
    rows[0]["settings"] = "out_channels=6, kernel_size=11"  # larger than the 8×8 image
    at.session_state["bt.rows"] = rows
    at.run()
    assert not at.exception
    messages = [e.value for e in at.error]
    assert any("Layer 0 (conv2d)" in m and "kernel_size 11" in m for m in messages), messages
    assert at.button(key="bt.train").disabled


def test_switching_to_two_dimensional_data_picks_the_mlp_preset():
    at = open_page("pages/build_train.py")
    at.selectbox(key="bt.dataset").set_value("xor").run()
    assert not at.exception
    assert at.selectbox(key="bt.preset").value == "mlp"
    assert "114 parameters" in texts(at)  # 2-8-8-2: 24 + 72 + 18


def test_training_a_short_run_shows_results():
    at = open_page("pages/build_train.py")
    at.number_input(key="bt.epochs").set_value(3).run()
    at.button(key="bt.train").click().run()  # Train
    assert not at.exception, [e.value for e in at.exception]
    record = wait_for_current_run(at)
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "Test accuracy" in shown
    accuracy = float(next(m.value for m in at.metric if m.label == "Test accuracy").rstrip("%")) / 100
    assert accuracy == pytest.approx(record.final["val_acc"], abs=0.001)
    assert accuracy > 0.6  # three epochs of LeNet-5 on digits; chance is 0.1
    assert "epoch 3 of 3" in shown
    assert any(d.label.startswith("Download the trained model") for d in at.get("download_button"))


def test_pressing_train_during_a_run_asks_what_to_do():
    at = open_page("pages/build_train.py")
    at.number_input(key="bt.epochs").set_value(200).run()
    at.button(key="bt.train").click().run()
    assert at.session_state["bt.current"]
    at.button(key="bt.train").click().run()  # Train again while the first run goes on
    assert any("still training" in w.value for w in at.warning)
    stop_and_train = next(b for b in at.button if b.label == "Stop it and train")
    first = at.session_state["bt.current"]
    stop_and_train.click().run()
    assert not at.exception
    second = at.session_state["bt.current"]
    assert second != first
    runs = at.session_state["runs"]
    deadline = time.time() + 10
    while runs[first].job.status != "stopped" and time.time() < deadline:
        time.sleep(0.1)
    assert runs[first].job.status == "stopped"
    runs[second].job.stop()


def test_the_spec_survives_a_reload_through_the_url():
    at = open_page("pages/build_train.py")
    at.selectbox(key="bt.preset").set_value("tiny_vgg").run()
    params = dict(at.query_params)
    assert "layers" in params and params["preset"] == ["tiny_vgg"] or params["preset"] == "tiny_vgg"
    fresh = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        fresh.query_params[key] = value[0] if isinstance(value, list) else value
    fresh.run().switch_page("pages/build_train.py").run()
    assert not fresh.exception
    assert fresh.selectbox(key="bt.preset").value == "tiny_vgg"
    assert "4,802 parameters" in texts(fresh)


def test_settings_survive_a_page_switch():
    at = open_page("pages/build_train.py")
    at.selectbox(key="bt.preset").set_value("tiny_vgg").run()
    at.number_input(key="bt.epochs").set_value(7).run()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/build_train.py").run()
    assert not at.exception
    assert at.selectbox(key="bt.preset").value == "tiny_vgg"
    assert at.number_input(key="bt.epochs").value == 7
    assert "4,802 parameters" in texts(at)


def test_uploading_a_spec_replaces_the_layers():
    import json

    from playground import models

    at = open_page("pages/build_train.py")
    spec = models.preset("mlp", input_shape=[1, 8, 8], outputs=10)
    at.file_uploader(key="bt.upload").set_value(("net.json", json.dumps(spec).encode(), "application/json")).run()
    assert not at.exception
    assert "17,226 parameters" in texts(at)  # 64·128+128 + 128·64+64 + 64·10+10


def test_a_bad_upload_gets_a_message_not_a_traceback():
    import pickle

    at = open_page("pages/build_train.py")
    at.file_uploader(key="bt.upload").set_value(("model.safetensors", pickle.dumps({"w": 1}), "")).run()
    assert not at.exception
    assert any("pickle" in e.value.lower() or "not a safetensors" in e.value.lower() for e in at.error)
    at.file_uploader(key="bt.upload").set_value(("net.json", b"{not json", "application/json")).run()
    assert any("not valid JSON" in e.value for e in at.error)


def test_uploading_a_checkpoint_makes_a_run_that_training_can_continue():
    from playground.jobs.runs import examples

    record = next(r for r in examples() if r.name == "digits LeNet-5")
    at = open_page("pages/build_train.py")
    at.file_uploader(key="bt.upload").set_value(("mine.safetensors", record.to_checkpoint(), "")).run()
    assert not at.exception
    assert at.session_state["bt.current"] == "mine"
    assert "Test accuracy" in texts(at)  # the uploaded run's results are shown at once
    assert at.checkbox(key="bt.continue").value is True
    at.number_input(key="bt.epochs").set_value(1).run()
    at.button(key="bt.train").click().run()
    continued = wait_for_current_run(at)
    assert continued.history["val_acc"].iloc[0] == pytest.approx(record.final["val_acc"], abs=1e-6)


def test_the_model_picker_offers_session_runs_and_the_examples():
    def picker_app():
        import streamlit as st

        from playground.ui import session

        record = session.model_picker("Model", key="picker")
        st.markdown(f"picked: {record.name if record else None}")

    at = AppTest.from_function(picker_app, default_timeout=TIMEOUT).run()
    assert not at.exception
    options = at.selectbox(key="picker").options
    assert {"digits LeNet-5 · example", "shapes CNN · example", "spiral MLP · example"} <= set(options)
    at.selectbox(key="picker").set_value("shapes CNN · example").run()
    assert "picked: shapes CNN" in texts(at)


def test_regression_data_trains_and_shows_its_loss():
    at = open_page("pages/build_train.py")
    at.selectbox(key="bt.dataset").set_value("reg_plane").run()
    at.number_input(key="bt.epochs").set_value(5).run()
    at.button(key="bt.train").click().run()
    record = wait_for_current_run(at)
    at.run()
    assert not at.exception
    assert "Test loss" in texts(at) and "Test accuracy" not in texts(at)
    assert record.final["val_loss"] < record.history["val_loss"].iloc[0] / 2


def test_a_dataset_that_needs_a_download_explains_itself_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    import playground.settings

    monkeypatch.setattr(playground.settings, "_settings", None)
    import torchvision.datasets

    def refuse(self, *args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", refuse)
    at = open_page("pages/build_train.py")
    at.selectbox(key="bt.dataset").set_value("mnist").run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "MNIST" in message and str(tmp_path) in message


def test_a_click_delivered_twice_acts_once_and_the_next_click_acts_again():
    def once_app():
        import streamlit as st

        from playground.ui import session

        st.session_state.setdefault("steps", 0)

        def take_step() -> None:
            st.session_state["steps"] += 1

        step = session.once("step", take_step)
        st.button("Step", key="step", **step)

        def deliver_twice() -> None:  # what the callback sees when a click is handled twice
            step["on_click"](*step["args"])
            step["on_click"](*step["args"])

        st.button("Step, delivered twice", key="twice", on_click=deliver_twice)
        st.markdown(f"steps: {st.session_state['steps']}")

    at = AppTest.from_function(once_app, default_timeout=TIMEOUT).run()
    assert "steps: 0" in texts(at)
    at.button(key="twice").click().run()
    assert "steps: 1" in texts(at)  # a plain toggle or counter would say 2
    at.button(key="step").click().run()
    at.button(key="step").click().run()
    assert "steps: 3" in texts(at)  # each new drawing of the button takes its own click


@pytest.mark.parametrize("settings, message", [
    # 19,754 + (n − 120)·(64 inputs + 1 bias + 84 weights into the next layer)
    ("out_features=60000", "This network has 8,941,874 parameters, more than this installation trains (5,000,000)"),
    ("out_features=65536", "This network has 9,766,738 parameters, more than this installation trains (5,000,000)"),
    ("out_features=1000000000", "Layer 6 (linear): out_features must be at most 65536"),
])
def test_a_network_over_the_parameter_cap_gets_a_message_and_the_rest_of_the_page(settings, message):
    at = open_page("pages/build_train.py")
    rows = [dict(r) for r in at.session_state["bt.rows"]]
    assert rows[6] == {"type": "linear", "settings": "out_features=120"}
    rows[6]["settings"] = settings
    at.session_state["bt.rows"] = rows
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any(message in e for e in errors), errors
    assert at.button(key="bt.train").disabled
    if "parameters" in message:  # the table holds a spec: the Export section has its word too
        assert any("No script for this network" in w.value for w in at.warning)
    assert [s.value for s in at.subheader][-2:] == ["Train", "Save and load"]  # drawn to the end
    assert at.number_input(key="bt.epochs").value == 10


@pytest.mark.parametrize("key, typed, kept, words", [
    ("bt.seed", -5, 0, "Seed: -5 is not allowed (it must be from 0 to 2,147,483,647); kept 0."),
    ("bt.epochs", 0, 10, "Epochs: 0 is not allowed (it must be from 1 to 500); kept 10."),
    ("bt.epochs", 501, 10, "Epochs: 501 is not allowed (it must be from 1 to 500); kept 10."),
])
def test_a_typed_number_out_of_range_says_why_it_was_not_taken(key, typed, kept, words):
    at = open_page("pages/build_train.py")
    at.number_input(key=key).set_value(typed).run()
    assert not at.exception
    assert at.number_input(key=key).value == kept
    assert any(w.value == words for w in at.warning), [w.value for w in at.warning]
