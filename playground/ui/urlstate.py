"""Keep a page's widget values in the URL, and keep them across reruns and page switches.

Usage in a page::

    state = PageState("bt", {"dataset": Field("digits"), "lr": Field(0.01, float)})
    state.restore()                      # before any widget
    st.selectbox("Dataset", names, key=state.key("dataset"))
    ...
    state.save()                         # after the widgets: writes the query string

Widgets take their value from `st.session_state` through `key=` only (never `value=`). Streamlit
drops a widget's state when a page without it runs, so each value is also kept under a second key
that no widget owns; `restore` puts it back. A fresh session (a reload, or a shared link) reads
the query string instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import streamlit as st

from playground.links import LinkError, decode_json, encode_json

# Session-state keys shared with `playground.ui.share`, which resets them before each page run.
RUN_STATES = "_page_states"  # the PageStates the current page made in this run
EXERCISE_HERE = "_exercise_here"  # the exercise that applies to the current page, if any
GLOBAL_PARAMS = "_global_params"  # URL parameters every page keeps (e.g. presentation mode)
UNLINKED = "_unlinked"  # fields of this run too large for a link


@dataclasses.dataclass(frozen=True)
class Field:
    """One piece of page state, declared once: its default, its allowed values, and its link text.

    The bounds (`low`, `high`, `step`) and the `options` are what the widget drawn by `PageState`
    offers and what a link's value is checked against, so a link can never hold a value the widget
    refuses. `check` adds any further rule (values that fail fall back to the default).
    """

    default: Any
    parse: Callable[[str], Any] = str
    format: Callable[[Any], str] = str
    check: Callable[[Any], bool] = lambda value: True
    low: float | None = None  # inclusive bounds of a number
    high: float | None = None
    step: float | None = None  # a slider's or number box's step
    options: tuple | None = None  # the allowed values of a choice

    def allows(self, value: Any) -> bool:
        """Whether `value` is one this field's widget accepts."""
        if self.options is not None and value not in self.options:
            return False
        if self.low is not None and not value >= self.low:
            return False
        if self.high is not None and not value <= self.high:
            return False
        return bool(self.check(value))

    def describe(self) -> str:
        """The allowed values in words, for messages ("from 1 to 500", "one of fgsm, pgd")."""
        if self.options is not None:
            shown = ", ".join(self.format(o) for o in self.options[:12])
            return f"one of {shown}" + (", …" if len(self.options) > 12 else "")
        if self.low is not None and self.high is not None:
            return f"from {_number(self.low)} to {_number(self.high)}"
        if self.low is not None:
            return f"at least {_number(self.low)}"
        if self.high is not None:
            return f"at most {_number(self.high)}"
        return "an allowed value"


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _parse_number(kind: type) -> Callable[[str], Any]:
    """Reads a link's text as an int ("3", "3.0") or a finite float; ValueError otherwise."""
    def parse(text: str):
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{text!r} is not a finite number")
        if kind is int:
            if not value.is_integer():
                raise ValueError(f"{text!r} is not a whole number")
            return int(value)
        return value
    return parse


def number(default: float, low: float | None = None, high: float | None = None, *, step: float | None = None,
           check: Callable[[Any], bool] = lambda value: True) -> Field:
    """A whole or decimal number (the default's type decides) between `low` and `high` inclusive."""
    kind = int if isinstance(default, int) and not isinstance(default, bool) else float
    return Field(default, parse=_parse_number(kind), format=lambda v: f"{v:g}" if kind is float else str(v),
                 check=check, low=low, high=high, step=step)


def choice(default: Any, options, *, check: Callable[[Any], bool] = lambda value: True) -> Field:
    """One of `options` (texts or numbers; the default's type decides how a link's text is read)."""
    options = tuple(options)
    if default not in options:
        raise ValueError(f"the default {default!r} is not among the options")
    if isinstance(default, bool):
        raise TypeError("use flag() for a yes/no field")
    kind = type(default)
    parse = _parse_number(kind) if kind in (int, float) else str
    fmt = (lambda v: f"{v:g}") if kind is float else str
    return Field(default, parse=parse, format=fmt, check=check, options=options)


def flag(default: bool) -> Field:
    """A yes/no field, written 1 or 0 in a link."""
    def parse(text: str) -> bool:
        if text not in ("0", "1"):
            raise ValueError(f"{text!r} is not 0 or 1")
        return text == "1"
    return Field(bool(default), parse=parse, format=lambda value: "1" if value else "0", options=(False, True))


bool_field = flag


def json_field(default: Any, check: Callable[[Any], bool] = lambda value: True) -> Field:
    """A field holding any JSON value (e.g. a network spec), compressed for the URL."""
    return Field(default, parse=decode_json, format=encode_json, check=check)


