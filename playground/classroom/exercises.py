"""Teacher exercises: a page, its starting state, the controls hidden or locked, and an instruction.

An exercise travels as a link (the page's own URL parameters plus one `exercise` parameter that
carries the rest, compressed) or as a small JSON file with the same content. No accounts: whoever
has the link opens the page in that state. Locked controls keep the exercise's values however the
page is used; hidden ones are not shown at all.
"""

from __future__ import annotations

import dataclasses
import json
import re
from urllib.parse import urlencode

from playground.links import LinkError, decode_json, encode_json

# The URL parameter that carries an exercise, and the one that switches presentation mode on.
PARAM = "exercise"
PRESENT_PARAM = "present"
RESERVED_PARAMS = (PARAM, PRESENT_PARAM)

MAX_TEXT_CHARS = 1000
FILE_FORMAT = "neural-playground-exercise"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_PAGE = re.compile(r"^[a-z0-9_]{0,60}$")


class ExerciseError(ValueError):
    """An exercise that cannot be used; the message says why."""


@dataclasses.dataclass(frozen=True)
class Exercise:
    """`page` is the page's URL path (`""` for Home); `params` its starting state as URL values;
    `hide` and `lock` name fields of the page's state; `text` is the instruction students see."""

    page: str
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    hide: tuple[str, ...] = ()
    lock: tuple[str, ...] = ()
    text: str = ""

    def __post_init__(self):
        if not isinstance(self.page, str) or not _PAGE.match(self.page):
            raise ExerciseError(f"{self.page!r} is not a page of this app.")
        if not isinstance(self.params, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.params.items()):
            raise ExerciseError("The exercise's starting state must map names to text values.")
        for name in self.params:
            if name in RESERVED_PARAMS or not _NAME.match(name):
                raise ExerciseError(f"{name!r} cannot be part of an exercise's starting state.")
        for group in ("hide", "lock"):
            names = getattr(self, group)
            if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) and _NAME.match(n) for n in names):
                raise ExerciseError(f"The exercise's '{group}' list must hold control names.")
            object.__setattr__(self, group, tuple(dict.fromkeys(names)))
        if not isinstance(self.text, str):
            raise ExerciseError("The instruction must be text.")
        if len(self.text) > MAX_TEXT_CHARS:
            raise ExerciseError(f"The instruction is {len(self.text):,} characters long; keep it under "
                                f"{MAX_TEXT_CHARS:,}.")

    def hidden(self, name: str) -> bool:
        return name in self.hide

    def locked(self, name: str) -> bool:
        """Hidden controls are locked too: a student cannot see them, so their values stay the teacher's."""
        return name in self.lock or name in self.hide

    @property
    def code(self) -> str:
        """A text that identifies this exercise (its rules and starting state)."""
        return json.dumps([self.rules(), self.params], sort_keys=True)

    # ---- the link ------------------------------------------------------------------------

    def rules(self) -> dict:
        """What the `exercise` URL parameter carries (the starting state travels as plain parameters)."""
        return {"page": self.page, "hide": list(self.hide), "lock": list(self.lock), "text": self.text}

    def query(self) -> dict[str, str]:
        """The URL parameters that open this exercise: the page's state plus the exercise itself.

        LinkError if it is too large for a link (then `to_json` gives a file instead)."""
        return {**self.params, PARAM: encode_json(self.rules())}

    def link(self, base_url: str) -> str:
        """The full link, for the app served at `base_url` (e.g. "https://host/app")."""
        return f"{base_url.rstrip('/')}/{self.page}?{urlencode(self.query())}"

    @classmethod
    def from_query(cls, params: dict[str, str]) -> Exercise | None:
        """The exercise in a page's URL parameters, None if there is none; ExerciseError if damaged."""
        if PARAM not in params:
            return None
        try:
            rules = decode_json(params[PARAM])
        except LinkError as e:
            raise ExerciseError(f"This exercise link is damaged: {e}") from None
        if not isinstance(rules, dict):
            raise ExerciseError("This exercise link is damaged: it holds no exercise.")
        state = {k: v for k, v in params.items() if k not in RESERVED_PARAMS}
        return cls(page=rules.get("page", ""), params=state, hide=rules.get("hide", ()),
                   lock=rules.get("lock", ()), text=rules.get("text", ""))

    # ---- the file ------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps({"format": FILE_FORMAT, "version": 1, **self.rules(), "params": self.params}, indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> Exercise:
        """An exercise file as `to_json` wrote it; ExerciseError with a plain reason otherwise."""
        if len(text) > 64_000:
            raise ExerciseError("This file is too large to be an exercise.")
        try:
            content = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise ExerciseError("This file is not an exercise: it is not JSON.") from None
        if not isinstance(content, dict) or content.get("format") != FILE_FORMAT:
            raise ExerciseError("This file is not an exercise of this app.")
        return cls(page=content.get("page", ""), params=content.get("params", {}), hide=content.get("hide", ()),
                   lock=content.get("lock", ()), text=content.get("text", ""))
