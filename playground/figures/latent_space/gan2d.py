"""Figures for the 2-D GAN: the plane with the discriminator's verdict, the losses and the distance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.figures.style import (
    BLACK,
    BLUE,
    BLUISH_GREEN,
    DIVERGING,
    ORANGE,
    REDDISH_PURPLE,
    add_message,
    apply_style,
    line_width,
    small_font_size,
)

__all__ = ["ARROW_LENGTH", "DISTANCE_CHART", "LIVE_PALETTE", "LOSSES_CHART", "gan_curves_figure", "gan_plane_figure",
           "gan_series", "placement_figure", "plane_scene", "plane_scene_frame"]

ARROW_LENGTH = 0.5  # plane units of the longest arrow; the others keep their length relative to it
REAL_COLOR = BLUISH_GREEN
FAKE_COLOR = BLACK
ARROW_COLOR = ORANGE
_MAX_CURVE_POINTS = 1500  # rows drawn per curve; longer histories are thinned evenly


def _square_axes(fig: go.Figure, lo: float, hi: float, **where) -> None:
    fig.update_xaxes(range=[lo, hi], title_text="x₁", zeroline=False, constrain="domain", **where)
    fig.update_yaxes(range=[lo, hi], title_text="x₂", zeroline=False, scaleanchor="x", scaleratio=1,
                     constrain="domain", **where)


def _arrow_tips(points: np.ndarray, arrows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Where each arrow ends, scaled so the longest is ARROW_LENGTH, and which arrows get a head (a head
    on a near-zero arrow would only hide its point); None when every arrow has zero length."""
    lengths = np.linalg.norm(arrows, axis=1)
    longest = float(lengths.max()) if len(lengths) else 0.0
    if not math.isfinite(longest) or longest <= 0:
        return None
    return points + arrows * (ARROW_LENGTH / longest), lengths / longest > 0.05


def _arrow_traces(points: np.ndarray, arrows: np.ndarray, large: bool) -> list[go.Scatter]:
    """Line segments from each point along its arrow, scaled so the longest is ARROW_LENGTH, with heads."""
    found = _arrow_tips(points, arrows)
    if found is None:
        return []
    tips, visible = found
    xs = np.column_stack([points[:, 0], tips[:, 0], np.full(len(points), np.nan)]).ravel()
    ys = np.column_stack([points[:, 1], tips[:, 1], np.full(len(points), np.nan)]).ravel()
    # Plotly turns a marker clockwise from pointing up; the angle of (dx, dy) from the y axis, in degrees.
    angles = np.degrees(np.arctan2(arrows[:, 0], arrows[:, 1]))
    return [
        go.Scatter(x=xs, y=ys, mode="lines", name="where G moves them", legendgroup="arrows",
                   line={"color": ARROW_COLOR, "width": 1.5 if not large else 2.5}, hoverinfo="skip"),
        go.Scatter(x=tips[visible, 0], y=tips[visible, 1], mode="markers", showlegend=False, legendgroup="arrows",
                   marker={"symbol": "arrow", "angle": angles[visible], "size": 8 if not large else 11,
                           "color": ARROW_COLOR}, hoverinfo="skip"),
    ]


