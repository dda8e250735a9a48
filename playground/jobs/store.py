"""The run store: every browser's runs (spec, settings, curves, latest weights) kept on disk.

A server keeps its runs in one SQLite file (the standard library's `sqlite3`), so a reload finds a
browser's runs again and a restart loses nothing that had finished. Runs are filed under an *owner*:
the SHA-256 of the browser's secret token (`owner_key`), so the file never holds the token itself.

Limits: past `max_bytes` of stored runs the oldest are dropped, and so is every run not written for
`max_age_s`. A run still training when the server stopped is marked "interrupted" when the store is
next opened (one server per store file: a second one would mark the first one's runs as well).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import logging
import math
import secrets
import sqlite3
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd

from playground.jobs.runs import RunRecord
from playground.jobs.train import ACTIVE, HISTORY_COLUMNS

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted"
INTERRUPTED_MESSAGE = ("The server stopped while this run was training. Its curves and weights are "
                       "those last saved; train it again to finish it.")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    uid TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    page TEXT NOT NULL,
    source TEXT NOT NULL,
    variant TEXT,
    status TEXT NOT NULL,
    error TEXT,
    dataset TEXT NOT NULL,
    spec TEXT NOT NULL,
    config TEXT NOT NULL,
    history TEXT NOT NULL,
    weights BLOB,
    job_id INTEGER,
    boot TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_owner ON runs (owner, created);
"""


