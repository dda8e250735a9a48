"""The shared look of every playground figure: colours, scales, fonts and margins.

Colours come from the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2002),
which stays distinguishable for the common forms of colour blindness and on a washed-out
classroom projector. Where a colour carries meaning (right / wrong, error) the figure
also says it in text, so nothing depends on colour alone.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

# Okabe–Ito, by name.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"

TRAIN_COLOR = BLUE
VAL_COLOR = ORANGE
# Train and validation first, so traces without an explicit colour follow the same order.
PALETTE = [BLUE, ORANGE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, SKY_BLUE, YELLOW, BLACK]

CORRECT_COLOR = BLUISH_GREEN
WRONG_COLOR = VERMILLION
ERROR_COLOR = VERMILLION

# Viridis is perceptually uniform, readable in grey scale and by colour-blind viewers,
# and its dark-to-bright ramp survives a projector better than pale single-hue scales.
SEQUENTIAL = "Viridis"
# Red for positive, blue for negative, white at zero; red/blue stays distinct for
# red-green colour blindness. Centre it with `zmid=0` (or `cmid=0`) on the trace.
DIVERGING = "RdBu_r"

FONT_SIZE = 14
# For projecting in class: readable from the back of the room.
LARGE_FONT_SIZE = 20
FONT_FAMILY = "Inter, 'Helvetica Neue', Arial, sans-serif"


@dataclass(frozen=True)
class Style:
    """How large a figure's text, lines and markers are drawn: for a screen (`PLAIN`) or a projector
    (`PRESENTATION`). Sizes in pixels; the scales multiply a plain figure's own sizes."""

    font_size: int = FONT_SIZE  # base text: axis titles, ticks, legends
    small_font_size: int = 12  # secondary text: cell labels, subplot titles
    line_width: float = 2.0  # data lines
    marker_scale: float = 1.0
    height_scale: float = 1.0  # larger text takes room from the plot unless the figure grows
    dark_grid: bool = False  # projectors wash out pale greys

    @property
    def large(self) -> bool:
        """Whether this is a projector style (what the figure builders' `large=` asks for)."""
        return self.font_size > FONT_SIZE


PLAIN = Style()
PRESENTATION = Style(font_size=LARGE_FONT_SIZE, small_font_size=16, line_width=3.5, marker_scale=1.4,
                     height_scale=1.3, dark_grid=True)


def style_for(large: bool) -> Style:
    """`PRESENTATION` when `large`, else `PLAIN`."""
    return PRESENTATION if large else PLAIN


def font_size(large: bool = False) -> int:
    """Base font size in pixels: 14, or 20 when `large` (for a projector)."""
    return style_for(large).font_size


def small_font_size(large: bool = False) -> int:
    """Font size in pixels for secondary text (cell labels, subplot titles): 12 or 16."""
    return style_for(large).small_font_size


def line_width(large: bool = False) -> float:
    """Width in pixels of data lines: thicker for a projector."""
    return style_for(large).line_width


def apply_style(
    fig: go.Figure, *, title: str | None = None, height: int | None = None, large: bool = False
) -> go.Figure:
    """Give `fig` the playground look: white template, palette, readable fonts, tight margins.

    `title` is the figure title (none by default: pages usually put a heading above),
    `height` its height in pixels (left to Plotly when None), `large` switches to the
    projector font size. Changes `fig` in place and returns it, for chaining.
    """
    size = font_size(large)
    fig.update_layout(
        template="plotly_white",
        colorway=PALETTE,
        font={"family": FONT_FAMILY, "size": size, "color": "#000000" if large else "#222222"},
        hoverlabel={"font_size": size},
        legend={"font_size": size},
        margin={"l": 10, "r": 10, "t": (56 if large else 44) if title else 30, "b": 10},
    )
    if title is not None:
        fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left", "font_size": size + 4})
    if height is not None:
        fig.update_layout(height=height)
    # Axis titles and tick labels claim their own room, so the margins can stay small.
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if large:  # projectors wash out pale greys: darker grid and axis lines
        fig.update_xaxes(gridcolor="#B0B0B0", linecolor="#000000", zerolinecolor="#707070")
        fig.update_yaxes(gridcolor="#B0B0B0", linecolor="#000000", zerolinecolor="#707070")
    return fig


