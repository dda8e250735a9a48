"""The live board: a page part that the browser redraws by itself while a job trains.

A page opens a feed for its job (`playground.jobs.live.FEEDS`) and mounts `board(...)` with the panels it
wants; the board's script asks `GET /api/live/<token>` every `interval` seconds (slower when answers
come slowly) and draws metrics, a status line with a progress bar, line charts, texts and canvas scenes
(pictures, lines, markers) from each answer, with no Streamlit rerun. When the job stops running the
board asks for one rerun (its "ended" trigger), so the page can show the finished state.

`routes()` is the server side: `app.py` passes it to `st.App`.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from playground.figures.style import BLUE, ORANGE
from playground.jobs.live import FEEDS
from playground.ui.share import presenting

_JS = (Path(__file__).with_name("live_board.js")).read_text(encoding="utf-8")
_CSS = """
/* Text that changes with every answer sits in boxes of fixed size (contain: strict), so a new number
   does not make the browser lay out the whole page again. */
.np-live { font-family: inherit; color: inherit; }
.np-live .np-metrics { display: flex; gap: 1.5rem; flex-wrap: wrap; margin: 0.25rem 0 0.5rem; }
.np-live .np-metric { flex: 1 1 0; min-width: 6rem; }
.np-live .np-metric-label { font-size: calc(0.875rem * var(--np-scale, 1)); opacity: 0.75; }
.np-live .np-metric-value { font-size: calc(2.25rem * var(--np-scale, 1)); line-height: 1.2; height: 1.2em;
  contain: strict; white-space: nowrap; }
