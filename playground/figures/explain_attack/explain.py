"""Figures for looking inside a trained model: images, attribution maps, localization and attacks.

Images are floats in [0, 1] shaped (C, H, W) with C = 1 (grayscale) or 3 (RGB); attribution
maps are floats shaped (H, W). Every image panel has square pixels, row 0 at the top and no
axes, so a map lines up pixel for pixel with the image it explains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import (
    BLACK,
    DIVERGING,
    GREY,
    PALETTE,
    SEQUENTIAL,
    TRAIN_COLOR,
    VAL_COLOR,
    add_message,
    apply_style,
    line_width,
    message_figure,
    small_font_size,
    to_rgb_bytes,
)

# Heatmap opacity over the grayscale image: enough colour to read the map, enough image
# showing through to see which stroke or edge a hot spot sits on.
OVERLAY_OPACITY = 0.6
# ITU-R BT.601 luma weights: how bright R, G and B look to a person.
_LUMA = np.array([0.299, 0.587, 0.114])
_COLORBAR_THICKNESS = 10
_INPUT_TITLE = "input"
_UNIFORM_NAME = "uniform map (mask area)"
_CLEAN_NAME = "clean accuracy"
_NO_IMAGES = "No images"
_NO_METHODS = "No methods measured yet"
_NO_ATTACKS = "No attacks run yet"
_NO_STEPS = "No steps yet"
_MARKER_LIMIT = 30  # below this many points a line also gets markers
ZERO_MAP_NOTE = "zero everywhere:<br>nothing to show"  # drawn in place of an all-zero map


# --- arrays ----------------------------------------------------------------------------------


def _as_image(image: np.ndarray) -> np.ndarray:
    """One image as floats (C, H, W), C = 1 or 3; a bare (H, W) array counts as grayscale."""
    x = np.asarray(image, dtype=float)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[0] not in (1, 3):
        raise ValueError(f"an image must have shape (1 or 3, H, W), got {x.shape}")
    return x


def _as_map(attribution_map: np.ndarray, image: np.ndarray) -> np.ndarray:
    """An attribution map as finite floats (H, W), checked against the image's height and width."""
    m = np.asarray(attribution_map, dtype=float)
    if m.ndim == 3 and m.shape[0] == 1:
        m = m[0]
    if m.shape != image.shape[1:]:
        raise ValueError(f"an attribution map must have shape {image.shape[1:]} (H, W), got {m.shape}")
    return np.nan_to_num(m, nan=0.0, posinf=0.0, neginf=0.0)


def _rgb(image: np.ndarray) -> np.ndarray:
    """(C, H, W) floats in [0, 1] -> (H, W, 3) uint8 for `go.Image`."""
    return to_rgb_bytes(image[None])[0]


def _grayscale(image: np.ndarray) -> np.ndarray:
    """(C, H, W) floats -> (1, H, W) brightness; RGB is weighted by how bright each channel looks."""
    if image.shape[0] == 1:
        return image
    return np.tensordot(_LUMA, image, axes=1)[None]


def _peak(values: np.ndarray) -> float:
    """The largest |value|, or 0.0 for an empty array."""
    return float(np.max(np.abs(values), initial=0.0))


