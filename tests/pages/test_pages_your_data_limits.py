"""The Your data page with hostile files: a table far past the column limit is refused at once with
the limit in words, and a table at the limit is previewed and checked in well under a second or two."""

import time

from tests.pages.test_pages import open_page

PAGE = "pages/your_data.py"


def _wide_csv(rows: int, columns: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns))
    return ("\n".join([header] + [",".join(["1"] * (columns - 1) + [str(r % 3)]) for r in range(rows)])).encode()


def test_a_csv_of_20_rows_and_10000_columns_is_refused_with_the_limit():
    at = open_page(PAGE)
    start = time.perf_counter()
    at.file_uploader(key="yd.file").set_value(("wide.csv", _wide_csv(20, 10_000), "text/csv")).run()
    assert time.perf_counter() - start < 5.0
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == ["wide.csv has 10,000 columns; a table may have at most 1,000. Keep the "
                                           "columns to learn from and the one to predict."]
    assert "1,000 columns" in " ".join(c.value for c in at.caption)


def test_a_csv_at_the_column_limit_is_checked_and_offered():
    at = open_page(PAGE)
    at.file_uploader(key="yd.file").set_value(("limit.csv", _wide_csv(20, 1_000), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert len(at.multiselect(key="yd.features.c999").value) == 999
    assert any(b.label == "Add limit.csv to my datasets" for b in at.button)
