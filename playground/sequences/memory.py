"""Long memory: a plain RNN, an LSTM and a GRU side by side on the adding problem, and an LSTM's gates.

The adding problem (Hochreiter & Schmidhuber, 1997, "Long short-term memory"): each step of a sequence
holds a random number in [0, 1) and a marker (0 or 1); two steps are marked, one in each half, and the
target is the sum of their numbers. A network that cannot carry a number across the sequence can do
no better than predict the mean sum, 1: its squared error is then the variance of a sum of two
uniform numbers, 2 · 1/12 = 1/6 ≈ 0.167.

A plain RNN's gradient through many steps is a product of many Jacobians, so it vanishes (Bengio,
Simard & Frasconi, 1994); the LSTM's cell is carried from step to step by the forget gate alone,
c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t, so with f_t near 1 a number (and its gradient) survives many steps.

The three networks train with the same budget (`config`): Adam, learning rate 0.01, batches of 16,
`EPOCHS` epochs on 3,200 sequences. Measured on seeds 0, 1 and 2 (tests/sequences/test_memory.py):
at length 10 all three reach a test MSE under 0.05; at length 50 (`PROMISED_LENGTH`) the LSTM does
(it breaks through after 4 to 6 epochs) while the RNN stays above 0.1, near the mean's 0.167.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import nn

from playground.jobs.train import Config
from playground.training_lab.regularization import Variant

LENGTHS = (10, 25, 50, 100)  # what the page offers: from easy for all three to hard for all but the gated ones
PROMISED_LENGTH = 50  # the length where, over seeds 0-2, the LSTM learns (MSE < 0.05) and the RNN does not (> 0.1)
LEARNED_BELOW = 0.05  # a test MSE under this has learned the sum (the mean scores 0.167)
NOT_LEARNED_ABOVE = 0.1
KINDS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}  # spec layer type -> the name a page shows
HIDDEN = 32  # state units of each network
EPOCHS = 10  # the LSTM breaks through at length 50 after 4-6 epochs (seeds 0-2): 10 leaves room
BATCH_SIZE = 16
LR = 0.01
SEQUENCES = 4000  # 3,200 to train on, 800 to test on
MEAN_MSE = 1 / 6  # the test MSE of always predicting the mean sum, 1: Var(U + V) for U, V uniform on [0, 1)
WATCHED = "LSTM"  # the variant whose weights the job offers every epoch, for its gates


def dataset_params(length: int) -> dict:
    """The "adding" dataset's parameters for sequences of `length` steps."""
    return {"n": SEQUENCES, "length": int(length)}


def network_spec(kind: str, length: int, *, hidden: int = HIDDEN) -> dict:
    """A spec: one recurrent layer of `kind` ("rnn", "lstm" or "gru") reading [length, 2], keeping its
    last state, then a linear layer to one number (the predicted sum)."""
    if kind not in KINDS:
        raise ValueError(f"unknown recurrent layer {kind!r} (known: {', '.join(KINDS)})")
    return {"input_shape": [int(length), 2],
            "layers": [{"type": kind, "hidden_size": hidden, "num_layers": 1, "bidirectional": False, "keep": "last"},
                       {"type": "linear", "out_features": 1}]}


def variants(length: int, kinds=tuple(KINDS)) -> list[Variant]:
    """The networks to train side by side (`Variant`s named "RNN", "LSTM", "GRU"), for one length."""
    return [Variant(KINDS[kind], network_spec(kind, length)) for kind in kinds]


def config(seed: int = 0, *, epochs: int = EPOCHS) -> Config:
    """The training budget all three share (the one the tests check the promise with)."""
    return Config(optimizer="adam", lr=LR, batch_size=BATCH_SIZE, epochs=epochs, seed=int(seed))


def mean_prediction_mse(y_train: torch.Tensor, y_test: torch.Tensor) -> float:
    """The test MSE of the baseline that ignores the sequence and always predicts the training targets' mean."""
    return float(((y_test - y_train.mean()) ** 2).mean())


def final_mse(histories: dict) -> dict[str, float]:
    """Each variant's latest test MSE (its "val_loss"), from `regularization.histories` tables."""
    return {name: float(table["val_loss"].iloc[-1]) for name, table in histories.items() if len(table)}


