"""Where a run's data lives: on the training device, moved once for the whole run, when it fits there.

Moving a whole dataset to a GPU once costs one copy; moving each batch costs one small copy (and a wait)
per step, which on a small network can take longer than the step itself. But a dataset larger than the
GPU's free memory cannot go there whole: it stays on the CPU and its batches move one at a time.
`place` makes that choice, once per run, for every trainer that feeds a model from a dataset.
"""

from __future__ import annotations

import dataclasses
import itertools

import torch

# The data may take at most this share of the device's free memory: the rest is left for the weights,
# the optimizer's state, the activations kept for the backward pass and the evaluation's chunks.
DEVICE_SHARE = 0.5


def fits_on_device(nbytes: int, device: torch.device | str, *, share: float = DEVICE_SHARE) -> bool:
    """Whether `nbytes` of data may stay on `device` for a whole run: always on the CPU; on a GPU when
    they take at most `share` of the memory it has free now (`torch.cuda.mem_get_info`)."""
    device = torch.device(device)
    if device.type != "cuda":
        return True
    free, _total = torch.cuda.mem_get_info(device)
    return nbytes <= share * free


def is_on(tensor: torch.Tensor, device: torch.device | str) -> bool:
    """Whether `tensor` is on `device` ("cuda" without an index means the current GPU)."""
    device = torch.device(device)
    if tensor.device.type != device.type:
        return False
    if device.type != "cuda" or device.index is None:
        return True
    return tensor.device.index == device.index


def to_device(tensor: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """`tensor` copied to `device` (the tensor itself when it is there already)."""
    return tensor.to(device)


def place(tensors, device: torch.device | str) -> tuple[list[torch.Tensor], bool]:
    """`tensors` moved to `device` together when they fit there (`fits_on_device`, counting only those
    not there yet), else left where they are; and whether they are all on `device` now.

    When they are not, a trainer moves each batch it takes from them with `to_device`.
    """
    tensors = list(tensors)
    moving = [t for t in tensors if not is_on(t, device)]
    if not moving:
        return tensors, True
    if not fits_on_device(sum(t.numel() * t.element_size() for t in moving), device):
        return tensors, False
    return [t if is_on(t, device) else to_device(t, device) for t in tensors], True


def place_dataset(dataset, device: torch.device | str):
    """`dataset` (a `playground.data.Dataset`) with its x_train, y_train, x_test and y_test placed on
    `device` together by `place`: a new Dataset when any moved, else `dataset` itself."""
    parts = ("x_train", "y_train", "x_test", "y_test")
    before = [getattr(dataset, part) for part in parts]
    placed, _ = place(before, device)
    if all(new is old for new, old in zip(placed, before, strict=True)):
        return dataset
    return dataclasses.replace(dataset, **dict(zip(parts, placed, strict=True)))


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of `model`'s first parameter or buffer (the CPU for a module with neither)."""
    first = next(itertools.chain(model.parameters(), model.buffers()), None)
    return first.device if first is not None else torch.device("cpu")
