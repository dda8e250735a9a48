"""Every page, tried the way a class tries it: every choice of every choice widget, and every link value.

Nothing here is a hand-picked list. The choice widgets are the ones each page draws (and those that
appear once another choice is made); the link values come from each page's own field declarations
(`playground.ui.urlstate`): each bound, just past it, empty text and garbage. A page may warn or
snap a value back, but must never show an exception.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import ButtonGroup, Multiselect, SelectSlider

from playground.ui.navigation import SECTIONS
from playground.ui.urlstate import RUN_STATES, Field

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = [entry.path for entries in SECTIONS.values() for entry in entries]
CHOICE_KINDS = ("selectbox", "radio", "pills", "segmented_control", "select_slider", "multiselect")
MAX_RUNS = 160  # per page: enough for every page's choices today, a bound if a page grows a huge list
EDGE_ONLY = 12  # a select slider with more options than this is tried at its ends and middle


def open_page(path: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    if path != "pages/home.py":
        at.switch_page(path)
    return at.run()


def raised(at: AppTest) -> list[str]:
    return [e.value for e in at.exception]


def page_fields(at: AppTest) -> dict[str, Field]:
    """The URL-backed fields the page declared in its last run."""
    return {name: field for state in at.session_state[RUN_STATES] for name, field in state.fields.items()}


# -- link values -------------------------------------------------------------------------------------

def _text(field: Field, value) -> str:
    try:
        return field.format(value)
    except Exception:
        return str(value)


def link_values(field: Field) -> dict[str, str]:
    """The texts to try for one field: at each bound, past each, empty and garbage."""
    values = {"empty": "", "garbage": "}{zz%", "huge": "1e999"}
    if field.options is not None:
        values["first"] = _text(field, field.options[0])
        values["last"] = _text(field, field.options[-1])
        values["unknown"] = "no-such-choice"
    if field.low is not None:
        values["low"] = _text(field, field.low)
        below = field.low - (field.step or 1)
        values["below"] = _text(field, below if isinstance(field.low, int) else float(below))
    if field.high is not None:
        values["high"] = _text(field, field.high)
        above = field.high + (field.step or 1)
        values["above"] = _text(field, above if isinstance(field.high, int) else float(above))
    return values


SCENARIOS = ("empty", "garbage", "huge", "first", "last", "unknown", "low", "below", "high", "above")
REFUSED = {"empty", "garbage", "huge", "unknown", "below", "above"}


@pytest.mark.parametrize("path", PAGES)
def test_every_link_value_at_and_past_its_bounds_gives_no_exception(path):
    at = open_page(path)
    assert not raised(at), raised(at)
    fields = page_fields(at)
    if not fields:
        pytest.skip(f"{path} keeps nothing in its link")
    for scenario in SCENARIOS:
        params = {}
        for name, field in fields.items():
            values = link_values(field)
            if scenario in values:
                params[name] = values[scenario]
        if not params:
            continue
        at = open_page(path, params)
        assert not raised(at), (scenario, params, raised(at))
        shown = page_fields(at)
        for name, field in shown.items():
            key = next(s.key(name) for s in at.session_state[RUN_STATES] if name in s.fields)
            if key in at.session_state:
                value = at.session_state[key]
                assert value == field.default or _allowed(field, value), (scenario, name, value)
        refused = [n for n in params if scenario in REFUSED and _refuses(fields[n], params[n])]
        if refused:
            warned = " ".join(w.value for w in at.warning)
            assert all(f"'{n}'" in warned for n in refused), (scenario, refused, warned)


def _allowed(field: Field, value) -> bool:
    try:
        return field.allows(value)
    except Exception:
        return False


def _refuses(field: Field, text: str) -> bool:
    try:
        return not field.allows(field.parse(text))
    except Exception:
        return True


def test_a_link_past_a_widget_bound_warns_instead_of_failing():
    at = open_page("pages/adversarial.py", {"attack": "pgd", "steps": "150"})
    assert not raised(at)
    assert at.slider(key="adv.steps").value == 20
    assert any("'steps'" in w.value and "150 is not from 1 to 100" in w.value for w in at.warning)


@pytest.mark.parametrize("text", ["", "x", "1.5", "nan", "inf", "-1e400", "3"])
def test_whole_number_fields_read_only_whole_finite_numbers(text):
    from playground.ui.urlstate import number

    field = number(3, 1, 10)
    try:
        value = field.parse(text)
    except ValueError:
        assert text != "3"
        return
    assert value == 3 and isinstance(value, int) and text == "3"


# -- choice widgets ----------------------------------------------------------------------------------

def _choices(at: AppTest):
    """(kind, widget) for every enabled choice widget of the page (not the sidebar's share panel)."""
    for kind in CHOICE_KINDS:
        for widget in getattr(at.main, kind):
            if not widget.disabled:
                yield kind, widget


def _identity(kind: str, widget) -> tuple:
    return kind, widget.key or widget.label


def _find(at: AppTest, ident: tuple):
    for kind, widget in _choices(at):
        if _identity(kind, widget) == ident:
            return widget
    return None


def pick(widget, formatted: str):
    """Choose the option shown as `formatted`, as a browser does (it sends the shown text back)."""
    many = isinstance(widget, SelectSlider | ButtonGroup | Multiselect)

    def state(self) -> WidgetState:
        ws = WidgetState()
        ws.id = self.id
        if many:
            ws.string_array_value.data[:] = [formatted]
        else:
            ws.string_value = formatted
        return ws

    base = type(widget)
    widget.__class__ = type(f"Picked{base.__name__}", (base,), {"_widget_state": property(state)})
    return widget


def _options_to_try(widget) -> list[str]:
    options = list(widget.options)
    if isinstance(widget, SelectSlider) and len(options) > EDGE_ONLY:
        return [options[0], options[len(options) // 2], options[-1]]
    return options


def explore(at: AppTest, seen: set, runs: list, depth: int = 0) -> list[str]:
    """Try each option of each choice widget not yet tried; returns what raised, with the path to it."""
    failures = []
    for kind, widget in list(_choices(at)):
        ident = _identity(kind, widget)
        if ident in seen:
            continue
        seen.add(ident)
        for option in _options_to_try(widget):
            if len(runs) >= MAX_RUNS:
                return failures
            current = _find(at, ident)
            if current is None:  # an earlier choice of this widget's own made it go
                break
            pick(current, option).run()
            runs.append((ident, option))
            if raised(at):
                failures.append(f"{ident} = {option!r}: {raised(at)[0][:300]}")
                return failures
            if depth < 2:
                failures += explore(at, seen, runs, depth + 1)
                if failures:
                    return failures
    return failures


@pytest.mark.parametrize("path", PAGES)
def test_every_option_of_every_choice_widget_renders(path):
    at = open_page(path)
    assert not raised(at), raised(at)
    runs: list = []
    failures = explore(at, set(), runs)
    assert not failures, failures
