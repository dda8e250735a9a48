"""The layer editor: a table of layers (type + settings) with each layer's output shape and check.

The rows live in session state; edits arrive through the table's change callback and are applied
to those rows, then the table is redrawn under a new key (so Streamlit's own edit record starts
clean). A bad row shows its message in its own line while the rest stays editable.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from playground import layer_table
from playground.figures import format_shape
from playground.layers import LAYERS


class LayerEditor:
    """Editable layers of one page, stored under `st.session_state[key]` as `{"type", "settings"}` rows."""

    def __init__(self, key: str):
        self.key = key

    @property
    def rows(self) -> list[dict]:
        return st.session_state.get(self.key, [])

    def set_layers(self, layers: list[dict]) -> None:
        """Replace every row (e.g. when a preset or an uploaded spec is loaded)."""
        st.session_state[self.key] = layer_table.layers_to_rows(layers)
        self._bump()

    def _bump(self) -> None:
        st.session_state[f"{self.key}.version"] = st.session_state.get(f"{self.key}.version", 0) + 1

    def _editor_key(self) -> str:
        return f"{self.key}.editor.{st.session_state.get(f'{self.key}.version', 0)}"

    def _apply_edits(self) -> None:
        edits = st.session_state.get(self._editor_key(), {})
        rows = [dict(r) for r in self.rows]
        for index, change in edits.get("edited_rows", {}).items():
            row = rows[int(index)]
            if "type" in change and change["type"] and change["type"] != row["type"] and "settings" not in change:
                row["settings"] = layer_table.template(change["type"])  # the new type's settings, not the old
            row.update({k: v for k, v in change.items() if k in ("type", "settings")})
        for index in sorted(edits.get("deleted_rows", []), reverse=True):
            rows.pop(int(index))
        for added in edits.get("added_rows", []):
            layer_type = added.get("type") or "relu"
            rows.append({"type": layer_type, "settings": added.get("settings") or layer_table.template(layer_type)})
        st.session_state[self.key] = rows
        self._bump()

    def _move(self, index: int, step: int) -> None:
        rows = list(self.rows)
        target = index + step
        if 0 <= index < len(rows) and 0 <= target < len(rows):
            rows[index], rows[target] = rows[target], rows[index]
            st.session_state[self.key] = rows
            self._bump()

    def render(self, input_shape: list[int], *, locked: bool = False,
               hidden: bool = False) -> tuple[dict | None, list[dict]]:
        """Draw the table and the move controls; return `(spec or None, status rows)`.

        `locked`: an exercise fixes the layers (the page has put them in the rows): the table is shown
        read-only, without move controls. `hidden`: nothing is drawn but a note."""
        spec, table = layer_table.check_rows(input_shape, self.rows)
        if hidden:
            st.caption(":material/lock: The exercise sets the network's layers; they are not shown.")
            return spec, table
        if locked:
            st.caption(":material/lock: **Locked by the exercise**: these layers are the ones that train.")
        frame = pd.DataFrame({
            "type": [r["type"] for r in self.rows],
            "settings": [r["settings"] for r in self.rows],
            "output shape": [format_shape(t["output_shape"]) if t["output_shape"] else "" for t in table],
            "params": [t["params"] for t in table],
            "check": [("⚠ " + t["error"]) if t["error"] else "✓" for t in table],
        })
        st.data_editor(
            frame, key=self._editor_key(), on_change=None if locked else self._apply_edits,
            num_rows="fixed" if locked else "dynamic", hide_index=False, width="stretch",
            height=min(35 * (len(frame) + 2) + 3, 800),
            disabled=True if locked else ["output shape", "params", "check"],
            column_config={
                "type": st.column_config.SelectboxColumn("type", options=list(LAYERS), required=True, width="small",
                                                         help="The kind of layer"),
                "settings": st.column_config.TextColumn(
                    "settings", width="large",
                    help="key=value pairs separated by commas, e.g. out_channels=6, kernel_size=5, padding=2"),
                "output shape": st.column_config.TextColumn(
                    "output shape", width=110, help="channels×height×width, steps×features, or features"),
                "params": st.column_config.NumberColumn("params", format="localized", width="small",
                                                        help="learned weights and biases in this layer"),
                "check": st.column_config.TextColumn("check", width="medium"),
            },
        )
        for t in table:
            if t["error"] and not t["error"].startswith("waiting"):
                st.error(t["error"], icon="⚠️")
        if not locked:
            self._move_controls()
        return spec, table

    def _move_controls(self) -> None:
        if len(self.rows) < 2:
            return
        labels = [f"{i}: {r['type']}" for i, r in enumerate(self.rows)]
        left, up, down, _ = st.columns([3, 1, 1, 3], vertical_alignment="bottom")
        choice = left.selectbox("Move a layer", range(len(labels)), format_func=lambda i: labels[i],
                                key=f"{self.key}.move")
        up.button("↑ Up", key=f"{self.key}.up", on_click=self._move, args=(choice, -1), width="stretch")
        down.button("↓ Down", key=f"{self.key}.down", on_click=self._move, args=(choice, 1), width="stretch")


def layer_help() -> str:
    """Markdown listing each layer type, its settings and what it does."""
    lines = []
    for name, kind in LAYERS.items():
        keys = ", ".join(f"`{k}`" for k in kind.settings) or "no settings"
        lines.append(f"- **{name}** ({keys}): {kind.help}")
    return "\n".join(lines)


def preset_layers(preset_name: str, dataset_name: str, *, seed: int = 0) -> list[dict]:
    """The layers of preset `preset_name` sized for the dataset (mlp where the preset does not fit it).

    A dataset that needs a download is not made for this: its layers are sized for 1×28×28 inputs and
    10 classes, as such image sets have."""
    from playground import models
    from playground.ui import session

    ds = session.dataset(dataset_name, seed=seed) if session.dataset_info(dataset_name).offline else None
    shape, outputs = (None, None) if ds else ([1, 28, 28], 10)
    try:
        return models.preset(preset_name, ds, input_shape=shape, outputs=outputs)["layers"]
    except ValueError:
        return models.preset("mlp", ds, input_shape=None if ds else [784], outputs=outputs)["layers"]


def choose_preset(current: str, dataset_name: str, *, seed: int = 0, new_data: bool = False) -> str:
    """The preset to show for the dataset: `current` where it fits the data, else one that does.

    With `new_data` (the dataset was just picked) only image data keeps `current`; other data starts
    from its own preset (each sequence set has one) or, for flat data, the mlp."""
    from playground import presets
    from playground.ui import session

    info = session.dataset_info(dataset_name)
    shape = list(session.dataset(dataset_name, seed=seed).input_shape) if info.offline else [1, 28, 28]
    keep = current if info.kind == "image" or not new_data else None
    return presets.fitting_preset(shape, dataset=dataset_name, current=keep)