# Plotly's own defaults, for what a figure leaves unset.
_PLOTLY_FONT_SIZE = 12
_PLOTLY_HEIGHT = 450
_PLOTLY_MARKER_SIZE = 6
_THEME_TICK_SIZE = 12  # Streamlit's theme's tick labels (Plotly's default follows the layout's font)
_SCATTER_TYPES = {"scatter", "scattergl", "scatterpolar", "scatterpolargl", "scatterternary", "scatter3d"}
_CARTESIAN_TYPES = _SCATTER_TYPES - {"scatterpolar", "scatterpolargl", "scatterternary", "scatter3d"} | {
    "bar", "box", "violin", "histogram", "histogram2d", "histogram2dcontour", "heatmap", "contour", "image"}
_AXIS = re.compile(r"^[xy]axis\d*$")


def styled(fig: go.Figure, style: Style) -> go.Figure:
    """`fig` (any playground figure) redrawn in `style`; returns a new figure and leaves `fig` as it was.

    For a style larger than `PLAIN` every font size set anywhere (layout, titles, axes' titles and
    ticks, colour bars, legends, annotations, traces' text) grows by `style.font_size / 14`, as do the
    margins that hold text; data lines grow to `style.line_width / 2` times their width, markers by
    `style.marker_scale`, the height by `style.height_scale` (so that larger text does not squeeze
    the plot), and grids and axis lines darken. `PLAIN`, or a figure already built at the style's size
    (a builder's `large=True`), comes back as it is: `fig` itself.
    """
    font_scale = style.font_size / PLAIN.font_size
    built_size = fig.layout.font.size
    if style == PLAIN or (built_size is not None and built_size >= style.font_size and style.large):
        return fig
    spec = fig.to_dict()
    line_scale = style.line_width / PLAIN.line_width
    layout = spec.setdefault("layout", {})
    for trace in spec.get("data", []):
        _style_trace(trace, style, font_scale, line_scale)
    for frame in spec.get("frames", []):
        for trace in frame.get("data", []):
            _style_trace(trace, style, font_scale, line_scale)
        _scale_fonts({k: v for k, v in frame.get("layout", {}).items() if k != "template"}, font_scale)
    _scale_fonts({k: v for k, v in layout.items() if k != "template"}, font_scale)
    font = layout.setdefault("font", {})
    if font.get("size") is None:  # text that sets no size inherits this one
        font["size"] = round(_PLOTLY_FONT_SIZE * font_scale)
    if "uniformtext" in layout and layout["uniformtext"].get("minsize"):
        layout["uniformtext"]["minsize"] = round(layout["uniformtext"]["minsize"] * font_scale)
    for side, room in layout.get("margin", {}).items():  # the margins hold titles
        if side in "lrtb" and isinstance(room, (int, float)):
            layout["margin"][side] = round(room * font_scale)
    layout["height"] = round((layout.get("height") or _PLOTLY_HEIGHT) * style.height_scale)
    for shape in layout.get("shapes", []):
        if shape.get("line", {}).get("width"):
            shape["line"]["width"] *= line_scale
    # Text that sets no size of its own takes it from a template (Streamlit's sets 12 px ticks), which
    # the layout's font does not override: give it its size explicitly.
    size = font["size"]
    ticks = round(_THEME_TICK_SIZE * font_scale)
    if any(t.get("type", "scatter") in _CARTESIAN_TYPES for t in spec.get("data", [])):
        layout.setdefault("xaxis", {})
        layout.setdefault("yaxis", {})
    axes = [axis for key, axis in layout.items() if _AXIS.match(key) and isinstance(axis, dict)]
    for axis in axes:
        _default_size(axis, "tickfont", ticks)
        _default_size(axis.setdefault("title", {}), "font", size)
    bars = [t["colorbar"] for t in spec.get("data", []) if isinstance(t.get("colorbar"), dict)]
    bars += [t["marker"]["colorbar"] for t in spec.get("data", [])
             if isinstance(t.get("marker"), dict) and isinstance(t["marker"].get("colorbar"), dict)]
    bars += [v["colorbar"] for k, v in layout.items() if k.startswith("coloraxis") and "colorbar" in v]
    for bar in bars:
        _default_size(bar, "tickfont", ticks)
        _default_size(bar.setdefault("title", {}), "font", size)
    _default_size(layout.setdefault("legend", {}), "font", size)
    if style.dark_grid:
        font["color"] = BLACK if font.get("color") in (None, "#222222", "#444", "#444444") else font["color"]
        for axis in axes:
            axis.setdefault("gridcolor", "#B0B0B0")
            axis.setdefault("linecolor", BLACK)
            axis.setdefault("zerolinecolor", "#707070")
            axis["tickfont"].setdefault("color", BLACK)
        for bar in bars:
            bar["tickfont"].setdefault("color", BLACK)
    # The spec came from a valid figure and only sizes and colours changed: skip Plotly's checks,
    # which would cost more than the restyling on large pictures.
    return go.Figure(spec, _validate=False)