def gan_plane_figure(axis: np.ndarray, grid: np.ndarray | None, real: np.ndarray, fake: np.ndarray, *,
                     arrows: np.ndarray | None = None, large: bool = False, height: int | None = None) -> go.Figure:
    """The plane: D's probability of "real" as a heatmap, real and generated points, and G's arrows.

    axis: the grid's coordinates along x and along y (len G); grid: (G, G) values in [0, 1], row i at
    y = axis[i] (None hides the heatmap); real: (n, 2) target points (green circles); fake: (m, 2)
    generated points (black crosses); arrows: (m, 2) the direction each generated point is pushed.
    The heatmap is white where D cannot tell (0.5), red where it says real, blue where it says fake.
    """
    axis = np.asarray(axis, dtype=float)
    real, fake = np.asarray(real, dtype=float).reshape(-1, 2), np.asarray(fake, dtype=float).reshape(-1, 2)
    fig = go.Figure()
    if grid is not None:
        grid = np.asarray(grid, dtype=float)
        if grid.shape != (len(axis), len(axis)):
            raise ValueError(f"grid must be ({len(axis)}, {len(axis)}) to match the axis, got {grid.shape}")
        fig.add_trace(go.Heatmap(
            x=axis, y=axis, z=grid, zmin=0, zmax=1, zmid=0.5, colorscale=DIVERGING, zsmooth="best", opacity=0.8,
            name="D's verdict",
            colorbar={"title": {"text": "D: chance<br>it is real", "side": "top"}, "tickvals": [0, 0.25, 0.5, 0.75, 1],
                      "ticktext": ["0 fake", "0.25", "0.5 can't tell", "0.75", "1 real"], "len": 0.8, "thickness": 14},
            hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>D says real with chance %{z:.2f}<extra></extra>"))
    size = 7 if not large else 10
    fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real (target)",
                             marker={"symbol": "circle", "size": size, "color": REAL_COLOR, "opacity": 0.75,
                                     "line": {"color": "white", "width": 0.5}},
                             hovertemplate="real (%{x:.2f}, %{y:.2f})<extra></extra>"))
    if arrows is not None and len(fake):
        fig.add_traces(_arrow_traces(fake, np.asarray(arrows, dtype=float).reshape(-1, 2), large))
    fig.add_trace(go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated (G)",
                             marker={"symbol": "x-thin", "size": size + 1, "color": FAKE_COLOR,
                                     "line": {"color": FAKE_COLOR, "width": 2 if not large else 3}},
                             hovertemplate="generated (%{x:.2f}, %{y:.2f})<extra></extra>"))
    lo, hi = (float(axis.min()), float(axis.max())) if len(axis) else (-1.0, 1.0)
    _square_axes(fig, lo, hi)
    apply_style(fig, height=height or (560 if not large else 720), large=large)
    fig.update_layout(legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0})
    return fig


def _thin(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame) <= _MAX_CURVE_POINTS:
        return frame
    keep = np.unique(np.linspace(0, len(frame) - 1, _MAX_CURVE_POINTS).astype(int))
    return frame.iloc[keep]


