"""Exercises: signed links and files that cannot be edited into other locks, bounded reading, and
instructions that render as text."""

import base64
import hashlib
import hmac
import json
import os
import stat
import zlib
from urllib.parse import parse_qsl, urlsplit

import pytest

from playground.classroom import exercises
from playground.classroom.exercises import (
    CHANGED_FILE,
    CHANGED_LINK,
    Exercise,
    ExerciseChanged,
    ExerciseError,
    instruction_markdown,
)
from playground.links import decode_json, encode_json
from playground.settings import Settings

KEY = b"k" * 32
# The example: a 2-D Playground exercise with five values locked.
TEACHER = {"lr": "0.01", "depth": "3", "seed": "7", "data": "spiral", "optimizer": "adam"}
EXERCISE = Exercise(page="playground2d", params=TEACHER, lock=tuple(TEACHER), text="Reach 90 %.")


def query_of(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(link).query))


# ---- links ---------------------------------------------------------------------------------

def test_locked_values_come_from_the_signed_exercise_not_the_address_bar():
    link = EXERCISE.link("https://school.example", key=KEY)
    edited = link.replace("lr=0.01", "lr=1").replace("depth=3", "depth=6").replace("seed=7", "seed=1") \
                 .replace("data=spiral", "data=xor").replace("optimizer=adam", "optimizer=sgd")
    query = query_of(edited)
    assert query["lr"] == "1" and query["data"] == "xor"  # the address really says otherwise
    opened = Exercise.from_query(query, key=KEY)
    assert opened.params == TEACHER
    assert opened.changed_values(query) == ["lr", "depth", "seed", "data", "optimizer"]
    appended = Exercise.from_query(query_of(link + "&lr=1.0"), key=KEY)
    assert appended.params["lr"] == "0.01"
    assert appended.changed_values(query_of(link + "&lr=1.0")) == ["lr"]
    assert Exercise.from_query(query_of(link), key=KEY).changed_values(query_of(link)) == []


def test_an_exercise_whose_signed_part_was_edited_is_refused_as_changed():
    payload, signature = EXERCISE.query(key=KEY)["exercise"].rsplit(".", 1)
    content = decode_json(payload)
    content["params"]["lr"] = "1"  # the student re-encodes the exercise with a value of their own
    content["lock"] = []
    for forged in (f"{encode_json(content)}.{signature}", encode_json(content), f"{payload}.{'A' * 43}",
                   f"{payload}.", encode_json({k: v for k, v in content.items() if k != "params"})):
        with pytest.raises(ExerciseChanged, match="link was changed"):
            Exercise.from_query({**TEACHER, "exercise": forged}, key=KEY)
    # The same exercise signed by another server is not this server's either.
    other = EXERCISE.query(key=b"o" * 32)
    with pytest.raises(ExerciseChanged):
        Exercise.from_query(other, key=KEY)
    assert Exercise.from_query(EXERCISE.query(key=KEY), key=KEY) == EXERCISE


