"""Step-by-step controls shared by the convolution and pooling pages: Back, Next and a Position slider."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from playground.ui.urlstate import PageState


def step_through(state: PageState, name: str, count: int, *, key: str, single: str) -> int:
    """Draw Back / Next buttons and a Position slider over 1..`count`; returns the 1-based position.

    Field `name` holds the position; a position past a new, shorter walk goes back to 1. With a
    single position there is nothing to step through (a slider from 1 to 1 cannot be drawn), so
    `single` says why instead.
    """
    if not 1 <= state[name] <= count:
        state[name] = 1
    if count == 1:
        st.caption(single)
        return 1

    def move(delta: int) -> None:
        state[name] = min(max(state[name] + delta, 1), count)

    back, forward, position = st.columns([1, 1, 6], vertical_alignment="bottom")
    back.button("◀ Back", on_click=move, args=(-1,), key=f"{key}.back", width="stretch")
    forward.button("Next ▶", on_click=move, args=(1,), key=f"{key}.next", width="stretch")
    state.slider(name, "Position", low=1, high=count, container=position)
    return state[name]


def grid_editor(key: str, start: np.ndarray) -> np.ndarray:
    """A table of numbers to type into, starting from `start` (n, n); returns the grid as floats.

    The typed grid is kept under `key` while its size stays the same. Emptied cells count as 0.
    """
    kept = st.session_state.get(key)
    if kept is None or kept.shape != start.shape:
        kept = start
    edited = st.data_editor(pd.DataFrame(kept), key=f"{key}.editor.{start.shape[0]}", hide_index=True)
    grid = np.nan_to_num(edited.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float))
    st.session_state[key] = grid
    return grid