.np-live .np-status { font-size: calc(1rem * var(--np-scale, 1)); margin: 0.25rem 0; height: 1.5em; line-height: 1.5;
  contain: strict; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.np-live .np-note { font-size: calc(0.9rem * var(--np-scale, 1)); padding: 0.5rem 0.75rem; border-radius: 0.5rem;
  background: rgba(28, 131, 225, 0.1); margin: 0.25rem 0; }
.np-live .np-note.np-error { background: rgba(213, 94, 0, 0.12); }
.np-live .np-bar { height: 0.5rem; border-radius: 0.25rem; background: rgba(128, 128, 128, 0.2); overflow: hidden;
  margin: 0.25rem 0 0.75rem; }
.np-live .np-bar > div { height: 100%; background: #0072B2; width: 0; }
.np-live .np-row { display: flex; gap: 1rem; }
.np-live .np-row > * { flex: 1 1 0; min-width: 0; }
.np-live canvas { display: block; width: 100%; }
.np-live .np-text { font-size: calc(0.95rem * var(--np-scale, 1)); white-space: pre-wrap; overflow-wrap: anywhere;
  overflow: hidden; contain: strict; margin: 0.25rem 0; padding: 0.5rem 0.75rem; border-radius: 0.5rem;
  background: rgba(128, 128, 128, 0.08); }
"""
# The styles travel with each board (in its data): a component's own `css` is not applied when its
# styles are not isolated, and they must not be, so that the page's text (what tests read) includes it.
_mount = st.components.v2.component("playground.live_board", js=_JS, isolate_styles=False)


def _endpoint(request: Request) -> JSONResponse:
    view = FEEDS.read(request.path_params["token"])
    headers = {"Cache-Control": "no-store"}
    if view is None:
        return JSONResponse({"status": "gone"}, status_code=404, headers=headers)
    only = request.query_params.get("only")
    return JSONResponse(_only(view, only.split(",")) if only else view, headers=headers)


def _only(view: dict, wanted: list[str]) -> dict:
    """`view` with just the charts and scenes named in `wanted`."""
    return {k: ({name: v for name, v in value.items() if name in wanted} if k in ("charts", "scenes") else value)
            for k, value in view.items()}


def routes() -> list[Route]:
    """The feed's address for the server (`st.App(routes=...)`), under the app's base path too."""
    paths = ["/api/live/{token}"]
    base = _base_path()
    if base:
        paths.append(f"/{base}/api/live/{{token}}")
    return [Route(path, _endpoint, methods=["GET"]) for path in paths]


def _base_path() -> str:
    try:
        return (st.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:  # noqa: BLE001 - config not loaded: no base path
        return ""


# ---- panels -------------------------------------------------------------------------------------


def metrics(*labels: str) -> dict:
    """Big numbers side by side, like `st.metric`: the view's "metrics" entries with these labels."""
    return {"kind": "metrics", "keys": list(labels)}


def status(title: str) -> dict:
    """`title` · status · epoch n of N · speed · device, a progress bar, and the queue place or error."""
    return {"kind": "status", "title": title}


def chart(chart_id: str, *, x_title: str, y_title: str, y_format: str = "number", height: int = 260,
          y_range: list[float] | None = None, empty: str = "No epochs yet") -> dict:
    """A line chart of the view's `charts[chart_id]["series"]`; y from 0 unless `y_range` fixes it.
    `y_format`: "number" or "percent"; `empty`: what it says before there is a point to draw. A series
    with "dash": "dash" is drawn dashed, with another true "dash" dotted and thin; one with "legend":
    False is left out of the legend."""
    return {"kind": "chart", "id": chart_id, "x_title": x_title, "y_title": y_title, "y_format": y_format,
            "height": height, "y_range": y_range, "empty": empty}


def scene(scene_id: str, frame: dict, *, height: int | None = None,
          margin: tuple[int, int, int, int] = (10, 10, 10, 10)) -> dict:
    """A canvas of the view's `scenes[scene_id]` over `frame` (what stays put: ranges, axes, texts,
    markers). `height` in pixels; without it the height follows the width (equal scales).
    `margin`: left, right, top, bottom in pixels."""
    return {"kind": "scene", "id": scene_id, "frame": frame, "height": height, "margin": list(margin)}


def text(text_id: str, *, height: int = 160, empty: str = "") -> dict:
    """A box of `height` pixels showing the view's `texts[text_id]` as written (line breaks kept, in a
    fixed-width font); `empty` until there is one."""
    return {"kind": "text", "id": text_id, "height": height, "empty": empty}


def row(*panels: dict) -> dict:
    """Panels side by side, sharing the width."""
    return {"kind": "row", "items": list(panels)}


def board(token: str, panels: list[dict], *, key: str, first: dict | None = None, interval: float = 0.5,
          notify: bool = True, only: list[str] | None = None, palette: list[str] | None = None) -> None:
    """Mount a live board reading feed `token`. `first`: a view to draw at once (so nothing flashes
    empty before the first answer). `notify`: rerun the page when the job stops running (one board
    per page should). `only`: the charts and scenes this board draws. Boards of one feed on a page
    share one request per refresh. `palette`: the colours of -1, 0 and 1 in its pictures ("#RRGGBB";
    blue–white–orange unless given); n colours are n evenly spaced stops from -1 to 1."""
    base = _base_path()
    url = (f"/{base}" if base else "") + f"/api/live/{token}"  # one address a feed: the page's boards share reads
    large = presenting()
    data = {"url": url, "interval": int(interval * 1000), "notify": notify, "panels": panels,
            "palette": list(palette or [BLUE, "#FFFFFF", ORANGE]), "scale": 1.35 if large else 1.0,
            "first": _only(first, only) if first and only else first,
            "token": token, "css": _CSS, "only": only}
    _mount(key=key, data=json.loads(json.dumps(data, allow_nan=False)), on_ended_change=_ended, width="stretch")


def _ended() -> None:
    """The board saw its job stop: the rerun this causes redraws the page in its finished state."""


def feed_for(key: str, job, producer) -> str:
    """The token of this session's feed for `job`, kept under session-state `key`: opened with
    `producer()` the first time, the feed of an earlier job closed."""
    held = st.session_state.get(key)
    if held is not None and held[0] == job.id and held[1] in FEEDS:
        return held[1]
    close_feed(key)
    token = FEEDS.open(producer(), job=job)
    st.session_state[key] = (job.id, token)
    return token


def close_feed(key: str) -> None:
    """Close the feed kept under session-state `key`, if any."""
    held = st.session_state.pop(key, None)
    if held is not None:
        FEEDS.close(held[1])
