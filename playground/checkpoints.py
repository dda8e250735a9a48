"""Save and load trained networks as safetensors files with their spec inside.

Only safetensors is read: a pickle (what `torch.save` writes) can run code when loaded, so it is
refused before anything in it is interpreted.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes
from torch import nn

from playground.links import LinkError, loads_bounded
from playground.models import SpecError, build

FORMAT = "neural-playground/1"
_MAX_HEADER = 16 * 2**20  # a header larger than this is not one of ours
# The header lists each tensor ({"dtype", "shape", "data_offsets"}) at depth 3; our metadata values
# are JSON text inside it, each parsed again with the usual bound of `loads_bounded`.
_MAX_HEADER_DEPTH = 8
_MAX_HISTORY_ROWS = 100_000  # epochs of a run's history: far above any run the playground allows


class CheckpointError(ValueError):
    """A file that is not a playground checkpoint, or whose weights do not fit its spec."""


def checkpoint_bytes(module: nn.Module, spec: dict, *, extra: dict[str, Any] | None = None) -> bytes:
    """The checkpoint as bytes: the module's state dict, with `spec` and `extra` (JSON) as metadata."""
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in module.state_dict().items()}
    metadata = {"format": FORMAT, "spec": json.dumps(spec)}
    for key, value in (extra or {}).items():
        metadata[key] = json.dumps(value)
    return save_bytes(state, metadata=metadata)


def save_checkpoint(module: nn.Module, spec: dict, path: str | Path, *, extra: dict[str, Any] | None = None) -> None:
    """Write `module`'s weights and `spec` to `path` as safetensors (see `checkpoint_bytes`)."""
    Path(path).write_bytes(checkpoint_bytes(module, spec, extra=extra))


def read_metadata(data: bytes) -> dict[str, Any]:
    """The JSON metadata of a checkpoint's bytes, decoded and checked; CheckpointError if it is not
    safetensors, or if a field the playground reads has the wrong shape (see `check_metadata`)."""
    if len(data) < 8:
        raise CheckpointError("This file is too short to be a checkpoint.")
    (size,) = struct.unpack("<Q", data[:8])
    if size > _MAX_HEADER or 8 + size > len(data):
        raise CheckpointError(_not_ours(data))
    try:
        header = loads_bounded(data[8:8 + size], max_depth=_MAX_HEADER_DEPTH, max_bytes=_MAX_HEADER)
    except LinkError:
        raise CheckpointError(_not_ours(data)) from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT or "spec" not in metadata:
        raise CheckpointError("This safetensors file has no network spec in it, so it was not saved by "
                              "the playground. Save checkpoints from the Build & Train page.")
    decoded = {}
    for key, value in metadata.items():
        if key == "format":
            decoded[key] = value
            continue
        if not isinstance(value, str):
            raise CheckpointError(f"This checkpoint's metadata is damaged: '{key}' is not text.")
        try:
            decoded[key] = loads_bounded(value, max_bytes=_MAX_HEADER, what=f"The checkpoint's '{key}'")
        except LinkError as e:
            raise CheckpointError(f"This checkpoint's metadata is damaged: {e}") from None
    check_metadata(decoded)
    return decoded


def check_metadata(metadata: dict[str, Any]) -> None:
    """CheckpointError naming the field unless the fields the playground reads have their shapes:
    `spec` an object; `name` text; `dataset` an object whose `name` is text, `seed` a whole number
    and `params` an object; `config` an object; `history` a list of rows (objects of numbers) or an
    object of columns (lists of numbers), `null` standing for a missing number. Other keys pass."""
    def bad(field: str, why: str) -> CheckpointError:
        return CheckpointError(f"This checkpoint's '{field}' {why}, so it was not saved by the playground.")

    if not isinstance(metadata.get("spec"), dict):
        raise bad("spec", "is not an object with input_shape and layers")
    if "name" in metadata and not isinstance(metadata["name"], str | None):
        raise bad("name", "is not text")
    if (dataset := metadata.get("dataset")) is not None:
        if not isinstance(dataset, dict):
            raise bad("dataset", "is not an object with the dataset's name")
        if not isinstance(dataset.get("name", ""), str):
            raise bad("dataset", "has a name that is not text")
        seed = dataset.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise bad("dataset", "has a seed that is not a whole number of at least 0")
        if not isinstance(dataset.get("params", {}), dict):
            raise bad("dataset", "has params that are not an object")
    if not isinstance(metadata.get("config", {}), dict | None):
        raise bad("config", "is not an object")
    if (history := metadata.get("history")) is not None:
        _check_history(history, bad)


def _check_history(history: Any, bad) -> None:
    def number(v: Any) -> bool:  # a JSON number a float can hold (10**400 is a valid JSON int)
        return v is None or isinstance(v, float) or (isinstance(v, int) and not isinstance(v, bool)
                                                     and abs(v) < 2**1023)

    def numbers(values: list) -> bool:
        return all(number(v) for v in values)

    if isinstance(history, list):
        if len(history) > _MAX_HISTORY_ROWS:
            raise bad("history", f"has more than {_MAX_HISTORY_ROWS:,} rows")
        if not all(isinstance(row, dict) and numbers(list(row.values())) for row in history):
            raise bad("history", "is not a list of rows of numbers")
    elif isinstance(history, dict):
        columns = list(history.values())
        if not all(isinstance(c, list) and len(c) <= _MAX_HISTORY_ROWS and numbers(c) for c in columns):
            raise bad("history", "is not an object of columns of numbers")
        if len({len(c) for c in columns}) > 1:
            raise bad("history", "has columns of different lengths")
    else:
        raise bad("history", "is not a list of rows or an object of columns")
    # Python reads 1e999 in JSON as infinity; an epoch must be a finite whole number.
    epochs = [row.get("epoch") for row in history] if isinstance(history, list) else history.get("epoch", [])
    if not all(e is None or (math.isfinite(e) and float(e).is_integer()) for e in epochs):
        raise bad("history", "has an epoch that is not a whole number")


def _not_ours(data: bytes) -> str:
    if data[:1] == b"\x80" or data[:2] == b"PK":
        return ("This looks like a PyTorch pickle (torch.save). Pickles can run code when loaded, so the "
                "playground only reads safetensors checkpoints. Save with the playground instead.")
    return "This is not a safetensors checkpoint."


def load_checkpoint(source: str | Path | bytes) -> tuple[nn.Module, dict]:
    """Read a checkpoint (a path or its bytes) into `(module, spec)`; CheckpointError if it is not one.

    The extra metadata saved with it is available through `read_metadata`.
    """

    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    metadata = read_metadata(data)
    try:
        state = load_bytes(data)
    except Exception as e:  # safetensors raises its own error type for damaged files
        raise CheckpointError(f"The weights in this checkpoint are damaged ({e}).") from None
    try:
        module = build(metadata["spec"])
    except SpecError as e:
        raise CheckpointError(f"The spec in this checkpoint is not valid: {e}") from None
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise CheckpointError(f"The weights do not fit the spec in this checkpoint: {e}") from None
    module.eval()
    return module, metadata["spec"]


def state_from_bytes(data: bytes) -> dict[str, torch.Tensor]:
    """A state dict from bare safetensors bytes (as workers send them)."""
    return load_bytes(data)