def _default_size(owner: dict, key: str, size: float) -> None:
    """Give `owner[key]` (a font) `size` unless it has a size of its own."""
    font = owner.setdefault(key, {})
    if font.get("size") is None:
        font["size"] = size


def _style_trace(trace: dict, style: Style, font_scale: float, line_scale: float) -> None:
    """Scale one trace's (as a dict) text, lines and markers in place."""
    _scale_fonts(trace, font_scale)
    if trace.get("type", "scatter") not in _SCATTER_TYPES:
        if trace.get("line", {}).get("width"):  # contour lines, box outlines
            trace["line"]["width"] *= line_scale
        return
    mode = trace.get("mode") or "lines+markers"
    if "lines" in mode:
        line = trace.setdefault("line", {})
        line["width"] = style.line_width if line.get("width") is None else _scaled(line["width"], line_scale)
    if "markers" in mode:
        marker = trace.setdefault("marker", {})
        size = marker.get("size")
        marker["size"] = _PLOTLY_MARKER_SIZE * style.marker_scale if size is None else _scaled(size, style.marker_scale)


def _scale_fonts(node: Any, scale: float) -> None:
    """Multiply the size of every font in `node` (nested dicts and lists from `to_dict`) by `scale`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("font") and isinstance(value, dict) and value.get("size") is not None:
                value["size"] = _scaled(value["size"], scale, whole=True)
            _scale_fonts(value, scale)
    elif isinstance(node, (list, tuple)):
        for item in node:
            if isinstance(item, (dict, list, tuple)):
                _scale_fonts(item, scale)


def _scaled(size: Any, scale: float, *, whole: bool = False) -> Any:
    """A size (or an array of sizes, one a point) times `scale`; font sizes rounded to whole pixels."""
    if isinstance(size, (int, float)):
        return round(size * scale) if whole else size * scale
    out = _array(size) * scale
    return np.rint(out) if whole else out


def _array(values: Any) -> np.ndarray:
    """Numbers from a figure's dict as floats: a list, or an array as `to_dict` writes it
    (`{"dtype": "f8", "bdata": <base64>, "shape": "2, 3"}`)."""
    if isinstance(values, dict) and "bdata" in values:
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        shape = values.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")] if shape else -1).astype(float)
    return np.asarray(values, dtype=float)


def add_message(
    fig: go.Figure,
    text: str,
    *,
    large: bool = False,
    row: int | None = None,
    col: int | None = None,
) -> go.Figure:
    """Write `text` in the middle of the plot area (or of subplot `row`, `col`); returns `fig`.

    Used for the empty states ("No epochs yet") so a page never shows a blank frame.
    """
    where = {"row": row, "col": col} if row is not None else {}
    fig.add_annotation(
        text=text,
        x=0.5,
        y=0.5,
        xref="x domain",
        yref="y domain",
        showarrow=False,
        font={"size": font_size(large) + 2, "color": "#555555"},
        **where,
    )
    return fig


def message_figure(text: str, *, large: bool = False, height: int = 160) -> go.Figure:
    """A figure with no axes that only says `text`: the empty state of a picture figure."""
    fig = go.Figure()
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    add_message(fig, text, large=large)
    return apply_style(fig, height=height, large=large)


def to_rgb_bytes(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1], C = 1 or 3 -> (N, H, W, 3) uint8 for `go.Image`."""
    x = np.asarray(images, dtype=float)
    if x.ndim == 3:  # (N, H, W): grayscale without a channel axis
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, 1 or 3, H, W), got {x.shape}")
    x = np.nan_to_num(x, nan=0.0)
    pixels = np.rint(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8).transpose(0, 2, 3, 1)
    if pixels.shape[-1] == 1:  # grayscale: equal R, G and B give the gray ramp
        pixels = np.repeat(pixels, 3, axis=-1)
    return pixels
