"""Teacher exercises: a page, its starting state, the controls hidden or locked, and an instruction.

An exercise travels as a link (the page's own URL parameters plus one `exercise` parameter that
carries the whole exercise, compressed and signed) or as a small signed JSON file with the same
content. No accounts: whoever has the link opens the page in that state. Locked controls keep the
exercise's values however the page is used; hidden ones are not shown at all.

The values of locked and hidden controls come from the signed `exercise` parameter, never from the
page's plain URL parameters (a student can edit those in the address bar). The signature is an
HMAC-SHA256 with the server's secret (`signing_key`), so a link or file whose exercise was changed
is refused with `ExerciseChanged` (and a link from another server, whose secret differs, too).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlencode

from playground.links import LinkError, decode_json, encode_json, loads_bounded
from playground.settings import get_settings

# The URL parameter that carries an exercise, and the one that switches presentation mode on.
PARAM = "exercise"
PRESENT_PARAM = "present"
RESERVED_PARAMS = (PARAM, PRESENT_PARAM)

MAX_TEXT_CHARS = 1000
MAX_FILE_BYTES = 64_000
FILE_FORMAT = "neural-playground-exercise"
FILE_VERSION = 2  # version 1 files were not signed
# An exercise nests two levels (the content, its lists); anything deeper is not one of ours.
MAX_DEPTH = 8
SECRET_FILE = "exercise-secret"  # in the server's data folder, when no secret is set
CHANGED_LINK = ("This exercise link was changed after it was made (or it was made on another server), so its "
                "locks and instruction are not applied: the page opens as usual. Ask your teacher for the link "
                "again.")
CHANGED_FILE = ("This exercise file was changed after it was downloaded (or it was made on another server, or "
                "before exercises were signed), so it cannot be opened. Make the exercise again on its page and "
                "download it anew.")
_KEYS = ("page", "params", "hide", "lock", "text")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_PAGE = re.compile(r"^[a-z0-9_]{0,60}$")


class ExerciseError(ValueError):
    """An exercise that cannot be used; the message says why."""


class ExerciseChanged(ExerciseError):
    """An exercise whose signature does not match its content: it was edited after it was made."""


_key_cache: dict[tuple[str, str], bytes] = {}


def signing_key() -> bytes:
    """The server's secret for signing exercises.

    The `exercise_secret` setting (`PLAYGROUND_EXERCISE_SECRET`) where it is set; otherwise a random
    secret made once and kept in `exercise-secret` in the run store's folder (`run_store_dir`, or
    `data_dir` where that is empty), so that links survive a restart. If that file cannot be
    written, the secret lives only as long as the process (links then stop working at a restart)."""
    settings = get_settings()
    folder = settings.run_store_dir or settings.data_dir
    cache_key = (settings.exercise_secret, folder)
    if cache_key not in _key_cache:
        if settings.exercise_secret:
            key = settings.exercise_secret.encode()
        else:
            try:
                key = _file_secret(Path(folder) / SECRET_FILE)
            except OSError as e:
                logging.getLogger(__name__).warning("Cannot keep the exercise secret in %s (%s): exercise links "
                                                    "will not survive a restart.", folder, e)
                key = secrets.token_bytes(32)
        _key_cache[cache_key] = key
    return _key_cache[cache_key]


def _file_secret(path: Path) -> bytes:
    """The secret in `path`, made there first if absent. Written to a private temporary file and
    linked into place, so two processes starting at once agree on one secret."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise OSError(f"{path} holds no secret")
    return key.encode()


