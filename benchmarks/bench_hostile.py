"""Hostile input, a busy class, and memory that comes back: one `streamlit run`, driven by Chromium.

Run from the repository root:  .venv/bin/python benchmarks/bench_hostile.py [memory] [hostile]

Two parts (default: both, on one server, memory first):

- `memory`: a warm-up session uploads a 3.8 MB zip of pictures on Your data and stays open (so the
  imports and first-use allocations are in the baseline). Then PLAYGROUND_MEMORY_SESSIONS (8) more
  sessions each upload the same zip and add it to their datasets, and close. The server's RSS is
  printed before, while they are open, and every 10 s for PLAYGROUND_AFTER_S (150) s after they
  closed. Streamlit keeps a closed session for `server.disconnectedSessionTTL` (120 s) in case it
  reconnects; `playground.ui.lifecycle` lets it go after that. Target: RSS at the end within
  MEMORY_MARGIN_MB of the baseline.
- `hostile`: PLAYGROUND_SESSIONS (10) sessions train on the 2-D Playground (the classroom benchmark's
  `playground2d` scenario, whose machinery this reuses) while one more session uploads hostile files
  again and again for the whole window: a 20 × 10,000 CSV, a zip of 20,000 entries, a zip holding a
  PNG whose header claims 100,000 × 100,000 pixels, a JSON spec nested 100,000 deep and a crafted
  checkpoint (a header that claims a huge tensor, and a spec nested 50,000 deep). Targets: the
  trainers' refresh p95 <= 1 s (from `bench_classroom.run`), and no upload shows a traceback.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks import bench_classroom  # noqa: E402
from benchmarks.bench_server import _end_leftover, _rss_mb, seen_workers  # noqa: E402
from benchmarks.report import finish, table, verdict  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

MEMORY_SESSIONS = int(os.environ.get("PLAYGROUND_MEMORY_SESSIONS", 8))
AFTER_S = float(os.environ.get("PLAYGROUND_AFTER_S", 150))
TRAINERS = int(os.environ.get("PLAYGROUND_SESSIONS", 10))
MEMORY_MARGIN_MB = 50.0  # what a long-lived server may keep: allocator caches, first-use imports
UPLOAD_WAIT_MS = 60_000


# ---- Files ---------------------------------------------------------------------------------------

def _png(width: int, height: int, pixels: bytes | None = None) -> bytes:
    """A PNG of `width` × `height` RGB; with `pixels` None, only a tiny IDAT (the header lies)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = pixels if pixels is not None else b"\0" * 16
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def picture_zip(target_mb: float = 3.8) -> bytes:
    """A zip of noise pictures in two class folders, about `target_mb` MB (noise does not compress)."""
    rng = np.random.default_rng(0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        k = 0
        while out.tell() < target_mb * 1e6:
            side = 40
            rows = b"".join(b"\0" + rng.integers(0, 256, side * 3, dtype=np.uint8).tobytes() for _ in range(side))
            archive.writestr(f"{('cats', 'dogs')[k % 2]}/{k:05d}.png", _png(side, side, rows))
            k += 1
    return out.getvalue()


def hostile_files(folder: Path) -> dict[str, tuple[str, Path]]:
    """name -> (page path, file): the hostile uploads, written into `folder`."""
    files: dict[str, tuple[str, bytes]] = {}
    header = ",".join(f"c{i}" for i in range(10_000))
    rows = "\n".join(",".join("1" for _ in range(10_000)) for _ in range(20))
    files["wide.csv"] = ("/your_data", (header + "\n" + rows + "\n").encode())
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w", zipfile.ZIP_STORED) as archive:
        for k in range(20_000):
            archive.writestr(f"c{k % 2}/{k}.png", b"")
    files["many.zip"] = ("/your_data", many.getvalue())
    huge = io.BytesIO()
    with zipfile.ZipFile(huge, "w") as archive:
        archive.writestr("a/huge.png", _png(100_000, 100_000))
        archive.writestr("b/huge.png", _png(100_000, 100_000))
    files["huge_png.zip"] = ("/your_data", huge.getvalue())
    files["deep.json"] = ("/build_train", ("[" * 100_000 + "]" * 100_000).encode())
    spec = "[" * 50_000 + "]" * 50_000
    head = json.dumps({"__metadata__": {"spec": spec, "name": "x" * 1000},
                       "w": {"dtype": "F32", "shape": [100_000, 100_000], "data_offsets": [0, 4]}}).encode()
    files["crafted.safetensors"] = ("/build_train", struct.pack("<Q", len(head)) + head + b"\0" * 4)
    written = {}
    for name, (path, raw) in files.items():
        (folder / name).write_bytes(raw)
        written[name] = (path, folder / name)
    return written


# ---- Driving the pages ---------------------------------------------------------------------------

def _upload(page, path: Path) -> None:
    page.locator('input[type="file"]').first.set_input_files(str(path))


def _said(page) -> str:
    """What the page says about an upload: its first error message, "TRACEBACK" if it shows one, or
    "(no message)" when neither appears within UPLOAD_WAIT_MS / 2."""
    shown = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').first
    try:
        shown.wait_for(timeout=UPLOAD_WAIT_MS / 2)
    except PlaywrightTimeout:
        return "(no message)"
    if page.locator('[data-testid="stException"]').count():
        return "TRACEBACK"
    return shown.inner_text()[:70]


def add_pictures(context, url: str, zip_path: Path) -> float:
    """Open Your data in `context`, upload the zip and add it; seconds taken."""
    began = time.perf_counter()
    page = context.new_page()
    page.set_default_timeout(UPLOAD_WAIT_MS)
    page.goto(url + "/your_data")
    page.get_by_text("Your own data").first.wait_for()
    _upload(page, zip_path)
    page.get_by_role("button", name=re.compile(r"^Add .* to my datasets$")).click()
    page.get_by_text("is ready").first.wait_for()
    return time.perf_counter() - began


def memory(server: Server, browser, folder: Path) -> None:
    process = psutil.Process(server.process.pid)
    zip_path = folder / "pictures.zip"
    zip_path.write_bytes(picture_zip())
    print(f"\n=== Memory: {MEMORY_SESSIONS} sessions each add a {zip_path.stat().st_size / 1e6:.1f} MB zip, "
          f"then close ===")
    warm = browser.new_context(viewport=bench_classroom.VIEWPORT)
    add_pictures(warm, server.url, zip_path)
    time.sleep(5)
    start = _rss_mb(process)
    rows = [["start (one warm session open)", start, 0.0]]
    contexts = [browser.new_context(viewport=bench_classroom.VIEWPORT) for _ in range(MEMORY_SESSIONS)]
    took = [add_pictures(c, server.url, zip_path) for c in contexts]
    print(f"each session uploaded and added its zip in {np.median(took):.1f} s (median)")
    during = _rss_mb(process)
    rows.append([f"{MEMORY_SESSIONS} more sessions open", during, during - start])
    for context in contexts:
        context.close()
    closed = time.perf_counter()
    while (waited := time.perf_counter() - closed) < AFTER_S:
        time.sleep(min(10.0, AFTER_S - waited))
        now = _rss_mb(process)
        rows.append([f"{time.perf_counter() - closed:.0f} s after they closed", now, now - start])
    end = rows[-1][1]
    warm.close()
    table("Server RSS (MB)", ["moment", "RSS", "change"], rows, float_format=".0f")
    table("Summary: memory", ["measure", "value", "target", "verdict"], [
        ["growth with the sessions open", f"{during - start:.0f} MB", "", "(no target)"],
        [f"RSS {AFTER_S:.0f} s after they closed, above the start", f"{end - start:.0f} MB",
         f"<= {MEMORY_MARGIN_MB:.0f} MB", verdict("memory returned", end - start <= MEMORY_MARGIN_MB)],
        ["share of the growth returned", f"{(during - end) / max(during - start, 1e-9):.0%}", "", "(no target)"],
    ])


def hostile(server: Server, browser, folder: Path) -> None:
    files = hostile_files(folder)
    context = browser.new_context(viewport=bench_classroom.VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(UPLOAD_WAIT_MS)
    outcomes: dict[str, list[tuple[float, str]]] = {name: [] for name in files}

    def uploads(seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            for name, (path, file) in files.items():
                if time.perf_counter() >= deadline:
                    break
                began = time.perf_counter()
                try:
                    page.goto(server.url + path)
                    page.get_by_text("Your own data" if path == "/your_data" else "Load a spec").first.wait_for()
                    _upload(page, file)
                    seen = _said(page)
                except PlaywrightTimeout:
                    seen = "TIMEOUT"
                outcomes[name].append((time.perf_counter() - began, seen.replace("\n", " ")))

    try:
        bench_classroom.run(bench_classroom.SCENARIOS["playground2d"], server, browser, sessions=TRAINERS,
                            during=uploads)
    finally:
        context.close()
    rows, bad = [], 0
    for name, seen in outcomes.items():
        bad += sum(s in ("TRACEBACK", "TIMEOUT", "(no message)") for _, s in seen)
        rows.append([name, len(seen), float(np.median([t for t, _ in seen])) if seen else float("nan"),
                     seen[-1][1] if seen else "(not reached)"])
    table("Hostile uploads during the window (one session, again and again)",
          ["file", "times", "median s to settle", "what the page said (last time)"], rows, float_format=".1f")
    table("Summary: hostile uploads", ["measure", "value", "target", "verdict"], [
        ["uploads that showed a traceback or no message", f"{bad} of {sum(len(s) for s in outcomes.values())}", "0",
         verdict("hostile uploads give messages", bad == 0)],
    ])


PARTS = {"memory": memory, "hostile": hostile}


def main() -> None:
    began = time.perf_counter()
    names = bench_classroom.start(PARTS, kind="part")
    if names is None:
        return
    folder = Path(tempfile.mkdtemp(prefix="bench_hostile_"))
    server = Server(folder / "streamlit.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                for name in names:
                    PARTS[name](server, browser, folder)
            finally:
                browser.close()
    finally:
        server.stop()
        _end_leftover(seen_workers)
    print(f"server log: {folder / 'streamlit.log'}")
    finish(began)


if __name__ == "__main__":
    main()
