"""Tests for playground.export: the exported script runs and learns as the playground does, its
network takes the playground's weights, its data is the playground's data, the ONNX file computes
what PyTorch computes, and the safetensors file round-trips."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys

import numpy as np
import onnxruntime
import pytest
import torch

from playground import data, export, models, uploads
from playground.checkpoints import load_checkpoint, read_metadata
from playground.jobs.train import Config, start
from playground.presets import PRESETS, fits


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def _script_module(text: str, tmp_path, name: str = "exported.py") -> dict:
    """The script's globals, loaded without running its training (`__name__` is not "__main__")."""
    path = tmp_path / name
    path.write_text(text)
    return runpy.run_path(str(path), run_name="exported")


def _preset_cases():
    """(preset, dataset) for every preset: the convolutional ones on digits, mlp on a 2-D set too."""
    return [(name, "digits") for name in PRESETS if fits(name, [1, 8, 8])] + [("mlp", "spiral")]


def _randomize_norms(module: torch.nn.Module) -> None:
    """Give batch norms running statistics other than 0 and 1, so that eval mode is really tested."""
    generator = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator))
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)


# ---------------------------------------------------------------------------------------------------------
# The script


def test_the_script_trains_on_digits_to_the_playgrounds_accuracy_for_three_seeds(pool, digits, tmp_path):
    spec = models.preset("mlp", digits)  # the convolutional presets' code is checked layer by layer below
    seeds = (0, 1, 2)
    configs = {seed: Config(optimizer="adam", lr=0.01, batch_size=32, epochs=5, seed=seed) for seed in seeds}
    jobs = {seed: start(spec, data.load("digits", seed=seed), configs[seed], pool=pool) for seed in seeds}
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH="")  # as the workers run; no playground import
    runs = {}
    for seed in seeds:
        folder = tmp_path / f"seed{seed}"
        folder.mkdir()
        ref = data.load("digits", seed=seed).ref()
        text = export.script(spec, ref, configs[seed], title="mlp on digits")
        assert "import playground" not in text and "from playground" not in text
        (folder / "train.py").write_text(text)
        runs[seed] = subprocess.Popen([sys.executable, "train.py"], cwd=folder, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for seed in seeds:
        output, _ = runs[seed].communicate(timeout=240)
        assert runs[seed].returncode == 0, output
        script_accuracy = float(re.search(r"final test accuracy ([0-9.]+)", output).group(1))
        assert jobs[seed].wait(120) == "done", jobs[seed].error
        app_accuracy = float(jobs[seed].history["val_acc"].iloc[-1])
        untrained = float(jobs[seed].history["val_acc"].iloc[0])
        # It learned (an untrained network guesses about 1 in 10) ...
        assert untrained < 0.3 and script_accuracy > 0.85, output
        # ... as far as the playground's run with the same seed did.
        assert abs(script_accuracy - app_accuracy) <= 0.05, (seed, script_accuracy, app_accuracy)
        assert (tmp_path / f"seed{seed}" / "model_weights.pt").exists()


@pytest.mark.parametrize("preset_name, dataset_name", _preset_cases())
def test_the_scripts_network_takes_the_playgrounds_weights_and_computes_the_same(preset_name, dataset_name,
                                                                                 tmp_path):
    dataset = data.load(dataset_name)
    spec = models.preset(preset_name, dataset)
    module = _script_module(export.script(spec, dataset.ref(), Config()), tmp_path)
    theirs = module["build_network"]()
    ours = models.build(spec)
    _randomize_norms(ours)
    theirs.load_state_dict(ours.state_dict(), strict=True)  # the same layers under the same names
    ours.eval(), theirs.eval()
    x = dataset.x_test[:16]
    torch.testing.assert_close(theirs(x), ours(x), rtol=0, atol=0)


def test_the_scripts_network_starts_from_the_playgrounds_weights_for_a_seed(tmp_path, digits):
    spec = models.preset("tiny_resnet", digits)
    module = _script_module(export.script(spec, digits.ref(), Config(seed=7)), tmp_path)
    torch.manual_seed(7)
    theirs = module["build_network"]()
    torch.manual_seed(7)
    ours = models.build(spec)  # what the training loop does after torch.manual_seed(seed)
    for (key, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert torch.equal(a, b), key


EVERY_LAYER = {"input_shape": [2, 8, 8], "layers": [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1, "padding_mode": "reflect",
     "bias": False},
    {"type": "batchnorm"}, {"type": "prelu", "per_channel": True},
    {"type": "branches", "branches": [[{"type": "conv2d", "out_channels": 2, "kernel_size": 1}],
                                      [{"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1}]]},
    {"type": "residual", "shortcut": "conv_bn", "layers": [
        {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1, "groups": 2},
        {"type": "gelu"}]},
    {"type": "conv_transpose2d", "out_channels": 3, "kernel_size": 2, "stride": 2},
    {"type": "upsample", "scale_factor": 2, "mode": "bilinear"}, {"type": "avgpool2d", "kernel_size": 4},
    {"type": "leaky_relu", "negative_slope": 0.2}, {"type": "flatten"}, {"type": "dropout", "p": 0.3},
    {"type": "linear", "out_features": 12}, {"type": "batchnorm"}, {"type": "sigmoid"},
    {"type": "unflatten", "shape": [3, 2, 2]}, {"type": "tanh"},
    {"type": "linear", "out_features": 5}, {"type": "softmax"}, {"type": "identity"},
]}


def test_every_layer_type_is_written_as_the_same_module(tmp_path):
    spec = EVERY_LAYER
    module = _script_module(export.script(spec, {"name": "digits", "seed": 0, "params": {}}, Config()), tmp_path)
    theirs, ours = module["build_network"](), models.build(spec)
    _randomize_norms(ours)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    ours.eval(), theirs.eval()
    x = torch.randn(3, 2, 8, 8, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(theirs(x), ours(x), rtol=0, atol=0)


@pytest.mark.parametrize("name, params", [("digits", {}), ("circle", {"noise": 0.2}), ("reg_gauss", {"n": 120}),
                                          ("shapes", {"n": 60, "size": 20})])
def test_the_scripts_data_is_the_playgrounds_data(name, params, tmp_path):
    dataset = data.load(name, seed=3, **params)
    module = _script_module(export.script(_any_spec(dataset), dataset.ref(), Config(seed=3)),
                            tmp_path)
    x_train, y_train, x_test, y_test = module["load_data"]()
    x_train, y_train = module["as_tensors"](x_train, y_train)
    x_test, y_test = module["as_tensors"](x_test, y_test)
    for theirs, ours in ((x_train, dataset.x_train), (y_train, dataset.y_train), (x_test, dataset.x_test),
                         (y_test, dataset.y_test)):
        torch.testing.assert_close(theirs, ours, rtol=0, atol=1e-6)


def _any_spec(dataset) -> dict:
    return models.preset("mlp", dataset)


def test_an_uploaded_tables_script_reads_the_users_file_into_the_same_split(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    rows = ["length;width;kind"] + [f"{a:.3f};{b:.2f};{'long' if a > b / 20 else 'wide'}"
                                    for a, b in zip(rng.normal(5, 2, 80), rng.normal(100, 30, 80))]
    raw = "\n".join(rows).encode()
    dataset, _ = uploads.csv_dataset(raw, label="kind", filename="leaves.csv", seed=2)
    text = export.script(_any_spec(dataset), dataset.ref(), Config(seed=2))
    assert "DATA_FILE = 'leaves.csv'" in text
    (tmp_path / "leaves.csv").write_bytes(raw)
    monkeypatch.chdir(tmp_path)
    module = _script_module(text, tmp_path)
    x_train, y_train, x_test, y_test = module["load_data"]()
    np.testing.assert_allclose(x_train, dataset.x_train.numpy(), atol=1e-5)
    np.testing.assert_array_equal(y_test, dataset.y_test.numpy())


def test_an_uploaded_image_sets_script_describes_the_folders_it_needs(tmp_path, monkeypatch):
    ref = {"name": "pets.zip", "seed": 0, "params": {"source": "zip", "file": "pets.zip", "classes": ["cat", "dog"],
                                                      "size": [3, 16, 16], "test_fraction": 0.2}}
    spec = models.preset("lenet5", input_shape=[3, 16, 16], outputs=2)
    text = export.script(spec, ref, Config())
    module = _script_module(text, tmp_path)
    assert module["DATA_DIR"] == "pets" and module["CLASSES"] == ["cat", "dog"]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="Put your class folders in"):
        module["load_data"]()


def test_a_dataset_the_playground_does_not_know_is_refused():
    with pytest.raises(export.ExportError, match="does not know the data set 'mystery'"):
        export.script(models.preset("mlp", input_shape=[2], outputs=2), {"name": "mystery", "params": {}}, Config())


def test_script_file_names_are_plain():
    assert export.script_file_name("lenet5 on digits (2)") == "train_lenet5_on_digits_2.py"
    assert export.script_file_name("../..") == "train_network.py"


# ---------------------------------------------------------------------------------------------------------
# ONNX and safetensors


@pytest.mark.parametrize("preset_name, dataset_name", _preset_cases())
def test_onnx_computes_what_pytorch_computes(preset_name, dataset_name):
    dataset = data.load(dataset_name)
    torch.manual_seed(0)
    module = models.build(models.preset(preset_name, dataset))
    _randomize_norms(module)
    module.train()  # the export must switch to eval mode itself
    raw = export.onnx_bytes(module, dataset.input_shape)
    assert module.training  # and leave the caller's module as it was
    session = onnxruntime.InferenceSession(raw, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"]
    module.eval()
    for batch in (1, 17):  # the batch size is free
        x = dataset.x_test[:batch]
        out = session.run(None, {"input": x.numpy()})[0]
        np.testing.assert_allclose(out, module(x).detach().numpy(), rtol=0, atol=1e-4)


def test_onnx_handles_every_layer_type():
    torch.manual_seed(0)
    module = models.build(EVERY_LAYER)
    _randomize_norms(module)
    module.eval()
    session = onnxruntime.InferenceSession(export.onnx_bytes(module, EVERY_LAYER["input_shape"]),
                                           providers=["CPUExecutionProvider"])
    x = torch.randn(5, 2, 8, 8, generator=torch.Generator().manual_seed(2))
    np.testing.assert_allclose(session.run(None, {"input": x.numpy()})[0], module(x).detach().numpy(), atol=1e-4)


def test_safetensors_round_trip_keeps_the_weights_and_the_spec(digits):
    spec = models.preset("tiny_resnet", digits)
    torch.manual_seed(3)
    module = models.build(spec)
    _randomize_norms(module)
    raw = export.safetensors_bytes(module, spec, extra={"name": "mine"})
    loaded, loaded_spec = load_checkpoint(raw)
    assert loaded_spec == models.validate(spec)
    assert read_metadata(raw)["name"] == "mine"
    module.eval()
    torch.testing.assert_close(loaded(digits.x_test[:8]), module(digits.x_test[:8]), rtol=0, atol=0)


def test_a_network_over_the_parameter_cap_gets_an_export_error_not_a_spec_error(digits):
    spec = models.preset("lenet5", digits)
    spec["layers"][6]["out_features"] = 60000  # the row a student widened on Build & Train
    assert models.count_params(spec) > 5_000_000
    with pytest.raises(export.ExportError, match=r"8,941,874 parameters, more than this installation allows"):
        export.script(spec, digits.ref(), Config())
    with pytest.raises(export.ExportError, match="epochs"):
        export.script(models.preset("lenet5", digits), digits.ref(), {"epochs": 0})


# ---------------------------------------------------------------------------------------------------------
# Sequence networks and data

SEQUENCE_NETWORKS = {
    "sine": [{"type": "lstm", "hidden_size": 8, "num_layers": 2, "bidirectional": True},
             {"type": "linear", "out_features": 1}],
    "adding": [{"type": "gru", "hidden_size": 8, "keep": "all"},
               {"type": "rnn", "hidden_size": 4, "nonlinearity": "relu", "bidirectional": True},
               {"type": "linear", "out_features": 1}],
    "recall": [{"type": "rnn", "hidden_size": 6, "bidirectional": True}, {"type": "linear", "out_features": 4}],
    "characters": [{"type": "embedding", "num_embeddings": 55, "embedding_dim": 4}, {"type": "lstm", "hidden_size": 8},
                   {"type": "linear", "out_features": 55}],
}


@pytest.mark.parametrize("name", ["sine", "adding", "characters"])  # LSTM; GRU, RNN; embedding
def test_onnx_of_a_recurrent_network_computes_what_pytorch_computes(name):
    dataset = data.load(name, seed=1, n=40)
    torch.manual_seed(0)
    module = models.build({"input_shape": list(dataset.input_shape), "layers": SEQUENCE_NETWORKS[name]}).eval()
    session = onnxruntime.InferenceSession(export.onnx_bytes(module, dataset.input_shape),
                                           providers=["CPUExecutionProvider"])
    x = dataset.x_test
    if name == "characters":  # the highest id too: the embedding's range check is left out of the graph
        x = torch.cat([x, torch.full((1, *dataset.input_shape), 54.0)])
    for batch in (1, len(x)):  # the batch size is free
        out = session.run(None, {"input": x[:batch].numpy()})[0]
        with torch.no_grad():
            np.testing.assert_allclose(out, module(x[:batch]).numpy(), rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", SEQUENCE_NETWORKS)
def test_a_sequence_script_makes_the_same_data_and_the_same_network(name, tmp_path):
    dataset = data.load(name, seed=3, n=60)
    spec = {"input_shape": list(dataset.input_shape), "layers": SEQUENCE_NETWORKS[name]}
    module = _script_module(export.script(spec, dataset.ref(), Config(seed=3)), tmp_path)
    x_train, y_train, x_test, y_test = module["load_data"]()
    x_train, y_train = module["as_tensors"](x_train, y_train)
    x_test, y_test = module["as_tensors"](x_test, y_test)
    for theirs, ours in ((x_train, dataset.x_train), (y_train, dataset.y_train), (x_test, dataset.x_test),
                         (y_test, dataset.y_test)):
        torch.testing.assert_close(theirs, ours, rtol=0, atol=1e-6)
    theirs, ours = module["build_network"](), models.build(spec)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    theirs.eval(), ours.eval()
    with torch.no_grad():
        torch.testing.assert_close(theirs(x_test), ours(x_test), rtol=0, atol=0)
