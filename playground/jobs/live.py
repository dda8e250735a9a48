"""Live views of running jobs that a browser reads directly, a few times a second.

While a job trains, a page does not redraw itself: it opens a *feed* — an unguessable token tied to a
function that says, as a small JSON-ready dict, what the page should show now — and the browser asks
for it (`GET /api/live/<token>`, served by `playground.ui.live`) and draws the answer itself. Watching
a run then costs one small request per refresh instead of a whole page rerun: measured on the 2-D
Playground, a rerun took ~0.5 core-seconds of server and browser work under load, a feed read a few
milliseconds.

A view is a dict with at least "status" (the job's status); the rest is what the page's live board
draws (see `playground.ui.live`): "metrics" (label -> text), "text", "progress" (0..1), "charts"
(id -> {"series": [...]}) and "scenes" (id -> drawing primitives in data coordinates).

Nothing here imports Streamlit.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

import numpy as np

from playground.live_encoding import clean, picture, picture_values, series

__all__ = ["FEEDS", "Cached", "Feeds", "clean", "job_view", "picture", "picture_values", "series",
           "training_producer"]

FEED_TTL_S = 90.0  # a feed nobody has read for this long is dropped (its page was closed)
SHARE_S = 0.1  # reads of one feed closer together than this share one answer (two boards, one page)


class _Feed:
    def __init__(self, produce: Callable[[], dict], job, clock: Callable[[], float]):
        self.produce = produce
        self.job = job
        self.lock = threading.Lock()
        self.read_at = clock()
        self.answer: tuple[float, dict] | None = None


class Feeds:
    """Tokens for live views: `open` one for a page's job, the browser `read`s it until it is closed.

    Safe to use from any thread (the server answers reads on its own threads)."""

    def __init__(self, *, ttl_s: float = FEED_TTL_S, clock: Callable[[], float] = time.monotonic):
        self._feeds: dict[str, _Feed] = {}
        self._lock = threading.Lock()
        self._ttl_s = ttl_s
        self._clock = clock

    def open(self, produce: Callable[[], dict], *, job=None) -> str:
        """A new token whose reads answer `produce()`; reading it also counts as watching `job`
        (unwatched session jobs are stopped by the pool)."""
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._sweep()
            self._feeds[token] = _Feed(produce, job, self._clock)
        return token

    def read(self, token: str) -> dict | None:
        """What the feed shows now, or None for an unknown, closed or expired token."""
        with self._lock:
            feed = self._feeds.get(token)
        if feed is None:
            return None
        now = self._clock()
        feed.read_at = now
        if feed.job is not None:
            feed.job.touch()
        with feed.lock:
            if feed.answer is not None and now - feed.answer[0] < SHARE_S:
                return feed.answer[1]
            answer = feed.produce()
            feed.answer = (now, answer)
            return answer

    def close(self, token: str | None) -> None:
        with self._lock:
            self._feeds.pop(token, None)

    def __contains__(self, token: str) -> bool:
        with self._lock:
            return token in self._feeds

    def __len__(self) -> int:
        with self._lock:
            return len(self._feeds)

    def _sweep(self) -> None:
        now = self._clock()
        for token in [t for t, f in self._feeds.items() if now - f.read_at > self._ttl_s]:
            del self._feeds[token]


FEEDS = Feeds()


def job_view(job) -> dict:
    """The common part of a training job's view: its status, progress, epoch (of how many) and the
    share of it done ("fraction"), place in the queue, error and device (with the machine, on a Ray cluster)."""
    return {"status": job.status, "progress": round(float(job.progress), 4),
            "epoch": min(max(int(job.epoch), 0), int(job.config.epochs)), "epochs": int(job.config.epochs),
            "fraction": round(float(job.fraction), 3),
            "queue_position": job.queue_position, "error": job.error, "device": job.where}


class Cached:
    """`produce(job)` computed again only when `mark(job)` changes: many reads of a feed between two
    updates from the worker cost one computation."""

    def __init__(self, job, produce: Callable[[object], dict], mark: Callable[[object], object]):
        self.job, self.produce, self.mark = job, produce, mark
        self._last: tuple[object, dict] | None = None

    def __call__(self) -> dict:
        mark = (self.job.status, self.mark(self.job))
        if self._last is None or self._last[0] != mark:
            self._last = (mark, self.produce(self.job))
        return self._last[1]


def training_producer(job) -> Callable[[], dict]:
    """A feed's producer for a plain training job (`train.start`): status, progress, epoch, speed and
    the loss and accuracy curves (`figures.training.curve_series`, made again only when new epochs
    arrived)."""
    from playground.figures.training import curve_series

    def charts(job) -> dict:
        history = job.history
        speed = history["samples_per_s"].to_numpy(dtype=float) if len(history) else np.array([])
        return {"charts": curve_series(history), "speed": float(speed[-1]) if len(speed) and np.isfinite(speed[-1])
                else None}

    cached = Cached(job, charts, mark=lambda j: j.rows)

    def produce() -> dict:
        return {**job_view(job), **cached()}

    return produce
