"""Worst-case time to read an upload just under each of its limits, and to refuse one just past them.

Run from the repository root:  .venv/bin/python benchmarks/bench_uploads.py

Each limit of `Settings.upload_*` bounds the work one upload can cause. For each, a file just under
it (or, for tables, at the limits of columns and cells together) is read the whole way a page reads
it (`read_table` + `table_arrays` + `to_dataset`, or `read_image_zip` + `to_dataset`), in this
process, and timed; so is the 20 rows × 10,000 columns CSV that once kept a core busy for tens of
minutes. Target: every one in at most 2 s on one core of this machine. Also prints the growth of
this process's peak memory after each (a bound on what one upload holds while it is read).

Prints a table, PASS or FAIL for each target, and `RESULT: PASS` or `RESULT: FAIL` last.
"""

from __future__ import annotations

import io
import resource
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report import finish, table, verdict  # noqa: E402
from playground import uploads  # noqa: E402
from playground.settings import get_settings  # noqa: E402

TARGET_S = 2.0


def csv_bytes(rows: int, columns: int, cell: str = "1") -> bytes:
    """A header and `rows` lines of `columns` cells; the last column counts 0, 1, 2, 0, … (three classes)."""
    header = ",".join(f"c{i}" for i in range(columns))
    body = [",".join([cell] * (columns - 1) + [str(r % 3)]) for r in range(rows)]
    return ("\n".join([header, *body]) + "\n").encode()


def picture(kind: str, side: int, *, seed: int = 0, noisy_rows: int = 0) -> bytes:
    """A side × side colour picture of smooth stripes; every `noisy_rows`-th row a little noisy
    (0: none), so that a BMP does not compress to nothing (a zip bomb)."""
    rng = np.random.default_rng(seed)
    ramp = (np.add.outer(np.arange(side), 2 * np.arange(side)) % 256).astype(np.uint8)
    pixels = np.stack([ramp, ramp.T, ramp[::-1]], axis=-1)
    if noisy_rows:
        pixels[::noisy_rows] ^= rng.integers(0, 4, pixels[::noisy_rows].shape, dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, kind)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def read_csv(raw: bytes) -> str:
    frame = uploads.read_table(raw, filename="t.csv")
    arrays = uploads.table_arrays(frame, label=frame.columns[-1], filename="t.csv")
    arrays.to_dataset(seed=0)
    return f"{arrays.x.shape[0]:,} × {arrays.x.shape[1]:,} read"


def read_zip(raw: bytes) -> str:
    arrays = uploads.read_image_zip(raw, filename="z.zip")
    arrays.to_dataset(seed=0)
    return f"{len(arrays.x):,} pictures read"


def refused(read, raw: bytes) -> str:
    try:
        return read(raw)
    except uploads.UploadError as e:
        return "refused: " + str(e)[:70] + "…"


def cases(settings) -> list[tuple[str, object, bytes]]:
    columns, cells = settings.upload_max_columns, settings.upload_max_cells
    rows_at_columns = cells // columns - 1
    side = int(settings.upload_max_pixels**0.5) - 1  # the largest square picture allowed
    png = picture("PNG", side)
    per_picture = side * side
    images = settings.upload_max_images
    tiny = picture("PNG", 8)
    entries = {f"c{i % 2}/p{i}.png": tiny for i in range(images)}
    entries.update({f"c{i % 2}/notes{i}.txt": b"x" for i in range(settings.upload_max_zip_entries - images - 1)})
    # A flat JPEG is small, so many fit: each is decoded at an eighth of its side (`reduce_jpeg`).
    flat = io.BytesIO()
    Image.new("RGB", (side, side), (120, 30, 200)).save(flat, "JPEG")
    jpeg = flat.getvalue()
    jpegs = min(images, settings.upload_max_zip_pixels // (-(-side // 8)) ** 2,
                int(settings.upload_max_unpacked_mb * 2**20 / len(jpeg)))
    # 24-bit BMP: 3 bytes a pixel, deflated in the zip, so the unpacked limit is reached from 20 MB.
    bmp_side = 1600
    bmp = picture("BMP", bmp_side, noisy_rows=40)
    bmps = int(settings.upload_max_unpacked_mb * 2**20 / len(bmp))
    return [
        ("CSV 20 rows × 10,000 columns (the issue's file)", read_csv, csv_bytes(20, 10_000)),
        (f"CSV at the column and cell limits: {rows_at_columns:,} × {columns:,}", read_csv,
         csv_bytes(rows_at_columns, columns)),
        (f"CSV at the row and cell limits: {settings.upload_max_rows - 1:,} × {cells // settings.upload_max_rows}",
         read_csv, csv_bytes(settings.upload_max_rows - 1, cells // settings.upload_max_rows)),
        (f"CSV at the size limit: {settings.upload_max_mb:g} MB of numbers", read_csv,
         csv_bytes(int(settings.upload_max_mb * 2**20 / (100 * 8)), 100, "0.12345")),
        (f"zip at the entry limit: {images:,} pictures + other files", read_zip, zip_bytes(entries)),
        ("zip past the entry limit: 60,000 empty files", read_zip,
         zip_bytes({f"a/{i}.txt": b"" for i in range(60_000)}, zipfile.ZIP_STORED)),
        (f"zip at the pixel limit: PNGs of {side:,}² pixels", read_zip,
         zip_bytes({f"c{i % 2}/p{i}.png": png for i in range(settings.upload_max_zip_pixels // per_picture)})),
        (f"zip at the pixel and unpacked limits: {jpegs} JPEGs of {side:,}²", read_zip,
         zip_bytes({f"c{i % 2}/p{i}.jpg": jpeg for i in range(jpegs)})),
        (f"zip at the unpacked limit: {bmps} BMPs of {bmp_side:,}²", read_zip,
         zip_bytes({f"c{i % 2}/p{i}.bmp": picture("BMP", bmp_side, seed=i, noisy_rows=40) for i in range(bmps)})),
    ]


def main() -> None:
    began = time.perf_counter()
    settings = get_settings()
    rows = []
    for name, read, raw in cases(settings):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        outcome = refused(read, raw)
        seconds = time.perf_counter() - start
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
        rows.append([name, f"{len(raw) / 2**20:.1f}", seconds, f"{grown:.0f}", outcome,
                     verdict(name, seconds <= TARGET_S)])
    table(f"Reading an upload (target: at most {TARGET_S:g} s each)",
          ["file", "MB", "seconds", "peak +MB", "outcome", "verdict"], rows)
    finish(began)


if __name__ == "__main__":
    main()