def verdict(mse: float) -> str:
    """A few words on a test MSE: learned, not learned (near the mean's), or in between."""
    if mse < LEARNED_BELOW:
        return "learned the sum"
    if mse > 1.2 * MEAN_MSE:
        return "worse than the mean"
    if mse > NOT_LEARNED_ABOVE:
        return "no better than the mean" if mse > 0.8 * MEAN_MSE else "barely better than the mean"
    return "partly learned"


def marked_steps(sequence: torch.Tensor | np.ndarray) -> list[int]:
    """The (0-based) steps whose marker is 1, in one sequence (T, 2)."""
    return [int(t) for t in np.flatnonzero(np.asarray(sequence)[:, 1] > 0.5)]


# ----------------------------------------------------------------------------------------------
# The LSTM's gates, by hand


@dataclasses.dataclass
class Gates:
    """An LSTM layer's gates and states over one sequence, each (T, H): step t in row t.

    input i_t, forget f_t and output o_t are sigmoids in (0, 1); candidate g_t = tanh(·) in (-1, 1);
    cell c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t; hidden h_t = o_t ⊙ tanh(c_t).
    """

    input: np.ndarray
    forget: np.ndarray
    candidate: np.ndarray
    output: np.ndarray
    cell: np.ndarray
    hidden: np.ndarray


@torch.no_grad()
def lstm_gates(lstm: nn.LSTM, sequence: torch.Tensor) -> Gates:
    """The gates of `lstm`'s first layer (forward direction) over one `sequence` (T, F), from zero states.

    Computed step by step from the weights in PyTorch's layout: weight_ih (4H, F) and weight_hh (4H, H)
    stack the rows of the input, forget, candidate (g) and output gates, in that order:
        z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh;   i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)
    """
    w_ih, w_hh = lstm.weight_ih_l0.double(), lstm.weight_hh_l0.double()
    bias = ((lstm.bias_ih_l0 + lstm.bias_hh_l0).double() if lstm.bias
            else torch.zeros(w_ih.shape[0], dtype=torch.float64))
    x = torch.as_tensor(sequence).double()  # (T, F)
    hidden = w_hh.shape[1]
    h = torch.zeros(hidden, dtype=torch.float64)
    c = torch.zeros(hidden, dtype=torch.float64)
    rows: dict[str, list] = {name: [] for name in ("input", "forget", "candidate", "output", "cell", "hidden")}
    for x_t in x:
        z = w_ih @ x_t + w_hh @ h + bias  # (4H,)
        i, f, g, o = z.split(hidden)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        for name, value in zip(rows, (i, f, g, o, c, h)):
            rows[name].append(value)
    return Gates(**{name: torch.stack(values).numpy() if values else np.zeros((0, hidden))
                    for name, values in rows.items()})


def lstm_of(model: nn.Module) -> nn.LSTM:
    """The first `nn.LSTM` inside `model` (a network `network_spec("lstm", ...)` builds)."""
    found = next((m for m in model.modules() if isinstance(m, nn.LSTM)), None)
    if found is None:
        raise ValueError("the network has no LSTM layer")
    return found


def busiest_units(gates: Gates, count: int = 12) -> np.ndarray:
    """The indices (ascending) of the `count` units whose cell state moves most over the sequence:
    the ones worth drawing when there are too many to read."""
    spread = np.ptp(gates.cell, axis=0) if len(gates.cell) else np.zeros(gates.cell.shape[1])
    return np.sort(np.argsort(-spread, kind="stable")[:count])


def describe(sequence: torch.Tensor | np.ndarray) -> str:
    """One sequence's task in words: which (1-based) steps are marked, their numbers, and the sum to predict."""
    sequence = np.asarray(sequence, dtype=float)
    marked = marked_steps(sequence)
    if not marked:
        return f"{len(sequence)} steps, none marked"
    parts = [f"{sequence[t, 0]:.2f} (step {t + 1})" for t in marked]
    terms = " + ".join(f"{sequence[t, 0]:.2f}" for t in marked)
    return (f"{len(sequence)} steps; marked: " + " and ".join(parts)
            + f"; the target is {terms} = {sequence[marked, 0].sum():.2f}")
