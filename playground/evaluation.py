"""Evaluating a trained model on its dataset's test split."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from playground.jobs.supervised import predict


def test_predictions(model: nn.Module, dataset) -> tuple[np.ndarray, np.ndarray]:
    """Predicted class (N,) and its probability (N,) for each test example of a classification dataset."""
    labels, confidence = predict(model, dataset.x_test)
    return labels.numpy(), confidence.numpy()


def accuracy(model: nn.Module, dataset) -> float:
    """Fraction of the test split `model` classifies correctly."""
    labels, _ = predict(model, dataset.x_test)
    return float((labels == dataset.y_test).to(torch.float32).mean())


@torch.no_grad()
def test_values(model: nn.Module, dataset) -> tuple[np.ndarray, np.ndarray]:
    """Prediction (N,) and true target (N,) for each test example of a regression dataset (one output)."""
    model.eval()
    x = dataset.x_test
    out = torch.cat([model(x[i:i + 1024]) for i in range(0, len(x), 1024)]) if len(x) else torch.zeros(0, 1)
    return out[:, 0].numpy(), dataset.y_test[:, 0].numpy()
