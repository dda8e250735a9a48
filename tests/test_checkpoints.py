"""Tests for playground.checkpoints: exact round trips, and refusal of anything that is not ours."""

from __future__ import annotations

import io
import json
import pickle
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as safetensors_save

from playground.checkpoints import (
    FORMAT,
    CheckpointError,
    checkpoint_bytes,
    load_checkpoint,
    read_metadata,
    save_checkpoint,
    state_from_bytes,
)
from playground.models import build, preset

EXTRA = {"dataset": {"name": "digits", "seed": 3, "params": {"test_fraction": 0.2}},
         "history": [{"epoch": 1, "loss": 1.25}], "note": "ünïcode ✓"}


@pytest.fixture
def trained():
    """A small ResNet after a few training steps, so weights and batch-norm statistics are not defaults."""
    torch.manual_seed(0)
    network = build(preset("tiny_resnet", input_shape=[1, 8, 8], outputs=3))
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(network(torch.randn(4, 1, 8, 8)), torch.tensor([0, 1, 2, 0]))
        loss.backward()
        optimizer.step()
    return network.eval()


def _assert_same_network(loaded: torch.nn.Module, original: torch.nn.Module) -> None:
    expected, got = original.state_dict(), loaded.state_dict()
    assert list(got) == list(expected)
    assert all(torch.equal(got[k], expected[k]) and got[k].dtype == expected[k].dtype for k in expected)
    assert not loaded.training
    x = torch.randn(5, *original.spec["input_shape"])
    with torch.no_grad():
        assert torch.equal(loaded(x), original(x))