def normalize_map(attribution_map: np.ndarray) -> np.ndarray:
    """Divide a map by its own largest |value|, so its peak is ±1; an all-zero map stays zero.

    `attribution_map`: floats of any shape. Returns floats of the same shape in [-1, 1].
    Methods differ in scale by orders of magnitude; after this they compare by pattern.
    """
    m = np.nan_to_num(np.asarray(attribution_map, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    peak = _peak(m)
    return m / peak if peak > 0 else np.zeros_like(m)


def amplification_factor(perturbation: np.ndarray) -> int:
    """The whole number k that makes a perturbation visible: max |k·δ| ≤ 1, k as large as that allows.

    `perturbation`: floats, any shape, in pixel units (pixel range 0–1). An ε = 0.08 attack
    gives 12 (1 / 0.08 = 12.5). A zero perturbation, or one already reaching ±1, gives 1.
    """
    peak = _peak(np.nan_to_num(np.asarray(perturbation, dtype=float)))
    if peak <= 0:
        return 1
    # The tiny slack keeps 1 / 0.1 from landing on 9.999… and flooring to 9.
    return max(1, math.floor(1.0 / peak + 1e-9))


# --- traces ----------------------------------------------------------------------------------


def _image_trace(image: np.ndarray, *, name: str = "image", hover: bool = True) -> go.Image:
    """A `go.Image` of one (C, H, W) image; with `hover` off it lets the trace above answer."""
    if hover:
        return go.Image(z=_rgb(image), name=name, hovertemplate="row %{y}, column %{x}<extra></extra>")
    return go.Image(z=_rgb(image), name=name, hoverinfo="skip")


def _color_range(signed: bool, peak: float) -> dict:
    """zmin / zmax (and zmid) for a map whose largest |value| is `peak`."""
    top = peak if peak > 0 else 1.0  # an all-zero map still needs a colour range
    if signed:
        return {"colorscale": DIVERGING, "zmin": -top, "zmax": top, "zmid": 0.0}
    return {"colorscale": SEQUENTIAL, "zmin": 0.0, "zmax": top}


def _style_image_axes(fig: go.Figure) -> None:
    """Hide every axis, make pixels square and put row 0 at the top, in every subplot."""
    for xaxis in fig.select_xaxes():
        # Each subplot's x axis is anchored to its own y axis; a plain figure has x with y.
        xaxis.update(scaleanchor=xaxis.anchor or "y", scaleratio=1, constrain="domain", visible=False)
    fig.update_yaxes(autorange="reversed", constrain="domain", visible=False)


def _grid(n: int, columns: int) -> tuple[int, int]:
    """Rows and columns for `n` panels with at most `columns` per row."""
    cols = max(1, min(columns, n))
    return math.ceil(n / cols), cols


def _grid_subplots(titles: list[str], cols: int, rows: int, *, cell: int, large: bool) -> go.Figure:
    """`make_subplots` with spacing worked out in pixels, so titles fit whatever the row count."""
    height = rows * cell + 20
    title_room = (28 if large else 22) / height
    return make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        horizontal_spacing=min(0.03, 1 / cols) if cols > 1 else 0.0,
        vertical_spacing=min(title_room, 1 / (rows - 1)) if rows > 1 else 0.0,
    )


def _finish_grid(fig: go.Figure, *, height: int, large: bool) -> go.Figure:
    apply_style(fig, height=height, large=large)
    for annotation in fig.layout.annotations:
        annotation.font = {"size": small_font_size(large)}
    _style_image_axes(fig)
    fig.update_layout(margin={"t": 28 if large else 24})
    return fig


# --- one image, one map ----------------------------------------------------------------------


def image_figure(image: np.ndarray, *, title: str | None = None, large: bool = False) -> go.Figure:
    """One image with square pixels and no axes.

    `image`: floats (C, H, W) in [0, 1], C = 1 or 3. Returns a figure with one `go.Image`
    trace (grayscale drawn as equal R, G and B).
    """
    x = _as_image(image)
    fig = go.Figure(_image_trace(x))
    apply_style(fig, title=title, height=340 if large else 280, large=large)
    _style_image_axes(fig)
    return fig


def attribution_figure(
    image: np.ndarray,
    attribution_map: np.ndarray,
    *,
    signed: bool,
    overlay: bool = True,
    title: str | None = None,
    large: bool = False,
) -> go.Figure:
    """An attribution map as a heatmap, optionally over the grayscale image it explains.

    `image`: floats (C, H, W) in [0, 1], C = 1 or 3; `attribution_map`: floats (H, W), in
    the method's own units. `signed` maps get the diverging scale over ±max |map| (red for
    evidence for the class, blue against, white at zero); unsigned maps get the sequential
    scale from 0 to the map's maximum. With `overlay` the image, in grayscale so it does not
    compete with the colours, is drawn first as a `go.Image` and the heatmap goes on top
    at `OVERLAY_OPACITY`. Returns the traces [image, heatmap] or [heatmap].
    """
    x = _as_image(image)
    m = _as_map(attribution_map, x)
    fig = go.Figure()
    if overlay:
        fig.add_trace(_image_trace(_grayscale(x), hover=False))
    fig.add_trace(
        go.Heatmap(
            z=m,
            name="attribution",
            opacity=OVERLAY_OPACITY if overlay else 1.0,
            colorbar={"thickness": _COLORBAR_THICKNESS, "len": 0.9, "outlinewidth": 0},
            hovertemplate="row %{y}, column %{x}<br>attribution %{z:.3g}<extra></extra>",
            **_color_range(signed, _peak(m)),
        )
    )
    apply_style(fig, title=title, height=340 if large else 280, large=large)
    _style_image_axes(fig)
    return fig


# --- several methods side by side ------------------------------------------------------------

# Each normalised map is drawn against one of two shared colour axes, so each sign type
# needs only one colour bar. The ticks say "max" because every map is scaled to its own.
_SIGNED_AXIS = "coloraxis"
_UNSIGNED_AXIS = "coloraxis2"


def _shared_color_axis(signed: bool, *, both: bool, large: bool) -> dict:
    if signed:
        scale = {"colorscale": DIVERGING, "cmin": -1.0, "cmax": 1.0, "cmid": 0.0}
        ticks = {"tickvals": [-1, 0, 1], "ticktext": ["−max", "0", "+max"]}
    else:
        scale = {"colorscale": SEQUENTIAL, "cmin": 0.0, "cmax": 1.0}
        ticks = {"tickvals": [0, 1], "ticktext": ["0", "max"]}
    # With both kinds present the two colour bars share the right edge, signed on top.
    place = {"len": 0.45, "y": 1.0 if signed else 0.0, "yanchor": "top" if signed else "bottom"} if both else {}
    colorbar = {
        "thickness": _COLORBAR_THICKNESS,
        "outlinewidth": 0,
        "tickfont": {"size": small_font_size(large)},
        **ticks,
        **place,
    }
    return {**scale, "colorbar": colorbar}


def methods_figure(
    image: np.ndarray,
    maps: Mapping[str, np.ndarray],
    *,
    signed: Mapping[str, bool],
    overlay: bool = True,
    columns: int = 4,
    large: bool = False,
) -> go.Figure:
    """A grid: the image first, then one attribution map per method, each scaled to its own peak.

    `image`: floats (C, H, W) in [0, 1], C = 1 or 3. `maps`: method name -> floats (H, W);
    the names become the subplot titles, in order. `signed`: method name -> whether that map
    is signed. Every map is divided by its own max |value| (see `normalize_map`), so methods
    whose raw scales differ by orders of magnitude compare by pattern. Signed maps share the
    diverging colour axis "coloraxis" (−1..1), unsigned ones the sequential "coloraxis2"
    (0..1): one colour bar per sign type in use. The first subplot holds one `go.Image` of
    the image in its own colours; each method subplot holds a grayscale `go.Image` (with
    `overlay`) and a `go.Heatmap`; a map that is zero everywhere gets no heatmap but the note
    `ZERO_MAP_NOTE` in its panel. `columns` panels per row.
    """
    x = _as_image(image)
    missing = [name for name in maps if name not in signed]
    if missing:
        raise ValueError(f"signed has no entry for {', '.join(map(repr, missing))}")
    titles = [_INPUT_TITLE, *(str(name) for name in maps)]
    rows, cols = _grid(len(titles), columns)
    cell = 230 if large else 180  # pixels per grid row, title included
    fig = _grid_subplots(titles, cols, rows, cell=cell, large=large)
    fig.add_trace(_image_trace(x, name=_INPUT_TITLE), row=1, col=1)
    gray = _grayscale(x)
    for i, (name, attribution_map) in enumerate(maps.items(), start=1):
        where = {"row": i // cols + 1, "col": i % cols + 1}
        if overlay:
            fig.add_trace(_image_trace(gray, hover=False), **where)
        if _peak(_as_map(attribution_map, x)) == 0:
            # A map of zeros would be drawn as one flat colour that reads as "everything equal": say it.
            fig.add_annotation(text=ZERO_MAP_NOTE, x=0.5, y=0.5, xref="x domain", yref="y domain", showarrow=False,
                               font={"size": small_font_size(large)}, bgcolor="rgba(255,255,255,0.85)", **where)
            continue
        fig.add_trace(
            go.Heatmap(
                z=normalize_map(_as_map(attribution_map, x)),
                name=str(name),
                coloraxis=_SIGNED_AXIS if signed[name] else _UNSIGNED_AXIS,
                opacity=OVERLAY_OPACITY if overlay else 1.0,
                hovertemplate=f"{name}<br>row %{{y}}, column %{{x}}<br>%{{z:.0%}} of its max<extra></extra>",
            ),
            **where,
        )
    kinds = {bool(signed[name]) for name, m in maps.items() if _peak(_as_map(m, x)) > 0}
    for kind in kinds:
        axis = _SIGNED_AXIS if kind else _UNSIGNED_AXIS
        fig.update_layout({axis: _shared_color_axis(kind, both=len(kinds) == 2, large=large)})
    return _finish_grid(fig, height=rows * cell + 20, large=large)


# --- localization ----------------------------------------------------------------------------

_LOCALIZATION_COLUMNS = ("method", "trained", "randomized", "uniform")


def localization_figure(table: pd.DataFrame, *, large: bool = False) -> go.Figure:
    """How much of each method's attribution falls inside the object, for a trained and a random model.

    `table`: one row per method with columns `method` (name), `trained`, `randomized` and
    `uniform` (fractions 0..1: the share of the map's mass inside the object mask; `uniform`
    is what a flat map would score, i.e. the mask's share of the image). Returns two
    `go.Bar` traces, "trained model" and "randomized model" (y = the table's columns), then
    one dashed `go.Scatter` "uniform map (mask area)": a single line across the plot when
    every method shares one mask area, else one short segment over each method's bars.
    The dashed line sits on a hidden overlaid x axis ("x2") whose range matches the
    category axis, so segments line up with their bars.
    """
    missing = [c for c in _LOCALIZATION_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"the localization table lacks column(s) {', '.join(missing)}")
    fig = go.Figure()
    fig.update_yaxes(title_text="attribution inside the object", tickformat=".0%", range=[0, 1.1])
    if table.empty:
        add_message(fig, _NO_METHODS, large=large)
        return apply_style(fig, height=340 if large else 300, large=large)

    methods = [str(m) for m in table["method"]]
    n = len(methods)
    for column, name, color in (
        ("trained", "trained model", TRAIN_COLOR),
        ("randomized", "randomized model", VAL_COLOR),
    ):
        fig.add_trace(
            go.Bar(
                x=methods,
                y=table[column].to_numpy(dtype=float),
                name=name,
                marker_color=color,
                texttemplate="%{y:.0%}",
                textposition="outside",
                cliponaxis=False,
                textfont={"size": small_font_size(large)},
                hovertemplate=f"%{{x}}<br>{name}: %{{y:.1%}} inside<extra></extra>",
            )
        )
    uniform = table["uniform"].to_numpy(dtype=float)
    if np.allclose(uniform, uniform[0]):
        line_x, line_y = [-0.5, n - 0.5], [uniform[0], uniform[0]]
    else:
        # Category i spans [i - 0.5, i + 0.5]; its bar pair fills about 80 % of that.
        line_x, line_y = [], []
        for i, u in enumerate(uniform):
            line_x += [i - 0.45, i + 0.45, None]
            line_y += [u, u, None]
    fig.add_trace(
        go.Scatter(
            x=line_x,
            y=line_y,
            xaxis="x2",
            mode="lines",
            name=_UNIFORM_NAME,
            line={"color": BLACK, "dash": "dash", "width": line_width(large)},
            hovertemplate=f"{_UNIFORM_NAME}: %{{y:.1%}}<extra></extra>",
        )
    )
    # Bars can't be zoomed usefully, and fixed ranges keep the overlaid axis aligned.
    fig.update_layout(
        barmode="group",
        xaxis={"type": "category", "range": [-0.5, n - 0.5], "fixedrange": True},
        xaxis2={"overlaying": "x", "range": [-0.5, n - 0.5], "visible": False, "fixedrange": True},
        yaxis={"fixedrange": True},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    )
    apply_style(fig, height=360 if large else 320, large=large)
    fig.update_layout(margin_t=40 if large else 30)
    return fig


# --- attacks ---------------------------------------------------------------------------------


def accuracy_curve_figure(
    curves: Mapping[str, pd.DataFrame], *, clean_accuracy: float | None = None, large: bool = False
) -> go.Figure:
    """Accuracy under attack against the attack strength ε, one line per attack.

    `curves`: attack name -> DataFrame with columns `epsilon` (pixel units, pixel range 0–1)
    and `accuracy` (fraction 0..1), one row per ε. Returns one `go.Scatter` per attack, in
    order, with markers, sorted by ε; with `clean_accuracy` (a fraction) a last dashed trace
    "clean accuracy" spans the full width on a hidden overlaid x axis ("x2", range 0..1).
    No curves gives empty axes with a note.
    """
    fig = go.Figure()
    for i, (name, frame) in enumerate(curves.items()):
        points = frame.sort_values("epsilon")
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=points["epsilon"].to_numpy(dtype=float),
                y=points["accuracy"].to_numpy(dtype=float),
                name=str(name),
                mode="lines+markers",
                line={"color": color, "width": line_width(large)},
                marker={"color": color, "size": 9 if large else 7},
                hovertemplate=f"{name}<br>ε %{{x:.3g}}: accuracy %{{y:.1%}}<extra></extra>",
            )
        )
    if not curves:
        fig.update_xaxes(range=[0, 0.3])
        add_message(fig, _NO_ATTACKS, large=large)
    elif clean_accuracy is not None:
        fig.add_trace(
            go.Scatter(
                x=[0.0, 1.0],
                y=[clean_accuracy, clean_accuracy],
                xaxis="x2",
                mode="lines",
                name=_CLEAN_NAME,
                line={"color": GREY, "dash": "dash", "width": line_width(large)},
                hovertemplate=f"{_CLEAN_NAME}: %{{y:.1%}}<extra></extra>",
            )
        )
        fig.update_layout(xaxis2={"overlaying": "x", "range": [0, 1], "visible": False, "fixedrange": True})
    fig.layout.xaxis.update(title_text="ε (pixel range 0–1)", rangemode="tozero")
    fig.update_yaxes(title_text="accuracy", tickformat=".0%", range=[0, 1.02])
    apply_style(fig, height=340 if large else 300, large=large)
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        margin_t=40 if large else 30,
    )
    return fig


