"""Build & Train with sequence data: each set starts from its recurrent preset, trains, and shows its results."""

import pytest

from tests.pages.test_pages import open_page, open_with_link, texts, wait_for_current_run

# By hand: an LSTM has 4 gates of H·(F + H + 2) weights, a GRU 3; then the linear read-out.
SEQUENCES = {"sine": ("lstm_forecaster", "4,513 parameters"),  # 4·32·35 + 33
             "adding": ("lstm_adder", "4,641 parameters"),  # 4·32·36 + 33
             "recall": ("gru_recall", "3,780 parameters"),  # 3·32·38 + 4·33
             "characters": ("char_lstm", "25,447 parameters")}  # 55·16 + 4·64·82 + 55·65


@pytest.mark.parametrize("name", SEQUENCES)
def test_a_sequence_set_starts_from_its_recurrent_preset(name):
    at = open_page("pages/build_train.py")
    at.selectbox(key="bt.dataset").set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    preset, params = SEQUENCES[name]
    assert at.selectbox(key="bt.preset").value == preset
    assert params in texts(at)
    assert not at.button(key="bt.train").disabled
    at.selectbox(key="bt.preset").set_value("tiny_vgg").run()  # a conv preset does not fit: the set's own
    assert not at.exception and at.selectbox(key="bt.preset").value == preset
    at.selectbox(key="bt.preset").set_value("mlp").run()  # the mlp fits any data and is kept
    assert not at.exception and at.selectbox(key="bt.preset").value == "mlp"


@pytest.fixture(scope="module")
def trained_forecaster():
    at = open_page("pages/build_train.py")
    at.selectbox(key="bt.dataset").set_value("sine").run()
    at.number_input(key="bt.epochs").set_value(3).run()
    at.button(key="bt.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    record = wait_for_current_run(at)
    at.run()
    return at, record


def test_an_lstm_forecaster_trains_and_shows_predictions_against_truth(trained_forecaster):
    at, record = trained_forecaster
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert "epoch 3 of 3" in shown and "Test accuracy" not in shown
    loss = float(next(m.value for m in at.metric if m.label == "Test loss"))
    assert loss == pytest.approx(record.final["val_loss"], abs=1e-4)
    assert loss < 0.2  # predicting the mean scores the variance of the targets, about 0.6
    assert "On the dashed line the prediction is exact" in shown
    assert any(d.label == "Network (.onnx)" for d in at.get("download_button"))


def test_the_character_model_trains_and_shows_accuracy_and_a_confusion_matrix():
    at = open_page("pages/build_train.py")
    at.selectbox(key="bt.dataset").set_value("characters").run()
    at.number_input(key="bt.epochs").set_value(1).run()
    at.button(key="bt.train").click().run()
    record = wait_for_current_run(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    accuracy = float(next(m.value for m in at.metric if m.label == "Test accuracy").rstrip("%")) / 100
    assert accuracy == pytest.approx(record.final["val_acc"], abs=0.001)
    assert "Rows are the true classes" in texts(at)


@pytest.mark.parametrize("page", ["your_data", "compare_runs", "inside_cnn", "saliency", "adversarial",
                                  "class_visualization", "robustness", "teachers"])
def test_pages_that_list_runs_or_datasets_work_with_a_sequence_run_in_the_session(trained_forecaster, page):
    at, record = trained_forecaster
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    pickers = [s for s in at.selectbox if s.key and s.key.endswith(".model")]
    for picker in pickers:
        offered = [option for option in picker.options if record.name in str(option)]
        if page == "your_data":  # exports any model: the sequence model's script, weights and ONNX
            picker.set_value(offered[0]).run()
            assert not at.exception, [e.value for e in at.exception]
            assert any(d.label == "Network (.onnx)" for d in at.get("download_button"))
        else:  # an image page never offers the sequence model
            assert not offered, (page, picker.options)
    at.switch_page("pages/build_train.py").run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("name, preset", [*((name, preset) for name, (preset, _) in SEQUENCES.items()),
                                          ("circle", "mlp"), ("digits", "lenet5")])
def test_a_link_naming_only_the_data_shows_the_preset_its_layers_come_from(name, preset):
    at = open_with_link("pages/build_train.py", {"dataset": name})
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="bt.preset").value == preset  # was lenet5 over an mlp's layers
    assert f"**{preset}**:" in texts(at)
    if name in SEQUENCES:
        assert SEQUENCES[name][1] in texts(at)