class _TouchOnLoad:
    """An object whose unpickling creates the file `marker`."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


# ---------------------------------------------------------------------------------------------------------
# Round trips


def test_file_round_trip_restores_weights_spec_and_outputs(trained, tmp_path):
    path = tmp_path / "net.safetensors"
    save_checkpoint(trained, trained.spec, path, extra=EXTRA)
    loaded, spec = load_checkpoint(path)
    assert spec == trained.spec and loaded.spec == trained.spec
    _assert_same_network(loaded, trained)
    loaded_from_str, _ = load_checkpoint(str(path))
    _assert_same_network(loaded_from_str, trained)


def test_bytes_round_trip_matches_the_file(trained, tmp_path):
    data = checkpoint_bytes(trained, trained.spec, extra=EXTRA)
    path = tmp_path / "net.safetensors"
    save_checkpoint(trained, trained.spec, path, extra=EXTRA)
    # the bytes themselves may differ: safetensors does not fix the order of metadata keys
    assert read_metadata(path.read_bytes()) == read_metadata(data)
    loaded, spec = load_checkpoint(data)
    assert spec == trained.spec
    _assert_same_network(loaded, trained)


def test_metadata_round_trips_with_the_spec(trained):
    data = checkpoint_bytes(trained, trained.spec, extra=EXTRA)
    assert read_metadata(data) == {"format": FORMAT, "spec": trained.spec, **EXTRA}
    assert read_metadata(checkpoint_bytes(trained, trained.spec)) == {"format": FORMAT, "spec": trained.spec}


def test_unvalidated_spec_is_saved_as_given(trained):
    short = preset("tiny_resnet", input_shape=[1, 8, 8], outputs=3)  # no defaults filled in
    loaded, spec = load_checkpoint(checkpoint_bytes(trained, short))
    assert spec == short
    _assert_same_network(loaded, trained)


def test_state_from_bytes_gives_the_bare_state_dict(trained):
    state = state_from_bytes(checkpoint_bytes(trained, trained.spec))
    assert state.keys() == trained.state_dict().keys()
    assert all(torch.equal(state[k], v) for k, v in trained.state_dict().items())


# ---------------------------------------------------------------------------------------------------------
# Pickles are refused before anything in them runs


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_torch_save_files_are_refused_as_pickles(trained, tmp_path, zip_format):
    path = tmp_path / "net.pt"
    torch.save(trained.state_dict(), path, _use_new_zipfile_serialization=zip_format)
    with pytest.raises(CheckpointError, match="PyTorch pickle"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="pickle"):
        read_metadata(path.read_bytes())


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_malicious_pickle_is_not_executed(tmp_path, protocol):
    armed = tmp_path / "armed"
    pickle.loads(pickle.dumps(_TouchOnLoad(armed), protocol=protocol))  # the payload really is armed
    assert armed.exists()

    marker = tmp_path / "marker"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(_TouchOnLoad(marker), protocol=protocol))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    if protocol >= 2:  # protocols 0 and 1 have no header; they are simply not safetensors
        assert "pickle" in str(info.value)
    assert not marker.exists()


def test_malicious_torch_save_is_not_executed(tmp_path):
    marker = tmp_path / "marker"
    buffer = io.BytesIO()
    torch.save({"weights": _TouchOnLoad(marker)}, buffer)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(buffer.getvalue())
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------------------
# Damaged and foreign files


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="too short"):
        load_checkpoint(path)


def test_random_bytes_are_refused():
    data = torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    with pytest.raises(CheckpointError):
        load_checkpoint(data.numpy().tobytes())


def test_truncated_checkpoints_are_refused(trained):
    data = checkpoint_bytes(trained, trained.spec)
    (header_size,) = struct.unpack("<Q", data[:8])
    for cut in (4, 8, 8 + header_size // 2, 8 + header_size, len(data) // 2, len(data) - 1):
        with pytest.raises(CheckpointError):
            load_checkpoint(data[:cut])


def test_safetensors_without_our_metadata_is_refused(trained):
    state = dict(trained.state_dict())
    for metadata in (None, {"spec": json.dumps(trained.spec)}, {"format": "other/1", "spec": "{}"},
                     {"format": FORMAT}):
        with pytest.raises(CheckpointError, match="no network spec"):
            load_checkpoint(safetensors_save(state, metadata=metadata))


def test_damaged_metadata_is_refused(trained):
    state = dict(trained.state_dict())
    with pytest.raises(CheckpointError, match="metadata is damaged"):
        load_checkpoint(safetensors_save(state, metadata={"format": FORMAT, "spec": "{not json"}))


def test_metadata_values_that_are_not_strings_are_refused():
    # safetensors writes only string metadata, but a hand-made header can hold anything
    header = json.dumps({"__metadata__": {"format": FORMAT, "spec": 5}}).encode()
    with pytest.raises(CheckpointError, match="metadata is damaged"):
        load_checkpoint(struct.pack("<Q", len(header)) + header)


def test_invalid_spec_inside_a_checkpoint_is_refused(trained):
    data = checkpoint_bytes(trained, {"input_shape": [1, 8, 8], "layers": []})
    with pytest.raises(CheckpointError, match="spec in this checkpoint is not valid: 'layers' must be"):
        load_checkpoint(data)


def test_weights_that_do_not_fit_the_spec_are_refused(trained):
    wider = preset("tiny_resnet", input_shape=[1, 8, 8], outputs=4)  # last layer 32→4, weights are 32→3
    with pytest.raises(CheckpointError, match=r"(?s)do not fit the spec.*size mismatch for 8\.weight"):
        load_checkpoint(checkpoint_bytes(trained, wider))
    other = preset("tiny_vgg", input_shape=[1, 8, 8], outputs=3)  # different layers altogether
    with pytest.raises(CheckpointError, match="do not fit the spec"):
        load_checkpoint(checkpoint_bytes(trained, other))


def test_missing_weights_are_refused(trained):
    state = {k: v for k, v in trained.state_dict().items() if not k.endswith("running_var")}
    data = safetensors_save(state, metadata={"format": FORMAT, "spec": json.dumps(trained.spec)})
    with pytest.raises(CheckpointError, match="Missing key"):
        load_checkpoint(data)


# -- hand-made metadata: every field the playground reads is checked before it is used --------------

def _with_metadata(network, **fields) -> bytes:
    """A checkpoint of `network` whose metadata holds `fields` (JSON text, written as given)."""
    metadata = {"format": FORMAT, "spec": json.dumps(network.spec), **fields}
    return safetensors_save(dict(network.state_dict()), metadata=metadata)


@pytest.mark.parametrize("field, text, message", [
    ("spec", json.dumps([1, 2]), "'spec' is not an object"),
    ("dataset", json.dumps(["digits"]), "'dataset' is not an object"),
    ("dataset", json.dumps({"name": 5}), "'dataset' has a name that is not text"),
    ("dataset", json.dumps({"name": "digits", "seed": -1}), "'dataset' has a seed that is not a whole number"),
    ("dataset", json.dumps({"name": "digits", "params": [1]}), "'dataset' has params that are not an object"),
    ("config", json.dumps("adam"), "'config' is not an object"),
    ("name", json.dumps({"a": 1}), "'name' is not text"),
    ("history", json.dumps(3.5), "'history' is not a list of rows or an object of columns"),
    ("history", json.dumps({"epoch": [1, 2], "val_loss": ["low", "lower"]}), "not an object of columns of numbers"),
    ("history", json.dumps([{"epoch": 1, "val_loss": "low"}]), "not a list of rows of numbers"),
    ("history", json.dumps({"epoch": [1, 2], "val_loss": [0.5]}), "columns of different lengths"),
    ("history", json.dumps({"epoch": 7}), "not an object of columns of numbers"),
    ("history", '{"epoch": [1e999]}', "an epoch that is not a whole number"),
    ("history", '{"epoch": [1], "val_loss": [1' + "0" * 400 + "]}", "not an object of columns of numbers"),
    ("dataset", '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}", "'dataset' nests 10,001 levels deep"),
    ("spec", "[" * 10_000 + "]" * 10_000, "'spec' nests 10,000 levels deep"),
])
def test_metadata_of_the_wrong_shape_is_refused_with_a_message_naming_the_field(trained, field, text, message):
    with pytest.raises(CheckpointError, match=message):
        read_metadata(_with_metadata(trained, **{field: text}))


def test_a_header_nested_ten_thousand_deep_is_refused_as_not_a_checkpoint():
    header = ("[" * 10_000 + "]" * 10_000).encode()
    with pytest.raises(CheckpointError, match="not a safetensors checkpoint"):
        read_metadata(struct.pack("<Q", len(header)) + header)


def test_metadata_of_the_right_shapes_is_read_back_as_saved(trained):
    history = {"epoch": [1.0, 2.0], "train_acc": [None, None], "val_loss": [0.75, 0.5]}  # None: NaN saved
    data = _with_metadata(trained, history=json.dumps(history), dataset=json.dumps({"name": "wine.csv"}),
                          note=json.dumps([1, "x"]))
    meta = read_metadata(data)
    assert meta["history"] == history and meta["dataset"] == {"name": "wine.csv"} and meta["note"] == [1, "x"]


# ---------------------------------------------------------------------------------------------------------
# Sequence networks


@pytest.mark.parametrize("layers, x", [
    ([{"type": "lstm", "hidden_size": 6, "num_layers": 2, "bidirectional": True},
      {"type": "linear", "out_features": 1}], lambda: torch.randn(5, 9, 2)),
    ([{"type": "gru", "hidden_size": 6, "keep": "all"}, {"type": "rnn", "hidden_size": 4, "nonlinearity": "relu"},
      {"type": "linear", "out_features": 3}], lambda: torch.randn(5, 9, 2)),
    ([{"type": "embedding", "num_embeddings": 11, "embedding_dim": 4}, {"type": "lstm", "hidden_size": 5},
      {"type": "linear", "out_features": 11}], lambda: torch.randint(0, 11, (5, 9)).float()),
])
def test_sequence_networks_round_trip_with_equal_outputs(layers, x, tmp_path):
    torch.manual_seed(1)
    shape = [9] if layers[0]["type"] == "embedding" else [9, 2]
    network = build({"input_shape": shape, "layers": layers}).eval()
    path = tmp_path / "seq.safetensors"
    save_checkpoint(network, network.spec, path, extra=EXTRA)
    loaded, spec = load_checkpoint(path)
    assert spec == network.spec
    expected, got = network.state_dict(), loaded.state_dict()
    assert list(got) == list(expected) and all(torch.equal(got[k], expected[k]) for k in expected)
    inputs = x()
    with torch.no_grad():
        assert torch.equal(loaded(inputs), network(inputs))