class PageState:
    """The URL-backed state of one page; field `name` lives in `st.session_state[f"{prefix}.{name}"]`."""

    def __init__(self, prefix: str, fields: dict[str, Field]):
        self.prefix = prefix
        self.fields = fields
        # The sharing panel (drawn after the page) offers this run's fields to hide or lock.
        st.session_state.setdefault(RUN_STATES, []).append(self)

    def key(self, name: str) -> str:
        """The session-state key (and widget key) of field `name`."""
        if name not in self.fields:
            raise KeyError(name)
        return f"{self.prefix}.{name}"

    def locked(self, name: str) -> bool:
        """Whether this page's exercise fixes field `name` (locked or hidden): its value is the exercise's."""
        exercise = st.session_state.get(EXERCISE_HERE)
        return exercise is not None and name in self.fields and exercise.locked(name)

    def hidden(self, name: str) -> bool:
        """Whether this page's exercise hides field `name` (a page draws nothing for it)."""
        exercise = st.session_state.get(EXERCISE_HERE)
        return exercise is not None and name in self.fields and exercise.hidden(name)

    def _kept(self, name: str) -> str:
        return f"_kept.{self.prefix}.{name}"

    def __getitem__(self, name: str) -> Any:
        return st.session_state[self.key(name)]

    def __setitem__(self, name: str, value: Any) -> None:
        st.session_state[self.key(name)] = value
        st.session_state[self._kept(name)] = value

    def restore(self) -> list[str]:
        """Fill session state for every field: kept value, else the URL, else the default.

        Returns messages about URL values that could not be read (they fall back to the default).
        """
        problems = []
        params = st.query_params
        exercise = st.session_state.get(EXERCISE_HERE)
        for name, field in self.fields.items():
            key = self.key(name)
            if exercise is not None and exercise.locked(name):
                # A locked control always holds the exercise's value, whatever the widget sent.
                value = self._locked_value(name, exercise, problems)
                st.session_state[key] = value
                st.session_state[self._kept(name)] = value
                continue
            if key in st.session_state:
                continue
            if self._kept(name) in st.session_state:
                st.session_state[key] = st.session_state[self._kept(name)]
                continue
            value = field.default
            if name in params:
                try:
                    parsed = field.parse(params[name])
                    if not field.allows(parsed):
                        raise ValueError(f"{field.format(parsed)} is not {field.describe()}")
                    value = parsed
                except Exception as e:  # any damaged text: say so, never fail the page
                    problems.append(f"The link's value for '{name}' could not be used ({e}); using the default.")
            st.session_state[key] = value
            st.session_state[self._kept(name)] = value
        return problems

    def _locked_value(self, name: str, exercise, problems: list[str]) -> Any:
        cache = st.session_state.setdefault("_locked_values", {})
        if (self.key(name), exercise.code) not in cache:
            field, value = self.fields[name], self.fields[name].default
            if name in exercise.params:
                try:
                    value = field.parse(exercise.params[name])
                    if not field.allows(value):
                        raise ValueError(f"{field.format(value)} is not {field.describe()}")
                except Exception as e:
                    problems.append(f"The exercise's value for '{name}' could not be used ({e}); using the default.")
                    value = field.default
            cache[(self.key(name), exercise.code)] = value
        return cache[(self.key(name), exercise.code)]

    def valid_or_stop(self, settings) -> None:
        """Check `settings` (anything with `validate()` raising ValueError, e.g. a job's options): on a
        problem, show its message, keep the page's values and stop the page there."""
        try:
            settings.validate()
        except ValueError as e:
            st.error(str(e))
            self.save()
            st.stop()

    def save(self) -> None:
        """Keep the current values and write those that differ from their defaults to the URL.

        The app-wide parameters (presentation mode, an exercise on this page) stay in the URL too.
        A value too large for a link is left out and named in `st.session_state["_unlinked"]`.
        """
        wanted = {}
        unlinked = st.session_state.setdefault(UNLINKED, [])
        for name, field in self.fields.items():
            value = st.session_state.get(self.key(name), field.default)
            st.session_state[self._kept(name)] = value
            if value != field.default:
                try:
                    wanted[name] = field.format(value)
                except LinkError:
                    unlinked.append(name)  # too large for a link: the page offers a file instead
        wanted.update(st.session_state.get(GLOBAL_PARAMS, {}))
        current = dict(st.query_params)
        if current != wanted:
            st.query_params.from_dict(wanted)

    # Widgets drawn from the declarations. Each takes its bounds or options from the field (a page
    # may narrow them where they depend on the data, e.g. a test image's number), and before drawing
    # snaps a value its widget would refuse, saying so, so a widget never raises over a value.

    def _snap(self, name: str, allowed: Callable[[Any], bool], fallback: Any, label: str, container,
              describe: str) -> None:
        value = st.session_state.get(self.key(name))
        try:
            fits = allowed(value)
        except TypeError:  # e.g. a text where a number belongs
            fits = False
        if not fits:
            self[name] = fallback
            field = self.fields[name]
            shown = "nothing" if value is None else _shown(field, value)
            container.warning(f"{_plain(label)}: {shown} is not {describe} here; set to {_shown(field, fallback)}.",
                              icon=":material/info:")

    def _bounds(self, name: str, low, high, step):
        field = self.fields[name]
        low = field.low if low is None else low
        high = field.high if high is None else high
        return low, high, field.step if step is None else step

    def slider(self, name: str, label: str, *, low=None, high=None, step=None, container=st, **kwargs):
        """`st.slider` over the field's bounds (or the narrower `low`, `high` given here)."""
        low, high, step = self._bounds(name, low, high, step)
        default = min(max(self.fields[name].default, low), high)
        self._snap(name, lambda v: low <= v <= high, default, label, container,
                   f"from {_number(low)} to {_number(high)}")
        return container.slider(label, min_value=low, max_value=high, step=step, key=self.key(name), **kwargs)

    def number_input(self, name: str, label: str, *, low=None, high=None, step=None, container=st, **kwargs):
        """A number box that says why a typed number outside the bounds was not taken.

        The box itself has no bounds (a bounded box drops such a number without a word): a number
        past them is put back to the last accepted one and a message names the range.
        """
        low, high, step = self._bounds(name, low, high, step)
        field, key = self.fields[name], self.key(name)
        ok = lambda v: v is not None and (low is None or v >= low) and (high is None or v <= high)
        wording = Field(0, low=low, high=high).describe()
        default = field.default if ok(field.default) else low
        self._snap(name, ok, default, label, container, wording)
        user_change = kwargs.pop("on_change", None)

        def check() -> None:
            value = st.session_state[key]
            if ok(value):
                st.session_state[self._kept(name)] = value
                if user_change:
                    user_change()
                return
            kept = st.session_state.get(self._kept(name), default)
            st.session_state[key] = kept if ok(kept) else default
            shown = "an empty box" if value is None else _shown(field, value)
            st.session_state[f"_refused.{key}"] = (f"{_plain(label)}: {shown} is not allowed (it must be {wording}); "
                                                   f"kept {_shown(field, st.session_state[key])}.")

        if step is None and isinstance(field.default, int):
            step = 1
        value = container.number_input(label, step=step, key=key, on_change=check, **kwargs)
        if message := st.session_state.pop(f"_refused.{key}", None):
            container.warning(message, icon=":material/info:")
        return value

    def _choice(self, widget: str, name: str, label: str, options, container, kwargs):
        field = self.fields[name]
        options = list(field.options if options is None else options)
        if not options:
            raise ValueError(f"no options for {name!r}")
        if kwargs.get("selection_mode") == "multi":  # pills or segments choosing several: a list, as multiselect
            self._drop_unknown(name, options)
            return getattr(container, widget)(label, options, key=self.key(name), **kwargs)
        default = field.default if field.default in options else options[0]
        self._snap(name, lambda v: v in options, default, label, container, "one of the choices")
        if widget in ("pills", "segmented_control"):
            # Clicking the chosen pill again would leave nothing chosen: keep the choice instead.
            key, user_change = self.key(name), kwargs.pop("on_change", None)

            def keep_one() -> None:
                if st.session_state[key] is None:
                    st.session_state[key] = st.session_state.get(self._kept(name), default)
                elif user_change:
                    user_change()
            kwargs["on_change"] = keep_one
        return getattr(container, widget)(label, options, key=self.key(name), **kwargs)

    def selectbox(self, name: str, label: str, *, options=None, container=st, **kwargs):
        return self._choice("selectbox", name, label, options, container, kwargs)

    def radio(self, name: str, label: str, *, options=None, container=st, **kwargs):
        return self._choice("radio", name, label, options, container, kwargs)

    def select_slider(self, name: str, label: str, *, options=None, container=st, **kwargs):
        return self._choice("select_slider", name, label, options, container, kwargs)

    def pills(self, name: str, label: str, *, options=None, container=st, **kwargs):
        return self._choice("pills", name, label, options, container, kwargs)

    def segmented_control(self, name: str, label: str, *, options=None, container=st, **kwargs):
        return self._choice("segmented_control", name, label, options, container, kwargs)

    def multiselect(self, name: str, label: str, *, options=None, container=st, **kwargs):
        """`st.multiselect`; chosen values that are not (or no longer) options are dropped."""
        options = list(self.fields[name].options if options is None else options)
        self._drop_unknown(name, options)
        return container.multiselect(label, options, key=self.key(name), **kwargs)

    def _drop_unknown(self, name: str, options: list) -> None:
        chosen = st.session_state.get(self.key(name)) or []
        if not isinstance(chosen, list | tuple) or any(v not in options for v in chosen):
            kept = [v for v in chosen if v in options] if isinstance(chosen, list | tuple) else []
            self[name] = kept

    def checkbox(self, name: str, label: str, *, container=st, **kwargs):
        self._snap(name, lambda v: isinstance(v, bool), bool(self.fields[name].default), label, container, "yes or no")
        return container.checkbox(label, key=self.key(name), **kwargs)

    def toggle(self, name: str, label: str, *, container=st, **kwargs):
        self._snap(name, lambda v: isinstance(v, bool), bool(self.fields[name].default), label, container, "yes or no")
        return container.toggle(label, key=self.key(name), **kwargs)


def _plain(label: str) -> str:
    """A widget label without its markdown emphasis, for a message."""
    return label.replace("**", "").split("\n")[0]


def _shown(field: Field, value: Any) -> str:
    try:
        return field.format(value)
    except Exception:  # a value of the wrong type, or too large for a link
        return repr(value)[:40]
