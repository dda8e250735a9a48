"""Recurrent and embedding layers: parameter counts equal torch.nn's, shapes as predicted, `keep` as documented."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from playground.layers import Recurrent
from playground.models import SpecError, build, count_params, summarize

TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CASES = list(itertools.product(TORCH, (False, True), (1, 2), ("last", "all")))


def _torch_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(("kind", "bidirectional", "layers", "keep"), CASES)
def test_recurrent_counts_and_shapes_equal_torch(kind, bidirectional, layers, keep):
    spec = {"input_shape": [7, 3], "layers": [
        {"type": kind, "hidden_size": 5, "num_layers": layers, "bidirectional": bidirectional, "keep": keep}]}
    reference = TORCH[kind](3, 5, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    network = build(spec)
    assert count_params(spec) == _torch_count(network) == _torch_count(reference)
    width = 5 * (2 if bidirectional else 1)
    predicted = summarize(spec)[0]["output_shape"]
    assert predicted == ([7, width] if keep == "all" else [width])
    with torch.no_grad():
        assert list(network(torch.randn(4, 7, 3)).shape) == [4, *predicted]


@pytest.mark.parametrize("kind", TORCH)
def test_recurrent_in_a_residual_block_counts_the_linear_projection(kind):
    # (T, 3) → (T, 6): the skip connection maps each step's 3 features to 6 with a linear layer.
    spec = {"input_shape": [7, 3], "layers": [
        {"type": "residual", "layers": [{"type": kind, "hidden_size": 3, "bidirectional": True, "keep": "all"}]},
        {"type": "residual", "layers": [{"type": kind, "hidden_size": 6, "keep": "all"}]},
        {"type": kind, "hidden_size": 4}, {"type": "linear", "out_features": 2}]}
    network = build(spec)
    rnn = TORCH[kind]
    expected = (_torch_count(rnn(3, 3, bidirectional=True)) + 3 * 6 + 6 + _torch_count(rnn(6, 6))
                + _torch_count(rnn(6, 4)) + 4 * 2 + 2)
    assert count_params(spec) == _torch_count(network) == expected
    with torch.no_grad():
        x = torch.randn(2, 7, 3)
        inner = network[0].body(x)
        assert torch.allclose(network[0](x), inner + network[0].shortcut(x))
        assert list(network(x).shape) == [2, 2]


def test_a_sequence_skip_connection_refuses_batch_norm_and_a_change_of_length():
    spec = {"input_shape": [7, 3], "layers": [{"type": "residual", "shortcut": "conv_bn",
                                               "layers": [{"type": "gru", "hidden_size": 4, "keep": "all"}]}]}
    with pytest.raises(SpecError, match="projects with a linear layer"):
        summarize(spec)
    spec["layers"][0] = {"type": "residual", "layers": [{"type": "gru", "hidden_size": 4}]}
    with pytest.raises(SpecError, match="cannot join an input of shape"):
        summarize(spec)


@pytest.mark.parametrize("kind", TORCH)
def test_keep_last_is_the_last_step_forwards_and_the_first_step_backwards(kind):
    torch.manual_seed(0)
    x = torch.randn(3, 6, 2)
    one_way = build({"input_shape": [6, 2], "layers": [{"type": kind, "hidden_size": 4, "num_layers": 2}]})
    every = Recurrent(one_way[0].rnn, "all")
    with torch.no_grad():
        assert torch.allclose(one_way(x), every(x)[:, -1], atol=1e-6)
    both = build({"input_shape": [6, 2], "layers": [{"type": kind, "hidden_size": 4, "bidirectional": True}]})
    every = Recurrent(both[0].rnn, "all")
    with torch.no_grad():
        steps = every(x)  # (B, T, 2·H): forward features first, then backward
        expected = torch.cat([steps[:, -1, :4], steps[:, 0, 4:]], dim=1)
        assert torch.allclose(both(x), expected, atol=1e-6)


def test_rnn_nonlinearity_reaches_torch():
    network = build({"input_shape": [4, 1], "layers": [{"type": "rnn", "hidden_size": 2, "nonlinearity": "relu"}]})
    assert network[0].rnn.nonlinearity == "relu"


def test_embedding_counts_shapes_and_refuses_an_id_out_of_range():
    spec = {"input_shape": [5], "layers": [{"type": "embedding", "num_embeddings": 10, "embedding_dim": 3},
                                           {"type": "lstm", "hidden_size": 4}, {"type": "linear", "out_features": 10}]}
    network = build(spec)
    expected = 10 * 3 + _torch_count(nn.LSTM(3, 4)) + 4 * 10 + 10
    assert count_params(spec) == _torch_count(network) == expected
    assert [row["output_shape"] for row in summarize(spec)] == [[5, 3], [4], [10]]
    ids = torch.tensor([[0, 1, 2, 3, 9.0]])
    with torch.no_grad():
        assert torch.equal(network[0](ids), network[0].weight[[0, 1, 2, 3, 9]].unsqueeze(0))
        with pytest.raises(ValueError, match=r"token id 10 is outside the embedding's 10 tokens \(0 to 9\)"):
            network(torch.tensor([[0, 1, 10, 2, 3.0]]))
        with pytest.raises(ValueError, match="token id -1 is outside"):
            network(torch.tensor([[0, -1, 1, 2, 3.0]]))


def test_recurrent_layers_refuse_flat_and_image_inputs_with_a_hint():
    for shape in ([5], [1, 4, 4]):
        with pytest.raises(SpecError, match=r"lstm needs a sequence input \[T, F\]"):
            summarize({"input_shape": shape, "layers": [{"type": "lstm", "hidden_size": 2}]})
    with pytest.raises(SpecError, match=r"embedding needs a sequence of token ids \[T\]"):
        summarize({"input_shape": [5, 2], "layers": [{"type": "embedding", "num_embeddings": 3,
                                                      "embedding_dim": 2}]})