def _signature(content: dict, key: bytes) -> str:
    """HMAC-SHA256 of the exercise's content (canonical JSON), as URL-safe text (43 characters)."""
    canonical = json.dumps({k: content.get(k) for k in _KEYS}, sort_keys=True, separators=(",", ":"))
    digest = hmac.new(key, b"neural-playground-exercise\n" + canonical.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _verify(content: dict, signature, key: bytes | None, changed: str) -> None:
    if not isinstance(signature, str) or not hmac.compare_digest(
            signature.encode(), _signature(content, signing_key() if key is None else key).encode()):
        raise ExerciseChanged(changed)


def instruction_markdown(text: str) -> str:
    """An instruction as markdown that renders its text and formatting only (bold, italics, lists,
    code, links a student may click): image syntax (`![…](…)`, which every student's browser would
    fetch: a tracking pixel), raw HTML and math are escaped, so they show as the characters typed."""
    return text.replace("\\", "\\\\").replace("![", "!\\[").replace("<", "\\<").replace("$", "\\$")


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
        return json.dumps(self.content(), sort_keys=True)

    def content(self) -> dict:
        """Everything the exercise holds, as JSON-able values (what is signed)."""
        return {"page": self.page, "params": dict(self.params), "hide": list(self.hide), "lock": list(self.lock),
                "text": self.text}

    def changed_values(self, params: dict[str, str]) -> list[str]:
        """The locked or hidden controls whose value in the URL `params` is not the exercise's (someone
        edited the address); the page keeps the exercise's values for them."""
        return [name for name in dict.fromkeys((*self.hide, *self.lock))
                if name in params and params[name] != self.params.get(name, params[name])]

    @classmethod
    def _from_content(cls, content: dict) -> Exercise:
        return cls(page=content.get("page", ""), params=content.get("params", {}), hide=content.get("hide", ()),
                   lock=content.get("lock", ()), text=content.get("text", ""))

    # ---- the link ------------------------------------------------------------------------

    def query(self, *, key: bytes | None = None) -> dict[str, str]:
        """The URL parameters that open this exercise: the page's state, plus the whole exercise
        signed in the `exercise` parameter (`<compressed content>.<signature>`).

        LinkError if it is too large for a link (then `to_json` gives a file instead)."""
        content = self.content()
        signature = _signature(content, signing_key() if key is None else key)
        return {**self.params, PARAM: f"{encode_json(content)}.{signature}"}

    def link(self, base_url: str, *, key: bytes | None = None) -> str:
        """The full link, for the app served at `base_url` (e.g. "https://host/app")."""
        return f"{base_url.rstrip('/')}/{self.page}?{urlencode(self.query(key=key))}"

    @classmethod
    def from_query(cls, params: dict[str, str], *, key: bytes | None = None) -> Exercise | None:
        """The exercise in a page's URL parameters, None if there is none.

        Its starting state, locked and hidden values included, comes from the signed `exercise`
        parameter alone. ExerciseChanged if its signature does not match (an edited link, one from
        another server, or one made before links were signed); ExerciseError if it is damaged."""
        if PARAM not in params:
            return None
        payload, dot, signature = str(params[PARAM]).rpartition(".")
        if not dot:
            raise ExerciseChanged(CHANGED_LINK)
        try:
            content = decode_json(payload)
        except LinkError as e:
            raise ExerciseError(f"This exercise link is damaged: {e}") from None
        if not isinstance(content, dict):
            raise ExerciseError("This exercise link is damaged: it holds no exercise.")
        _verify(content, signature, key, CHANGED_LINK)
        return cls._from_content(content)

    # ---- the file ------------------------------------------------------------------------

    def to_json(self, *, key: bytes | None = None) -> str:
        """The exercise as a small JSON file, signed like its link."""
        content = self.content()
        signature = _signature(content, signing_key() if key is None else key)
        return json.dumps({"format": FILE_FORMAT, "version": FILE_VERSION, **content, "signature": signature},
                          indent=2)

    @classmethod
    def from_json(cls, text: str | bytes, *, key: bytes | None = None) -> Exercise:
        """An exercise file as `to_json` wrote it; ExerciseChanged if its signature does not match,
        ExerciseError with a plain reason if it is not an exercise."""
        if len(text) > MAX_FILE_BYTES:
            raise ExerciseError("This file is too large to be an exercise.")
        try:
            content = loads_bounded(text, max_depth=MAX_DEPTH, max_bytes=MAX_FILE_BYTES, what="it")
        except LinkError as e:
            raise ExerciseError(f"This file is not an exercise: {e}") from None
        if not isinstance(content, dict) or content.get("format") != FILE_FORMAT:
            raise ExerciseError("This file is not an exercise of this app.")
        _verify(content, content.get("signature"), key, CHANGED_FILE)
        return cls._from_content(content)
