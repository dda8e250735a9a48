"""Settings that a server operator may change, read once from environment variables.

Every setting has a default that suits a laptop or a small hosted instance;
`PLAYGROUND_<NAME>` (upper case) overrides it, e.g. `PLAYGROUND_WORKERS=4`.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import psutil

# Each worker process that imports torch holds about 0.5 GB resident.
_WORKER_MEMORY_GB = 0.5
# Memory kept for the server process itself and the operating system.
_RESERVED_MEMORY_GB = 1.0


def default_worker_count() -> int:
    """One worker per core, as many as memory allows, at least one and at most four."""
    cores = os.cpu_count() or 1
    available_gb = psutil.virtual_memory().available / 2**30
    by_memory = int((available_gb - _RESERVED_MEMORY_GB) / _WORKER_MEMORY_GB)
    return max(1, min(cores, by_memory, 4))


@dataclasses.dataclass(frozen=True)
class Settings:
    """The knobs of one playground installation."""

    workers: int = dataclasses.field(default_factory=default_worker_count)
    # One intra-op thread per worker: jobs are small, and several workers share the cores.
    torch_threads: int = 1
    # Largest network `build` and `train.start` accept. `summarize` has no cap.
    max_params: int = 5_000_000
    # Largest number of values one layer may output for one example (guards memory).
    max_activation: int = 4_000_000
    # Jobs one browser session may run at once.
    max_jobs_per_session: int = 2
    # Jobs admitted to the workers at once; later ones queue and show their place.
    max_running_jobs: int = 64
    # A job whose session has stopped polling it for this long is stopped.
    abandon_after_s: float = 60.0
    # How long a worker runs one job before turning to the next.
    slice_s: float = 0.05
    # How much the workers give way to the web server (a Unix nice value, 0 to 19): when the cores
    # are all busy, answering pages comes first and training takes the time left.
    worker_nice: int = 5
    # Where torchvision datasets are stored (MNIST, Fashion-MNIST, CIFAR-10).
    data_dir: str = str(Path.home() / ".cache" / "neural-playground" / "data")
    # Largest CSV or zip a user may upload, in megabytes. Uploads stay in the session's memory.
    upload_max_mb: float = 20.0
    # Most rows of an uploaded CSV: enough for classic tables, small enough to train in seconds.
    upload_max_rows: int = 50_000
    # Most images in an uploaded zip, and the largest side they are shrunk to: at most 3,000 colour
    # images of 32 × 32 pixels hold about 37 MB of the session's memory.
    upload_max_images: int = 3_000
    upload_image_side: int = 32
    # Bounds on the work one upload can cause, each checked before that work starts, so that reading
    # any file a form accepts takes at most a second or two of one core (figures in the README):
    # columns and cells (rows × columns) of a CSV table; 1,000 columns fit a CSV of 28 × 28 digits.
    upload_max_columns: int = 1_000
    upload_max_cells: int = 5_000_000
    # Entries of an image zip (pictures, folders and other files together), and the megabytes they
    # unpack to (pictures hardly compress, so this is well above the upload limit).
    upload_max_zip_entries: int = 10_000
    upload_max_unpacked_mb: float = 60.0
    # Pixels of one picture (larger ones are refused from their header, before decoding: picture
    # bombs), and pixels decoded for all the pictures of a zip together (a JPEG counts at the
    # reduced scale it is decoded at); decoding runs at about 70 million pixels a second.
    upload_max_pixels: int = 20_000_000
    upload_max_zip_pixels: int = 100_000_000
    # The datasets made from names (built-in sets, with their parameters) are kept server-wide for
    # every session to share: at most this many, and at most this many megabytes together.
    dataset_cache_entries: int = 8
    dataset_cache_mb: float = 1_500.0
    # Where the run store keeps every browser's runs (one SQLite file, runs.sqlite3), so that they
    # survive a reload and a restart. Empty: runs live only in each session's memory.
    run_store_dir: str = str(Path.home() / ".local" / "share" / "neural-playground")
    # Past this many megabytes of stored runs (weights, curves, settings) the oldest are dropped;
    # a small network's run takes tens of kilobytes, a CNN's a few hundred.
    run_store_max_mb: float = 500.0
    # Runs not written for this many days are dropped.
    run_store_max_days: float = 30.0
    # The secret that signs exercise links and files (HMAC-SHA256), so a student cannot edit what an
    # exercise locks. Empty: a random one is made once and kept in `exercise-secret` in the run
    # store's folder (or `data_dir` where that is empty). Changing it invalidates every link made before.
    exercise_secret: str = dataclasses.field(default="", repr=False)
    # Run the jobs on a Ray cluster instead of this machine's worker processes: "auto" for a cluster
    # started on this machine with `ray start --head`, or an address such as "ray://host:10001".
    # Empty: the local worker pool, and Ray is never imported (see the README's server section).
    ray_address: str = ""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read `PLAYGROUND_*` variables over the defaults; a malformed value raises ValueError."""
        environ = os.environ if environ is None else environ
        values = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(f"PLAYGROUND_{field.name.upper()}")
            if raw is None:
                continue
            kind = type(field.default) if field.default is not dataclasses.MISSING else int
            try:
                values[field.name] = kind(raw)
            except ValueError as e:
                raise ValueError(f"PLAYGROUND_{field.name.upper()}={raw!r} is not a valid {kind.__name__}") from e
        return cls(**values)


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings
