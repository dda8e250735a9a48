"""Printing for the benchmarks: aligned tables and PASS/FAIL verdicts collected for the last line."""

import os
import time

import psutil

results: list[tuple[str, bool]] = []


def verdict(name: str, ok: bool) -> str:
    """Record target `name` as met or not; return "PASS" or "FAIL" for the table."""
    results.append((name, ok))
    return "PASS" if ok else "FAIL"


def table(title: str, header: list[str], rows: list[list], *, float_format: str = ".3f") -> None:
    """Print `rows` under `header`, numbers right-aligned, floats with `float_format`."""
    print(f"\n{title}")
    cells = [header] + [[format(c, float_format) if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for k, row in enumerate(cells):
        padded = [c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        print("  " + "  ".join(padded))
        if k == 0:
            print("  " + "  ".join("-" * w for w in widths))


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def finish(began: float) -> None:
    """Print the closing lines: time taken, load, failed targets, and `RESULT: PASS` or `RESULT: FAIL`."""
    failed = [name for name, ok in results if not ok]
    print(f"\nfinished in {time.perf_counter() - began:.0f} s; load average {load()}; "
          f"failed: {', '.join(failed) or 'none'}")
    if os.getloadavg()[0] > psutil.cpu_count():
        print("note: other programs kept the cores busy during this run; its timings are unreliable")
    print("RESULT: FAIL" if failed else "RESULT: PASS")
