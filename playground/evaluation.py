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
