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
    """One piece of page state: its default, and how it is written to and read from text."""

    default: Any
    parse: Callable[[str], Any] = str
    format: Callable[[Any], str] = str
    check: Callable[[Any], bool] = lambda value: True  # values that fail fall back to the default


def json_field(default: Any, check: Callable[[Any], bool] = lambda value: True) -> Field:
    """A field holding any JSON value (e.g. a network spec), compressed for the URL."""
    return Field(default, parse=decode_json, format=encode_json, check=check)


def bool_field(default: bool) -> Field:
    return Field(default, parse=lambda text: text == "1", format=lambda value: "1" if value else "0")


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
                    if not field.check(parsed):
                        raise ValueError(f"{parsed!r} is not allowed")
                    value = parsed
                except (ValueError, LinkError) as e:
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
                    if not field.check(value):
                        raise ValueError(f"{value!r} is not allowed")
                except (ValueError, LinkError) as e:
                    problems.append(f"The exercise's value for '{name}' could not be used ({e}); using the default.")
                    value = field.default
            cache[(self.key(name), exercise.code)] = value
        return cache[(self.key(name), exercise.code)]

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
