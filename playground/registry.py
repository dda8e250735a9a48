"""`Registry`: things a user picks by name (datasets, layers, presets, trainers, ...), in one mapping.

Each registry maps a name to its entry, in the order they were registered, and is filled by a
decorator that refuses a name already taken, as torchvision's `register_model` / `get_model` do:

    DATASETS = Registry("dataset")

    @DATASETS.register("circle", task="classification")
    def load_circle(seed): ...

A registry made with `entry=` stores `entry(name, obj, **info)` instead of the decorated object
(e.g. a dataclass describing it); the decorator still returns the object unchanged. Widgets list
a registry's keys, so no page keeps its own list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Mapping, Generic[T]):
    """A read-only mapping from name to entry, filled with `register` (a decorator) or `add`."""

    def __init__(self, kind: str, *, entry: Callable[..., T] | None = None):
        self.kind = kind  # what one entry is, for messages: "dataset", "layer type", ...
        self._entry = entry
        self._entries: dict[str, T] = {}
        self.info: dict[str, dict[str, Any]] = {}  # name -> the keyword arguments it was registered with

    def register(self, name: str, **info) -> Callable[[Any], Any]:
        """A decorator that registers what it decorates under `name` (see the module docstring);
        ValueError if `name` is taken."""
        self._refuse_taken(name)

        def decorator(obj):
            self.add(name, self._entry(name, obj, **info) if self._entry else obj, **info)
            return obj

        return decorator

    def add(self, name: str, entry: T, **info) -> T:
        """Register `entry` itself under `name`; ValueError if `name` is taken."""
        self._refuse_taken(name)
        self._entries[name] = entry
        self.info[name] = dict(info)
        return entry

    def remove(self, name: str) -> T:
        """Take `name` out again (a test's or notebook's temporary entry); KeyError if absent."""
        entry = self[name]
        del self._entries[name]
        self.info.pop(name, None)
        return entry

    def copy(self) -> Registry[T]:
        """A registry of the same kind holding the same entries, to register into without touching this one."""
        other = Registry(self.kind, entry=self._entry)
        other._entries = dict(self._entries)
        other.info = {name: dict(info) for name, info in self.info.items()}
        return other

    def _refuse_taken(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} needs a non-empty name, got {name!r}")
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise KeyError(self.unknown(name)) from None

    def unknown(self, name: Any) -> str:
        """The message for a name that is not registered, listing the known ones."""
        return f"unknown {self.kind} {name!r}; known: {', '.join(self._entries) or 'none'}"

    def __contains__(self, name: object) -> bool:
        try:
            return name in self._entries
        except TypeError:  # an unhashable "name"
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
