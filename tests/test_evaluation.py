"""Tests for playground.evaluation: a regression model's test predictions beside the true targets."""

from __future__ import annotations

import numpy as np
import torch

from playground import data
from playground.evaluation import test_values as values_of
from playground.models import build


def test_values_are_the_models_outputs_beside_the_targets_in_eval_mode():
    dataset = data.load("sine", seed=0, n=50)
    torch.manual_seed(0)
    network = build({"input_shape": [30, 1], "layers": [{"type": "gru", "hidden_size": 4}, {"type": "dropout"},
                                                        {"type": "linear", "out_features": 1}]})
    network.train()
    predicted, true = values_of(network, dataset)
    assert not network.training  # dropout off: the same numbers every time
    with torch.no_grad():
        expected = network(dataset.x_test)[:, 0].numpy()
    np.testing.assert_allclose(predicted, expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(true, dataset.y_test[:, 0].numpy())
    assert predicted.shape == true.shape == (10,)