def test_the_signature_is_hmac_sha256_of_the_content():
    payload, signature = EXERCISE.query(key=KEY)["exercise"].rsplit(".", 1)
    canonical = json.dumps(decode_json(payload), sort_keys=True, separators=(",", ":")).encode()
    expected = hmac.new(KEY, b"neural-playground-exercise\n" + canonical, hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=") == expected


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def test_json_nested_10000_deep_in_a_link_is_refused_with_a_message():
    deep = base64.urlsafe_b64encode(zlib.compress(_deep(10_000))).decode().rstrip("=")
    with pytest.raises(ExerciseChanged):  # no signature: refused before it is read
        Exercise.from_query({"exercise": deep}, key=KEY)
    with pytest.raises(ExerciseError, match="damaged.*nests 10,000 levels deep"):
        Exercise.from_query({"exercise": deep + "." + "A" * 43}, key=KEY)


# ---- files ---------------------------------------------------------------------------------

def test_an_exercise_file_is_signed_and_an_edited_one_is_refused():
    text = EXERCISE.to_json(key=KEY)
    assert Exercise.from_json(text, key=KEY) == EXERCISE
    content = json.loads(text)
    assert content["version"] == 2 and len(content["signature"]) == 43
    for change in ({"lock": ["lr"]}, {"params": {**TEACHER, "lr": "1"}}, {"text": "Anything."},
                   {"signature": "A" * 43}):
        with pytest.raises(ExerciseChanged, match="file was changed"):
            Exercise.from_json(json.dumps({**content, **change}), key=KEY)
    unsigned = {k: v for k, v in content.items() if k != "signature"} | {"version": 1}
    with pytest.raises(ExerciseChanged):  # a file from before exercises were signed
        Exercise.from_json(json.dumps(unsigned), key=KEY)
    with pytest.raises(ExerciseChanged):
        Exercise.from_json(text, key=b"o" * 32)
    assert CHANGED_FILE != CHANGED_LINK


@pytest.mark.parametrize("levels", [9, 1_000, 10_000, 30_000])
def test_a_deeply_nested_exercise_file_is_refused_with_a_message(levels):
    if levels * 2 > exercises.MAX_FILE_BYTES:
        with pytest.raises(ExerciseError, match="too large"):
            Exercise.from_json(_deep(levels), key=KEY)
        return
    with pytest.raises(ExerciseError, match=f"nests {levels:,} levels deep; at most 8"):
        Exercise.from_json(_deep(levels), key=KEY)
    content = {"format": exercises.FILE_FORMAT, "page": "x", "text": json.loads(_deep(5))}
    with pytest.raises(ExerciseError):  # shallow enough to read: then it is checked as usual
        Exercise.from_json(json.dumps(content), key=KEY)


# ---- the server's secret -------------------------------------------------------------------

def _use_settings(monkeypatch, **values):
    monkeypatch.setattr(exercises, "get_settings", lambda: Settings(workers=1, **values))
    monkeypatch.setattr(exercises, "_key_cache", {})


def test_the_secret_setting_signs_links(monkeypatch):
    _use_settings(monkeypatch, exercise_secret="a teacher's long secret")
    assert exercises.signing_key() == b"a teacher's long secret"
    assert Exercise.from_query(EXERCISE.query()) == EXERCISE
    with pytest.raises(ExerciseChanged):
        Exercise.from_query(EXERCISE.query(key=KEY))
    assert "long secret" not in repr(exercises.get_settings())
    assert Settings.from_env({"PLAYGROUND_EXERCISE_SECRET": "s3"}).exercise_secret == "s3"


def test_without_a_setting_a_random_secret_is_kept_in_the_data_folder(monkeypatch, tmp_path):
    _use_settings(monkeypatch, run_store_dir=str(tmp_path / "store"))
    first = exercises.signing_key()
    path = tmp_path / "store" / "exercise-secret"
    assert path.read_text().encode() == first and len(first) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    link = EXERCISE.query()
    monkeypatch.setattr(exercises, "_key_cache", {})  # a restart
    assert exercises.signing_key() == first
    assert Exercise.from_query(link) == EXERCISE
    assert os.listdir(tmp_path / "store") == ["exercise-secret"]  # no temporary file left behind

    _use_settings(monkeypatch, run_store_dir="", data_dir=str(tmp_path / "data"))  # no run store
    other = exercises.signing_key()
    assert (tmp_path / "data" / "exercise-secret").read_text().encode() == other != first


def test_an_unwritable_data_folder_still_signs_for_this_process(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    _use_settings(monkeypatch, run_store_dir=str(blocker / "store"))
    key = exercises.signing_key()
    assert len(key) == 32 and exercises.signing_key() == key
    assert Exercise.from_query(EXERCISE.query()) == EXERCISE


# ---- instructions --------------------------------------------------------------------------

@pytest.mark.parametrize("text, shown", [
    ("Reach **90 %** in *5* epochs.", "Reach **90 %** in *5* epochs."),
    ("![x](http://tracker.example/p.png)", "!\\[x](http://tracker.example/p.png)"),
    ("[![x](http://t.example/p.png)](http://a.example)", "[!\\[x](http://t.example/p.png)](http://a.example)"),
    ("\\![x](http://t/p.png)", "\\\\!\\[x](http://t/p.png)"),
    ("![x][r]\n\n[r]: http://t/p.png", "!\\[x][r]\n\n[r]: http://t/p.png"),
    ('<img src="http://t/p.png">', '\\<img src="http://t/p.png">'),
    ("\\<img src=x>", "\\\\\\<img src=x>"),
    ("$\\href{http://t}{x}$", "\\$\\\\href{http://t}{x}\\$"),
    ("See [the notes](https://school.example/notes).", "See [the notes](https://school.example/notes)."),
])
def test_instructions_render_text_and_formatting_only(text, shown):
    assert instruction_markdown(text) == shown


def test_no_escaped_instruction_holds_image_or_html_syntax():
    """Whatever is typed, no `![` survives, and each `<` and `$` is preceded by an odd number of
    backslashes (markdown's escape), so none starts HTML or math."""
    import random

    rng = random.Random(0)
    alphabet = "![]()<>\\$ ax:/"
    for _ in range(2000):
        out = instruction_markdown("".join(rng.choice(alphabet) for _ in range(rng.randrange(30))))
        assert "![" not in out
        for i, ch in enumerate(out):
            if ch in "<$":
                assert (len(out[:i]) - len(out[:i].rstrip("\\"))) % 2 == 1, out