def adversarial_figure(
    original: np.ndarray,
    perturbation: np.ndarray,
    adversarial: np.ndarray,
    *,
    labels: tuple[str, str, str],
    amplify: bool = True,
    large: bool = False,
) -> go.Figure:
    """Original, perturbation and adversarial image side by side.

    `original`, `adversarial`: floats (C, H, W) in [0, 1], C = 1 or 3; `perturbation`:
    floats (C, H, W) in pixel units (usually adversarial − original). `labels`: the three
    panel titles. The perturbation is a `go.Heatmap` on the diverging scale centred on zero
    (an RGB perturbation shows its mean over R, G and B: where the image got brighter or
    darker). Unamplified, the colour range is ±1, the whole pixel range, which shows how
    small the change is; with `amplify` the perturbation is multiplied by
    `amplification_factor` k and " ×k" is appended to the middle title (pass "perturbation",
    get "perturbation ×12"). The heatmap's colour bar is labelled in true pixel units (±1/k).
    Returns traces [Image, Heatmap, Image]; hovering the heatmap shows the true, unamplified δ.
    """
    before, after = _as_image(original), _as_image(adversarial)
    delta = np.nan_to_num(_as_image(perturbation), nan=0.0)
    if not before.shape[1:] == delta.shape[1:] == after.shape[1:]:
        raise ValueError(f"images differ in size: {before.shape}, {delta.shape}, {after.shape}")
    if len(labels) != 3:
        raise ValueError(f"labels must hold three panel titles, got {len(labels)}")
    k = amplification_factor(delta) if amplify else 1
    titles = [str(labels[0]), str(labels[1]) + (f" ×{k}" if k > 1 else ""), str(labels[2])]
    shown = delta.mean(axis=0)
    cell = 330 if large else 260
    fig = _grid_subplots(titles, 3, 1, cell=cell, large=large)
    fig.add_trace(_image_trace(before, name=titles[0]), row=1, col=1)
    channels = " (mean over R, G, B)" if delta.shape[0] == 3 else ""
    fig.add_trace(
        go.Heatmap(
            z=shown * k,
            customdata=shown,
            name=titles[1],
            colorscale=DIVERGING,
            zmin=-1.0,
            zmax=1.0,
            zmid=0.0,
            # The bar reads in true pixel units: the colour range ±1 of the amplified change is ±1/k of δ.
            colorbar={"thickness": _COLORBAR_THICKNESS, "outlinewidth": 0, "len": 0.8,
                      "title": {"text": "change", "side": "right"},
                      "tickvals": [-1, 0, 1], "ticktext": [f"−{1 / k:.3g}", "0", f"+{1 / k:.3g}"],
                      "tickfont": {"size": small_font_size(large)}},
            hovertemplate=f"row %{{y}}, column %{{x}}<br>δ %{{customdata:+.3f}}{channels}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.add_trace(_image_trace(after, name=titles[2]), row=1, col=3)
    return _finish_grid(fig, height=cell + 20, large=large)


# --- image grids and series ------------------------------------------------------------------


def image_grid_figure(images: np.ndarray, titles: Sequence[str], *, columns: int = 5, large: bool = False) -> go.Figure:
    """A grid of images, each with its title (class visualizations, fooling images).

    `images`: floats (N, C, H, W) in [0, 1], C = 1 or 3 (a list of (C, H, W) arrays works
    too); `titles`: N strings. Returns one `go.Image` per image, `columns` per row. N = 0
    gives an empty figure with a "No images" note.
    """
    titles = [str(t) for t in titles]
    n = len(images)
    if n == 0:
        return message_figure(_NO_IMAGES, large=large)
    pixels = to_rgb_bytes(np.stack([_as_image(image) for image in images]))
    if len(titles) != n:
        raise ValueError(f"got {n} images but {len(titles)} titles")
    rows, cols = _grid(n, columns)
    cell = 200 if large else 160  # pixels per grid row, title included
    fig = _grid_subplots(titles, cols, rows, cell=cell, large=large)
    for i in range(n):
        fig.add_trace(
            go.Image(z=pixels[i], name=titles[i], hovertemplate="row %{y}, column %{x}<extra></extra>"),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    return _finish_grid(fig, height=rows * cell + 20, large=large)


def series_figure(
    steps: Sequence[float],
    values: Sequence[float],
    *,
    y_title: str,
    title: str | None = None,
    percent: bool = False,
    large: bool = False,
) -> go.Figure:
    """One line of `values` against `steps` (say, the model's confidence at each optimisation step).

    `steps`, `values`: equal-length sequences of numbers. `y_title` labels the y axis;
    `percent` shows values (fractions 0..1) as a 0–100 % axis. Returns one `go.Scatter`
    named after `y_title`, with markers while there are few points; no steps gives empty
    axes with a note.
    """
    x = np.asarray(steps, dtype=float).ravel()
    y = np.asarray(values, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"got {x.size} steps but {y.size} values")
    y_format = ".1%" if percent else ".4g"
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            name=y_title,
            mode="lines+markers" if len(x) < _MARKER_LIMIT else "lines",
            line={"color": TRAIN_COLOR, "width": line_width(large)},
            marker={"color": TRAIN_COLOR, "size": 9 if large else 6},
            hovertemplate=f"step %{{x:.0f}}<br>{y_title} %{{y:{y_format}}}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text=y_title)
    if percent:
        fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    if len(x) == 0:
        fig.update_xaxes(range=[0, 10])
        add_message(fig, _NO_STEPS, large=large)
    return apply_style(fig, title=title, height=340 if large else 300, large=large)


__all__ = [
    "OVERLAY_OPACITY",
    "accuracy_curve_figure",
    "adversarial_figure",
    "amplification_factor",
    "attribution_figure",
    "image_figure",
    "image_grid_figure",
    "localization_figure",
    "methods_figure",
    "normalize_map",
    "series_figure",
]
