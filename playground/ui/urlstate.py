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
        for name, field in self.fields.items():
            key = self.key(name)
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

    def save(self) -> None:
        """Keep the current values and write those that differ from their defaults to the URL."""
        wanted = {}
        for name, field in self.fields.items():
            value = st.session_state.get(self.key(name), field.default)
            st.session_state[self._kept(name)] = value
            if value != field.default:
                try:
                    wanted[name] = field.format(value)
                except LinkError:
                    continue  # too large for a link: the page offers a file instead
        current = dict(st.query_params)
        if current != wanted:
            st.query_params.from_dict(wanted)
