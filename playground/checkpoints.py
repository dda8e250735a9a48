"""Save and load trained networks as safetensors files with their spec inside.

Only safetensors is read: a pickle (what `torch.save` writes) can run code when loaded, so it is
refused before anything in it is interpreted.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes
from torch import nn

from playground.models import SpecError, build

FORMAT = "neural-playground/1"
_MAX_HEADER = 16 * 2**20  # a header larger than this is not one of ours


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
    """The JSON metadata of a checkpoint's bytes, decoded; CheckpointError if it is not safetensors."""
    if len(data) < 8:
        raise CheckpointError("This file is too short to be a checkpoint.")
    (size,) = struct.unpack("<Q", data[:8])
    if size > _MAX_HEADER or 8 + size > len(data):
        raise CheckpointError(_not_ours(data))
    try:
        header = json.loads(data[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(_not_ours(data)) from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT or "spec" not in metadata:
        raise CheckpointError("This safetensors file has no network spec in it, so it was not saved by "
                              "the playground. Save checkpoints from the Build & Train page.")
    try:
        return {k: (v if k == "format" else json.loads(v)) for k, v in metadata.items()}
    except (json.JSONDecodeError, TypeError):  # TypeError: a value that is not a string
        raise CheckpointError("This checkpoint's metadata is damaged.") from None


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