def gan_curves_figure(history: pd.DataFrame, *, large: bool = False) -> go.Figure:
    """D's and G's losses per round (top) and the distance to the target (bottom), against the round.

    `history` has columns epoch (the round), d_loss, g_loss and distance (NaN where not measured).
    Dotted lines mark the losses at a perfect tie (D says 0.5 everywhere): 2·ln 2 for D, ln 2 for G.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("Losses", "Distance to the target (sliced Wasserstein)"))
    width = line_width(large)
    losses = _thin(history.dropna(subset=["d_loss", "g_loss"], how="all")) if len(history) else history
    if len(losses):
        for column, name, color, tie in (("d_loss", "D loss (inspector)", BLUE, 2 * math.log(2)),
                                         ("g_loss", "G loss (forger)", REDDISH_PURPLE, math.log(2))):
            fig.add_trace(go.Scatter(x=losses["epoch"], y=losses[column], name=name,
                                     mode="lines+markers" if len(losses) < 30 else "lines",
                                     line={"color": color, "width": width * 0.6}), row=1, col=1)
            fig.add_hline(y=tie, line={"color": color, "dash": "dot", "width": 1}, row=1, col=1)
    else:
        # An empty trace keeps the subplot's axes drawn, which the message is placed against.
        fig.add_trace(go.Scatter(x=[], y=[], showlegend=False, hoverinfo="skip"), row=1, col=1)
        add_message(fig, "No rounds yet", large=large, row=1, col=1)
    distances = history.dropna(subset=["distance"]) if len(history) and "distance" in history else history.iloc[0:0]
    if len(distances):
        distances = _thin(distances)
        mode = "lines+markers" if len(distances) < 60 else "lines"
        fig.add_trace(go.Scatter(x=distances["epoch"], y=distances["distance"], mode=mode, name="distance",
                                 showlegend=False, line={"color": ORANGE, "width": width}), row=2, col=1)
        fig.update_yaxes(rangemode="tozero", row=2, col=1)
    else:
        fig.add_trace(go.Scatter(x=[], y=[], showlegend=False, hoverinfo="skip"), row=2, col=1)
        add_message(fig, "No distance yet", large=large, row=2, col=1)
    fig.update_xaxes(title_text="round", row=2, col=1)
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_yaxes(title_text="distance", row=2, col=1)
    apply_style(fig, height=520 if not large else 680, large=large)
    fig.update_annotations(font_size=small_font_size(large) + 2)
    fig.update_layout(legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 0})
    return fig


def placement_figure(axis: np.ndarray, placed: np.ndarray, *, large: bool = False) -> go.Figure:
    """Clickable dots over the plane (trace 0, at every axis × axis point) and the placed points (trace 1).

    Clicking a dot adds it; clicking a placed point removes it (the page reads the selection).
    """
    axis = np.asarray(axis, dtype=float)
    xs, ys = np.meshgrid(axis, axis)
    placed = np.asarray(placed, dtype=float).reshape(-1, 2)
    fig = go.Figure([
        go.Scatter(x=xs.ravel(), y=ys.ravel(), mode="markers", name="click to add",
                   marker={"size": 11 if not large else 14, "color": "rgba(120,120,120,0.25)",
                           "line": {"color": "rgba(80,80,80,0.4)", "width": 1}},
                   hovertemplate="add (%{x:.1f}, %{y:.1f})<extra></extra>"),
        go.Scatter(x=placed[:, 0], y=placed[:, 1], mode="markers", name="your points (click to remove)",
                   marker={"size": 16 if not large else 20, "color": REAL_COLOR, "line": {"color": BLACK, "width": 1}},
                   hovertemplate="remove (%{x:.1f}, %{y:.1f})<extra></extra>"),
    ])
    pad = (axis[1] - axis[0]) / 2 if len(axis) > 1 else 0.5
    _square_axes(fig, float(axis.min()) - pad, float(axis.max()) + pad)
    apply_style(fig, height=380 if not large else 480, large=large)
    # Plotly's own drag mode (zoom) stays: in box-select mode a plain click no longer picks a point.
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return fig


# ---- the live board's version (drawn by the browser from plain data while a game runs) ---------------

# The heatmap's colours at the figure's 0.8 opacity over white: blue "fake", white "can't tell", red "real"
# (RdBu's ends and middle).
LIVE_PALETTE = ["#4D85BD", "#F9F9F9", "#C1464B"]
PLANE_TICKS = [-3, -2, -1, 0, 1, 2, 3]
LOSSES_CHART = {"x_title": "round", "y_title": "loss", "y_format": "number", "height": 230}
DISTANCE_CHART = {"x_title": "round", "y_title": "distance", "y_format": "number", "height": 200}
_HEAD = 0.12  # plane units of each stroke of an arrow's head
_HEAD_ANGLE = math.radians(28)


def plane_scene_frame(axis: np.ndarray, real: np.ndarray, *, heatmap: bool = True, large: bool = False) -> dict:
    """What stays put in the live plane: its range and axes, the real (target) points and, with the
    heatmap, the colour bar's meaning."""
    axis = np.asarray(axis, dtype=float)
    real = np.asarray(real, dtype=float).reshape(-1, 2)
    lo, hi = (float(axis.min()), float(axis.max())) if len(axis) else (-1.0, 1.0)
    frame = {"x_range": [lo, hi], "y_range": [lo, hi], "equal": True,
             "axes": {"x": "x₁", "y": "x₂", "ticks": [t for t in PLANE_TICKS if lo <= t <= hi]},
             "markers": [{"x": np.round(real[:, 0], 3).tolist(), "y": np.round(real[:, 1], 3).tolist(),
                          "color": REAL_COLOR, "size": 7 if not large else 10, "symbol": "circle", "edge": "#FFFFFF",
                          "edge_width": 0.5}],
             "font": small_font_size(large)}
    if heatmap:
        frame["colorbar"] = {"title": "D: chance it is real", "labels": ["0 fake", "0.5 can't tell", "1 real"]}
    return frame


