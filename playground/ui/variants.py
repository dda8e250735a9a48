"""Page machinery for side-by-side comparisons of network variants (the "variants" trainer).

`train_button` starts a comparison and shows why it could not start; `accuracy_board` is the live
board of a comparison that watches each variant's validation accuracy, and `curves_view` what the
page shows of it otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from playground.ui import jobs
from playground.ui.charts import chart


def train_button(label: str, key: str, start: Callable[[], str | None], *, disabled: bool = False) -> None:
    """A primary button that calls `start()` (it returns an error message, or None) and shows the error."""
    error_key = f"{key}.error"

    def press() -> None:
        st.session_state[error_key] = start()

    st.button(label, key=key, on_click=press, type="primary", disabled=disabled)
    if st.session_state.get(error_key):
        st.error(st.session_state.pop(error_key))


def accuracy_board(key: str, *, last: int = 1, caption: str | None = None) -> Callable:
    """A live board for the variants job under `key`: each variant's validation accuracy (the mean of its
    `last` epochs) and every variant's curves, for `jobs.job_panel(..., live=...)`."""
    names = [v.name for v in st.session_state.get(f"{key}.variants", [])]

    return jobs.variants_board(key, lambda tables: accuracy_texts(tables, last=last),
                               [f"Validation accuracy, {name}" for name in names], caption=caption)


def accuracy_texts(tables: dict, *, last: int = 1) -> dict[str, str]:
    """"Validation accuracy, <variant>" -> the mean of its `last` epochs' validation accuracy, as a percentage."""
    return {f"Validation accuracy, {name}": f"{table['val_acc'].tail(last).mean():.1%}"
            for name, table in tables.items()}


def curves_view(chart_key: str, *, last: int | None = None) -> Callable:
    """A `render(job)` for `jobs.job_panel` of a variants job: every variant's accuracy curves, under each
    variant's validation accuracy (the mean of its `last` epochs) when `last` is given."""
    from playground.figures.training_lab.variants import variant_curves_figure
    from playground.training_lab import regularization

    def render(job) -> None:
        tables = regularization.histories(job.series("rows"))
        if not tables:
            return
        if last is not None:
            for column, (label, text) in zip(st.columns(len(tables)), accuracy_texts(tables, last=last).items()):
                column.metric(label, text, help=f"mean of the last {last} epochs")
        chart(variant_curves_figure(tables, metric="acc"), key=chart_key)

    return render