def owner_key(token: str) -> str:
    """The name a browser's runs are filed under: the hex SHA-256 of its token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclasses.dataclass
class StoredRun:
    """A run read back from the store; `job_id` is its job's id while that job may still be running
    in this server process (None otherwise)."""

    record: RunRecord
    job_id: int | None = None


class RunStore:
    """Runs of every browser in one SQLite file, safe to use from many threads.

    `max_bytes` (None: no limit) bounds what the runs take (weights, curves and settings); `max_age_s`
    (None: no limit) drops runs not written for that long. Opening a store marks the runs that were
    still training in an earlier server process as interrupted.
    """

    def __init__(self, path: str | Path, *, max_bytes: int | None = None, max_age_s: float | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.boot = secrets.token_hex(8)  # this process's runs; active rows of another are interrupted
        self._lock = threading.Lock()
        # One connection shared under a lock: Streamlit serves each session from its own thread, and
        # the pool's listener thread saves finished runs. The timeout waits out another process's write.
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA auto_vacuum = FULL")  # the file shrinks when runs are dropped
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)
            marks = ",".join("?" * len(ACTIVE))
            self._db.execute(f"UPDATE runs SET status = ?, error = ? WHERE status IN ({marks})",
                             (INTERRUPTED, INTERRUPTED_MESSAGE, *ACTIVE))
        self.prune()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing ---------------------------------------------------------------------------------

    def save(self, owner: str, record: RunRecord) -> None:
        """Write `record` (a new run, or the latest state of one saved before) under `owner`."""
        history = json.dumps(_history_lists(record.history))
        dataset, spec, config = (json.dumps(x, default=str) for x in (record.dataset, record.spec, record.config))
        weights = record.weights
        job_id = record.job.id if record.job is not None else None
        size = len(history) + len(dataset) + len(spec) + len(config) + len(weights or b"")
        now = time.time()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.uid, owner, record.name, record.page, record.source, record.variant, record.status,
                 record.error, dataset, spec, config, history, weights, job_id, self.boot, record.created, now, size))
        self.prune()

    def delete(self, owner: str, uid: str) -> None:
        """Forget one run of `owner`."""
        with self._lock:
            self._db.execute("DELETE FROM runs WHERE owner = ? AND uid = ?", (owner, uid))

    def prune(self) -> int:
        """Drop runs past the age limit, then the oldest while the runs take more than the size
        limit; return how many were dropped."""
        dropped = 0
        with self._lock:
            if self.max_age_s is not None:
                dropped += self._db.execute("DELETE FROM runs WHERE updated < ?",
                                            (time.time() - self.max_age_s,)).rowcount
            if self.max_bytes is not None:
                dropped += self._db.execute(
                    "DELETE FROM runs WHERE uid IN (SELECT uid FROM (SELECT uid, SUM(size) OVER "
                    "(ORDER BY created DESC, rowid DESC) AS total FROM runs) WHERE total > ?)",
                    (self.max_bytes,)).rowcount
        return dropped

    # -- reading ---------------------------------------------------------------------------------

    def load(self, owner: str) -> list[StoredRun]:
        """The runs of `owner`, oldest first. A run that was training in another server process
        comes back "interrupted"."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM runs WHERE owner = ? ORDER BY created, rowid", (owner,)).fetchall()
            names = [d[0] for d in self._db.execute("SELECT * FROM runs LIMIT 0").description]
        return [self._stored(dict(zip(names, row))) for row in rows]

    def size_bytes(self) -> int:
        """What the stored runs take, as the size limit counts it."""
        with self._lock:
            return self._db.execute("SELECT COALESCE(SUM(size), 0) FROM runs").fetchone()[0]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def rows(self) -> list[dict]:
        """Every stored run as a dict of its columns (without the weights), oldest first."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT uid, owner, name, page, source, variant, status, error, dataset, spec, config, history, "
                "created, updated FROM runs ORDER BY created, rowid")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def _stored(self, row: dict) -> StoredRun:
        status, error = row["status"], row["error"]
        live = status in ACTIVE and row["boot"] == self.boot
        if status in ACTIVE and not live:
            status, error = INTERRUPTED, INTERRUPTED_MESSAGE
        record = RunRecord(name=row["name"], dataset=json.loads(row["dataset"]), spec=json.loads(row["spec"]),
                           config=json.loads(row["config"]), history=_history_frame(json.loads(row["history"])),
                           weights=row["weights"], status=status, source=row["source"], error=error,
                           created=row["created"], page=row["page"], variant=row["variant"], uid=row["uid"])
        return StoredRun(record, row["job_id"] if live else None)


def _history_lists(history: pd.DataFrame) -> dict:
    return {c: [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in history[c]]
            for c in history.columns}


def _history_frame(lists: dict) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([math.nan if v is None else v for v in lists.get(c, [])], dtype=float)
                          for c in HISTORY_COLUMNS})
    return frame


# -- the class's runs as one file ----------------------------------------------------------------

SUMMARY_COLUMNS = ["who", "run", "page", "dataset", "status", "started", "epochs", "train_loss", "train_acc",
                   "val_loss", "val_acc", "seconds", "optimizer", "lr", "batch_size", "settings", "layers"]
CURVE_COLUMNS = ["who", "run", *HISTORY_COLUMNS]


def export_zip(store: RunStore) -> bytes:
    """Every stored run as a zip of two CSV files: `runs.csv` (one row a run: who, by the first 8
    characters of the owner's hash, page, dataset, status, settings, final metrics) and `curves.csv`
    (one row an epoch of a run)."""
    runs_out, curves_out = io.StringIO(), io.StringIO()
    runs_csv, curves_csv = csv.writer(runs_out), csv.writer(curves_out)
    runs_csv.writerow(SUMMARY_COLUMNS)
    curves_csv.writerow(CURVE_COLUMNS)
    for row in store.rows():
        who = row["owner"][:8]
        history = json.loads(row["history"])
        epochs = len(history.get("epoch", []))
        final = {c: (history.get(c) or [None])[-1] if epochs else None for c in HISTORY_COLUMNS}
        config = json.loads(row["config"])
        layers = json.loads(row["spec"]).get("layers", [])
        runs_csv.writerow([who, row["name"], row["page"], json.loads(row["dataset"]).get("name", ""), row["status"],
                           time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["created"])), epochs,
                           *(final[c] for c in ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")),
                           config.get("optimizer"), config.get("lr"), config.get("batch_size"),
                           json.dumps(config, sort_keys=True), " → ".join(layer.get("type", "?") for layer in layers)])
        for i in range(epochs):
            values = ((history.get(c) or [None] * epochs)[i] for c in HISTORY_COLUMNS)
            curves_csv.writerow([who, row["name"], *values])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("runs.csv", runs_out.getvalue())
        archive.writestr("curves.csv", curves_out.getvalue())
    return buffer.getvalue()


# -- the process-wide store ------------------------------------------------------------------------

FILE_NAME = "runs.sqlite3"
_store: RunStore | None = None
_store_failed = False
_store_lock = threading.Lock()


def get_store() -> RunStore | None:
    """The server's store, opened on first use in the settings' `run_store_dir`; None when that
    setting is empty or the folder cannot be written (runs then live only in the session)."""
    global _store, _store_failed
    from playground.settings import get_settings

    with _store_lock:
        if _store is None and not _store_failed:
            settings = get_settings()
            if not settings.run_store_dir:
                _store_failed = True
                return None
            try:
                _store = RunStore(Path(settings.run_store_dir).expanduser() / FILE_NAME,
                                  max_bytes=int(settings.run_store_max_mb * 2**20),
                                  max_age_s=settings.run_store_max_days * 86400)
            except (OSError, sqlite3.Error) as e:
                log.warning("runs are not kept on disk: cannot open the run store in %s (%s)",
                            settings.run_store_dir, e)
                _store_failed = True
        return _store
