"""Fuzz every kind of file a user can hand the server, and the exercise in a link.

Whatever the bytes, reading them either works or raises the reader's own error (whose message the
page shows); never anything else, and never more than a couple of seconds of CPU.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from playground import images, uploads
from playground.classroom import exercises
from playground.classroom.exercises import Exercise, ExerciseError

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
CPU_SECONDS = 2.0


def _timed(call):
    start = time.process_time()
    try:
        return call()
    finally:
        assert time.process_time() - start < CPU_SECONDS


cells = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
                  st.text(max_size=12), st.just(""), st.just('"'), st.just("\n"))


@st.composite
def csv_bytes(draw):
    columns = draw(st.integers(1, 40))
    rows = draw(st.integers(0, 30))
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    lines = [separator.join(f"c{i}" for i in range(columns))]
    for _ in range(rows):
        width = draw(st.integers(0, columns + 2))  # ragged rows too
        lines.append(separator.join(str(draw(cells)) for _ in range(width)))
    text = "\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(raw=st.one_of(csv_bytes(), st.binary(max_size=4000)))
def test_any_csv_is_read_or_refused_with_a_message(raw):
    def read():
        try:
            frame = uploads.read_table(raw, filename="fuzz.csv")
        except uploads.UploadError:
            return
        for label in list(frame.columns)[:2]:
            try:
                uploads.table_arrays(frame, label=label)
            except uploads.UploadError:
                pass
    _timed(read)


def _png(width: int, height: int, mode: str) -> bytes:
    buffer = io.BytesIO()
    shape = (height, width, 3) if mode == "RGB" else (height, width)
    Image.fromarray(np.zeros(shape, dtype=np.uint8), mode).save(buffer, format="PNG")
    return buffer.getvalue()


@st.composite
def zip_bytes(draw):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for k in range(draw(st.integers(0, 12))):
            folder = draw(st.sampled_from(["cats", "dogs", "../up", "", "a/b/c", "__MACOSX", ".hidden"]))
            name = draw(st.sampled_from(["x.png", "y.jpg", "notes.txt", "z.gif", "bad.png"]))
            if name == "bad.png" or name == "notes.txt":
                data = draw(st.binary(max_size=200))
            else:
                data = _png(draw(st.integers(1, 40)), draw(st.integers(1, 40)), "RGB")
            archive.writestr(f"{folder}/{k}{name}" if folder else f"{k}{name}", data)
    raw = buffer.getvalue()
    if draw(st.booleans()) and raw:  # damage it
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=20)) + raw[at + 1:]
    return raw


@FUZZ
@given(raw=st.one_of(zip_bytes(), st.binary(max_size=2000)))
def test_any_zip_is_read_or_refused_with_a_message(raw):
    def read():
        try:
            uploads.read_image_zip(raw, filename="fuzz.zip")
        except uploads.UploadError:
            pass
    _timed(read)


@FUZZ
@given(raw=st.one_of(st.binary(max_size=3000), st.builds(_png, st.integers(1, 64), st.integers(1, 64),
                                                         st.sampled_from(["RGB", "L"]))),
       damage=st.integers(0, 3000), invert=st.booleans())
def test_any_picture_is_read_or_refused_with_a_message(raw, damage, invert):
    if raw and damage < len(raw):
        raw = raw[:damage] + b"\xff" + raw[damage + 1:]
    shape = (1, 8, 8)

    def read():
        try:
            x, _ = images.image_from_bytes(raw, shape, invert=invert)
        except images.ImageError:
            return
        assert tuple(x.shape) == shape
    _timed(read)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4),
                           max_leaves=30)


@FUZZ
@given(text=st.one_of(st.text(max_size=300), json_values.map(json.dumps)))
def test_any_exercise_file_is_read_or_refused_with_a_message(text):
    def read():
        try:
            Exercise.from_json(text, key=b"k" * 32)
        except ExerciseError:
            pass
    _timed(read)


@FUZZ
@given(value=st.one_of(st.text(max_size=400), st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789-_.",
                                                      max_size=400)),
       extra=st.dictionaries(st.sampled_from(["lr", "seed", "data", "depth"]), st.text(max_size=10), max_size=3))
def test_any_exercise_parameter_is_read_or_refused_with_a_message(value, extra):
    def read():
        try:
            Exercise.from_query({exercises.PARAM: value, **extra}, key=b"k" * 32)
        except ExerciseError:
            pass
    _timed(read)


def test_a_signed_exercise_survives_the_fuzzed_readers_round_trip():
    # The baseline the fuzz is measured against: a real exercise reads back exactly.
    key = b"k" * 32
    exercise = Exercise(page="playground2d", params={"lr": "0.01"}, hide=(), lock=("lr",), text="Try it")
    again = Exercise.from_query(exercise.query(key=key), key=key)
    assert again.params == {"lr": "0.01"} and again.lock == ("lr",)
    assert Exercise.from_json(exercise.to_json(key=key), key=key).params == {"lr": "0.01"}