def plane_scene(axis: np.ndarray, grid: np.ndarray | None, fake: np.ndarray, *, arrows: np.ndarray | None = None,
                large: bool = False) -> dict:
    """What moves in the live plane, as `gan_plane_figure` draws it: D's verdict (None: not shown), the
    generated points (black crosses) and G's arrows (longest ARROW_LENGTH, with heads)."""
    from playground.live_encoding import clean, picture

    axis = np.asarray(axis, dtype=float)
    fake = np.asarray(fake, dtype=float).reshape(-1, 2)
    scene: dict = {"images": [], "lines": [], "markers": []}
    if grid is not None:
        grid = np.asarray(grid, dtype=float)
        if grid.shape != (len(axis), len(axis)):
            raise ValueError(f"grid must be ({len(axis)}, {len(axis)}) to match the axis, got {grid.shape}")
        step = (axis[-1] - axis[0]) / (len(axis) - 1)
        scene["images"].append(picture(grid * 2 - 1, x=axis[0] - step / 2, y=axis[0] - step / 2,
                                       width=axis[-1] - axis[0] + step, height=axis[-1] - axis[0] + step))
    if arrows is not None and len(fake):
        arrows = np.asarray(arrows, dtype=float).reshape(-1, 2)
        found = _arrow_tips(fake, arrows)
        if found is not None:
            tips, headed = found
            segments = [np.column_stack([fake, tips])]
            back = -arrows[headed] / np.linalg.norm(arrows[headed], axis=1, keepdims=True)
            for turn in (_HEAD_ANGLE, -_HEAD_ANGLE):
                c, s = math.cos(turn), math.sin(turn)
                wing = np.column_stack([back[:, 0] * c - back[:, 1] * s, back[:, 0] * s + back[:, 1] * c]) * _HEAD
                segments.append(np.column_stack([tips[headed], tips[headed] + wing]))
            scene["lines"].append({"color": ARROW_COLOR, "width": 1.5 if not large else 2.5,
                                   "xy": clean(np.concatenate(segments))})
    scene["markers"].append({"x": clean(np.round(fake[:, 0], 3)), "y": clean(np.round(fake[:, 1], 3)),
                             "color": FAKE_COLOR, "size": 8 if not large else 11, "symbol": "cross",
                             "edge_width": 2 if not large else 3})
    return scene


def gan_series(history: pd.DataFrame) -> dict:
    """What `gan_curves_figure` draws, as the live board's two charts: "losses" (D's and G's, with their
    dotted tie lines) and "distance"."""
    from playground.live_encoding import series

    losses = _thin(history.dropna(subset=["d_loss", "g_loss"], how="all")) if len(history) else history
    lines = []
    if len(losses):
        rounds = losses["epoch"].to_numpy(dtype=float)
        for column, name, color, tie in (("d_loss", "D loss (inspector)", BLUE, 2 * math.log(2)),
                                         ("g_loss", "G loss (forger)", REDDISH_PURPLE, math.log(2))):
            lines.append(series(name, rounds, losses[column].to_numpy(dtype=float), color))
            lines.append({**series(f"{name} at a tie", [rounds[0], rounds[-1]], [tie, tie], color), "dash": True,
                          "legend": False})
    distances = (_thin(history.dropna(subset=["distance"])) if len(history) and "distance" in history
                 else history.iloc[0:0])
    return {"losses": {"series": lines},
            "distance": {"series": [series("distance", distances["epoch"].to_numpy(dtype=float),
                                           distances["distance"].to_numpy(dtype=float), ORANGE)]
                         if len(distances) else []}}
