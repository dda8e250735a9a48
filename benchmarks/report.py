"""Printing for the benchmarks: aligned tables and PASS/FAIL verdicts collected for the last line."""

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
