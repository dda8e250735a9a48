"""Drawing figures on a page in the session's style: `chart(fig, ...)` in place of `st.plotly_chart(fig, ...)`.

Figures are built the same whoever watches (`playground.figures` never asks); here, at the last
step, a projected session's figures get larger text, thicker lines and more height
(`playground.figures.style.styled`, with the style `share.current_style()` picks).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from playground.figures.style import styled
from playground.ui.share import current_style


def chart(figure_or_data: Any, *args: Any, container: Any = None, **kwargs: Any) -> Any:
    """`st.plotly_chart(figure_or_data, *args, **kwargs)` with the figure in the session's style.

    Takes the same arguments (and returns the same: the element, or the selection with `on_select`);
    `container` is where to draw it (a column, the sidebar; `st` by default), so `left.plotly_chart(fig)`
    becomes `chart(fig, container=left)`. A `height` in pixels grows with the figure's own height.
    """
    style = current_style()
    if isinstance(figure_or_data, go.Figure):
        figure_or_data = styled(figure_or_data, style)
    if isinstance(kwargs.get("height"), int) and not isinstance(kwargs["height"], bool):
        kwargs["height"] = round(kwargs["height"] * style.height_scale)
    return (container if container is not None else st).plotly_chart(figure_or_data, *args, **kwargs)
