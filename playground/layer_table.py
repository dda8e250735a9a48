"""A spec's layers as an editable table: one row per layer, its settings written as `key=value` text.

`layers_to_rows` and `rows_to_layers` are opposites. `check_rows` reports, row by row, what each
layer outputs or what is wrong with it, so an editor can show every problem beside its row.
"""

from __future__ import annotations

import json
from typing import Any

from playground.layers import LAYERS, REQUIRED, SpecError
from playground.links import MAX_JSON_DEPTH, json_depth
from playground.models import MAX_LAYERS, summarize

_TEMPLATE_VALUES = {"out_features": 16, "out_channels": 8, "kernel_size": 3, "shape": [1, 8, 8],
                    "layers": [{"type": "relu"}], "branches": [[{"type": "identity"}]],
                    "hidden_size": 32, "num_embeddings": 64, "embedding_dim": 16}


def format_settings(layer: dict) -> str:
    """`{"type": "conv2d", "out_channels": 6, "kernel_size": 5}` -> `"out_channels=6, kernel_size=5"`."""
    parts = []
    for key, value in layer.items():
        if key == "type":
            continue
        text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))
        parts.append(f"{key}={text}")
    return ", ".join(parts)


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets, braces or quotes."""
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_settings(text: str) -> dict[str, Any]:
    """`"out_channels=6, kernel_size=5, bias=false"` -> a dict; ValueError saying what it cannot read.

    Values are read as JSON when they can be (numbers, true/false, lists), otherwise kept as text.
    """
    settings: dict[str, Any] = {}
    for part in _split_top_level(text or ""):
        key, sep, raw = part.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"cannot read {part!r}: write settings as key=value, separated by commas")
        if key in settings:
            raise ValueError(f"{key!r} is given twice")
        if (depth := json_depth(raw)) > MAX_JSON_DEPTH:  # deeper would overflow Python's parser
            raise ValueError(f"the value of {key!r} nests {depth:,} levels deep; at most {MAX_JSON_DEPTH} are allowed")
        try:
            settings[key] = json.loads(raw)
        except json.JSONDecodeError:
            if raw[:1] in "[{":
                raise ValueError(f"cannot read the value of {key!r}: {raw!r} is not valid JSON") from None
            settings[key] = raw.strip("\"'")
    return settings


def template(layer_type: str) -> str:
    """Settings text with every required key of `layer_type` filled with a typical value."""
    kind = LAYERS[layer_type]
    layer = {"type": layer_type}
    for key, setting in kind.settings.items():
        if setting.default is REQUIRED:
            layer[key] = _TEMPLATE_VALUES.get(key, 1)
    return format_settings(layer)


def layers_to_rows(layers: list[dict]) -> list[dict]:
    """One `{"type", "settings"}` row per top-level layer."""
    return [{"type": layer.get("type", ""), "settings": format_settings(layer)} for layer in layers]


def rows_to_layers(rows: list[dict]) -> list[dict]:
    """The layers the rows describe; ValueError naming the first row that cannot be read."""
    layers = []
    for i, row in enumerate(rows):
        try:
            layers.append({"type": row.get("type") or "", **parse_settings(row.get("settings") or "")})
        except ValueError as e:
            raise SpecError(f"Layer {i}: {e}", index=i, path=str(i), key="settings") from None
    return layers


def check_rows(input_shape: list[int], rows: list[dict]) -> tuple[dict | None, list[dict]]:
    """`(spec, table)`: the spec when every row is valid (else None) and one status row per layer.

    Each table row has `index`, `type`, `output_shape`, `params`, `detail` and `error` (a message,
    or "waiting for layer k" for rows after a bad one, or None). Rows past `MAX_LAYERS` are not
    checked: each says that a network may have no more.
    """
    if len(rows) > MAX_LAYERS:
        _, table = check_rows(input_shape, rows[:MAX_LAYERS])
        past = f"a network may have at most {MAX_LAYERS} layers: delete this one and those after it"
        return None, table + [{"index": i, "type": row.get("type"), "output_shape": None, "params": None,
                               "detail": "", "error": f"Layer {i}: {past}" if i == MAX_LAYERS else past}
                              for i, row in enumerate(rows[MAX_LAYERS:], MAX_LAYERS)]
    layers, table = [], []
    for i, row in enumerate(rows):
        try:
            layers.extend(rows_to_layers([row]))
        except SpecError as e:
            bad = {"index": i, "type": row.get("type"), "output_shape": None, "params": None, "detail": "",
                   "error": str(e).replace("Layer 0:", f"Layer {i}:", 1)}
            head = _top_rows(input_shape, layers) if layers else []
            return None, head + [bad] + _waiting(rows[i + 1:], i + 1, i)
    if not layers:
        return None, []
    try:
        table = _top_rows(input_shape, layers)
    except SpecError as e:  # the spec as a whole (e.g. its input shape), not one layer
        return None, [{"index": 0, "type": rows[0].get("type"), "output_shape": None, "params": None, "detail": "",
                       "error": str(e)}] + _waiting(rows[1:], 1, 0)
    bad = next((r["index"] for r in table if r["error"]), None)
    if bad is not None:
        for r in table:
            if r["index"] > bad:
                r["error"] = f"waiting for layer {bad}"
    return (None if bad is not None else {"input_shape": list(input_shape), "layers": layers}), table


def check_link_layers(value: Any) -> bool:
    """True when a link's layers can fill the table: a list of at most `MAX_LAYERS` objects, each
    with a text `type`; ValueError saying what is wrong otherwise (the link's warning shows it)."""
    if not isinstance(value, list):
        raise ValueError("it is not a list of layers")
    if len(value) > MAX_LAYERS:
        raise ValueError(f"a network may have at most {MAX_LAYERS} layers, this one has {len(value):,}")
    for i, layer in enumerate(value):
        if not isinstance(layer, dict) or not isinstance(layer.get("type", ""), str):
            raise ValueError(f"layer {i} is not an object with a 'type' (e.g. {{\"type\": \"relu\"}})")
    return True


def _top_rows(input_shape: list[int], layers: list[dict]) -> list[dict]:
    spec = {"input_shape": list(input_shape), "layers": layers}
    rows = summarize(spec, strict=False)
    top = {}
    for row in rows:
        if row["depth"] == 0:
            top[row["index"]] = dict(row)
        elif row["params"] is not None:  # a block's row counts the parameters of what it holds
            top[row["index"]]["params"] += row["params"]
    return [top[i] for i in sorted(top)]


def _waiting(rows: list[dict], start: int, bad: int) -> list[dict]:
    return [{"index": i, "type": row.get("type"), "output_shape": None, "params": None, "detail": "",
             "error": f"waiting for layer {bad}"} for i, row in enumerate(rows, start)]


def cap_message(table: list[dict], cap: int) -> str | None:
    """Why a network of these status rows cannot be trained or exported for its size, or None."""
    total = sum(t["params"] or 0 for t in table)
    if total <= cap:
        return None
    return (f"This network has {total:,} parameters, more than this installation trains ({cap:,}): make layers "
            "narrower (smaller out_features or out_channels) or use fewer of them.")
