"""Property-based fuzz of every link parameter of every page, of checkpoint metadata and of JSON spec uploads.

The link fields come from each page's own declarations (as in `test_pages_every_control`); each example
fills a random subset of them with random text, random JSON of random depth (compressed as a link holds
it), numbers at extreme magnitudes, unicode, or one of the field's own values. A page may warn, but
must never show an exception, and must answer each request within a few seconds of CPU. The library
half feeds hand-made checkpoints and spec files through the functions Build & Train's upload calls:
they may refuse with a message (their own error types), never with anything else.

Examples are derandomized and few per page (10), so the run is the same on every machine (about a
minute and a half for 37 pages); `FUZZ_EXAMPLES=40` or more makes a longer hunt. Each test prints what it tried and its
worst time per request (`pytest -s`).
"""

from __future__ import annotations

import base64
import json
import os
import time
import zlib

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as safetensors_save

from playground.checkpoints import FORMAT, CheckpointError
from playground.links import LinkError, encode_json, loads_bounded
from playground.models import LAYERS, SpecError, build, validate
from tests.pages.test_pages_every_control import PAGES, open_page, page_fields, raised

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))  # per page
MAX_CPU_S = 3.0  # CPU seconds one request may take
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

# -- values --------------------------------------------------------------------------------------------

EXTREME_NUMBERS = ["1e308", "-1e308", "1e-320", "9" * 400, "-" + "9" * 400, "1e999", "-0", "nan", "-inf",
                   str(2**63), str(-(2**63) - 1), "0x10", "١٢", "1_000", " 3 ", "3.0000000000000001", "+7"]
KEYS = ["type", "added", "removed", "layers", "branches", "out_features", "out_channels", "kernel_size", "name",
        "input_shape", "x", "values", "w", "seed", ""]


def _link(raw: str) -> str:
    """Text as a link holds JSON (zlib, base64url), for text `encode_json` could not write (too deep)."""
    return base64.urlsafe_b64encode(zlib.compress(raw.encode(), 9)).decode().rstrip("=")


json_scalars = (st.none() | st.booleans() | st.integers(-(10**30), 10**30)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
                | st.sampled_from([1e308, -1e-308, 10**400, 0, 1, -1, "relu", "linear", "conv2d", "residual"]))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner,
                                                                max_size=5),
    max_leaves=25)
deep_json = st.tuples(st.integers(1, 12_000), st.sampled_from(["[", '{"a":'])).map(
    lambda t: t[1] * t[0] + "1" + ("]" if t[1] == "[" else "}") * t[0])


long_json = st.tuples(json_values, st.integers(0, 25_000)).map(lambda t: json.dumps([t[0]] * t[1], default=str))


def _encoded(value) -> str:
    try:
        return encode_json(value)
    except (LinkError, ValueError, OverflowError):  # too large for a link, or not writable as JSON
        return _link(json.dumps(value, default=str)[:50_000])


def link_texts(field) -> st.SearchStrategy[str]:
    """Texts for one field's link value."""
    own = [field.format(o) for o in field.options] if field.options else []
    choices = [st.text(max_size=30), st.sampled_from(EXTREME_NUMBERS), json_values.map(_encoded),
               deep_json.map(_link), long_json.map(_link), st.floats().map(repr),
               st.integers(-(10**40), 10**40).map(str),
               st.text(alphabet="[]{}\",:0123456789eE.-+ ", max_size=60)]
    if own:
        choices.append(st.sampled_from(own))
    try:
        choices.append(st.just(field.format(field.default)))
    except Exception:
        pass
    return st.one_of(*choices)


# -- pages ---------------------------------------------------------------------------------------------

_FIELDS: dict[str, dict] = {}
_WORST: dict[str, float] = {}


def _fields(path: str) -> dict:
    if path not in _FIELDS:
        at = open_page(path)
        assert not raised(at), raised(at)
        _FIELDS[path] = page_fields(at)
    return _FIELDS[path]


@pytest.mark.parametrize("path", [p for p in PAGES if p not in ("pages/home.py", "pages/teachers.py")])
@FUZZ
@given(data=st.data())
def test_random_link_values_never_raise_and_answer_quickly(path, data):
    fields = _fields(path)
    names = data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=len(fields), unique=True),
                      label="fields")
    params = {name: data.draw(link_texts(fields[name]), label=name) for name in names}
    start = time.process_time()
    at = open_page(path, params)
    cpu = time.process_time() - start
    _WORST[path] = max(_WORST.get(path, 0.0), cpu)
    assert not raised(at), ({n: v[:200] for n, v in params.items()}, raised(at))
    assert cpu < MAX_CPU_S, (params, cpu)


def test_zz_report_the_page_fuzz():
    """Prints how many requests the page fuzz made and the worst CPU time of one (run after it)."""
    if _WORST:
        worst = max(_WORST, key=_WORST.get)
        print(f"\npage fuzz: {EXAMPLES} examples on each of {len(_WORST)} pages; worst request "
              f"{_WORST[worst]:.2f} s CPU ({worst})")


# -- checkpoint metadata and spec uploads --------------------------------------------------------------

_SPEC = {"input_shape": [4], "layers": [{"type": "linear", "out_features": 3}]}
_STATE = dict(build(_SPEC).state_dict())
FIELDS = ("spec", "name", "dataset", "config", "history")
metadata_texts = st.one_of(json_values.map(lambda v: json.dumps(v, default=str)), deep_json,
                           st.text(max_size=40), st.sampled_from(["1e999", "NaN", '{"epoch": [1e999]}', "[]", "{}"]),
                           st.fixed_dictionaries({"name": json_scalars},
                                                 optional={"seed": json_scalars, "params": json_values}
                                                 ).map(json.dumps),
                           st.dictionaries(st.sampled_from(["epoch", "val_loss", "val_acc", "train_acc", "x"]),
                                           st.lists(json_scalars, max_size=4), max_size=4).map(json.dumps))


_numbers = st.none() | st.floats() | st.integers(-(10**6), 10**6)
WELL_SHAPED = {  # each field as the playground writes it, with random contents
    "spec": st.just(json.dumps(_SPEC)),
    "name": st.text(max_size=30).map(json.dumps),
    "dataset": st.fixed_dictionaries({"name": st.sampled_from(["digits", "wine.csv", "circle", ""])
                                              | st.text(max_size=8)},
                                     optional={"seed": st.integers(0, 2**40),
                                               "params": st.dictionaries(st.text(max_size=5), json_scalars, max_size=3)}
                                     ).map(json.dumps),
    "config": st.dictionaries(st.sampled_from(["epochs", "lr", "optimizer", "seed", "batch_size"]), json_scalars,
                              max_size=4).map(json.dumps),
    "history": st.integers(0, 5).flatmap(lambda n: st.dictionaries(
        st.sampled_from(["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds", "x"]),
        st.lists(_numbers, min_size=n, max_size=n), max_size=8)).map(json.dumps),
}
metadata_fields = st.fixed_dictionaries({}, optional={f: WELL_SHAPED[f] | metadata_texts for f in FIELDS})


@settings(FUZZ, max_examples=EXAMPLES * 10)
@given(fields=metadata_fields)
def test_random_checkpoint_metadata_is_read_or_refused_with_a_message(fields):
    from playground.jobs.runs import RunRecord
    from playground.ui.results import misfit

    metadata = {"format": FORMAT, "spec": json.dumps(_SPEC), **fields}
    data = safetensors_save(_STATE, metadata=metadata)
    start = time.process_time()
    try:
        record = RunRecord.from_checkpoint(data, name="fuzz")
    except (CheckpointError, SpecError):
        record = None
    event("refused" if record is None else "read")
    if record is not None:  # what the upload and the results section then read
        assert isinstance(record.dataset, dict) and isinstance(record.config, dict)
        record.final, record.dataset.get("name"), misfit(record, _Digits())
        assert list(record.history.dtypes.unique()) in ([], [float]) or record.history.empty
    assert time.process_time() - start < MAX_CPU_S


_DIGITS_SPEC = {"input_shape": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]}


def _upload_app(raw: bytes) -> None:
    """Build & Train's upload and results section on a fuzzed checkpoint, in a session on digits."""
    import streamlit as st

    from playground.ui import session
    from playground.ui.model_upload import read_model_file
    from playground.ui.results import show_progress

    digits = session.dataset("digits")
    read = read_model_file("fuzz.safetensors", raw, list(digits.input_shape), "digits")
    if read.error:
        st.error(read.error)
    if read.record is not None:  # its curves, then `show_results`
        show_progress(read.record, digits, key="fuzz")


@settings(FUZZ, max_examples=EXAMPLES)
@given(fields=st.fixed_dictionaries({}, optional={f: WELL_SHAPED[f] | metadata_texts for f in FIELDS[1:]}))
def test_random_checkpoint_metadata_never_raises_on_the_upload_and_results(fields):
    from streamlit.testing.v1 import AppTest

    torch.manual_seed(0)
    state = dict(build(_DIGITS_SPEC).state_dict())
    data = safetensors_save(state, metadata={"format": FORMAT, "spec": json.dumps(_DIGITS_SPEC), **fields})
    start = time.process_time()
    at = AppTest.from_function(_upload_app, args=(data,), default_timeout=60).run()
    assert not at.exception, (fields, [e.value for e in at.exception])
    assert time.process_time() - start < MAX_CPU_S


class _Digits:
    """What `misfit` reads of a dataset."""

    name, input_shape, num_outputs = "digits", (1, 8, 8), 10


_layers = st.fixed_dictionaries({"type": st.sampled_from(list(LAYERS))}, optional={
    "out_features": st.integers(-2, 300), "out_channels": st.integers(-2, 40), "kernel_size": st.integers(-1, 9),
    "stride": st.integers(-1, 4), "padding": st.integers(-1, 4), "p": st.floats(-1, 2), "x": json_scalars})
_good_layers = st.sampled_from([{"type": "flatten"}, {"type": "relu"}, {"type": "tanh"}, {"type": "identity"},
                                {"type": "linear", "out_features": 5}, {"type": "dropout"}, {"type": "batchnorm"}])
_specs = st.fixed_dictionaries({"input_shape": st.sampled_from([[4], [2], [1, 8, 8], [3, 16, 16], [0], [1, 8]]),
                                "layers": st.lists(_good_layers | _good_layers | _good_layers | _layers, max_size=8)})


@settings(FUZZ, max_examples=EXAMPLES * 10)
@given(text=st.one_of(_specs.map(json.dumps), json_values.map(lambda v: json.dumps(v, default=str)), deep_json,
                      st.text(alphabet="[]{}\",:0123456789 ", max_size=200),
                      st.fixed_dictionaries({"input_shape": json_values, "layers": json_values}).map(json.dumps)))
def test_random_spec_files_are_read_or_refused_with_a_message(text):
    start = time.process_time()
    try:
        spec = validate(loads_bounded(text.encode(), what="This file"))
    except (LinkError, SpecError):
        spec = None
    event("refused" if spec is None else "built")
    if spec is not None:
        assert isinstance(build(spec), torch.nn.Module)
    assert time.process_time() - start < MAX_CPU_S


# -- what the issue and the fuzz found, kept as plain cases ------------------------------------------

DEEP = _link("[" * 10_000 + "]" * 10_000)


@pytest.mark.parametrize("path, params, warning", [
    ("pages/build_train.py", {"layers": DEEP},
     "'layers' could not be used (This link's value nests 10,000 levels deep; at most 64 are allowed.)"),
    ("pages/playground2d.py", {"points": DEEP},
     "'points' could not be used (This link's value nests 10,000 levels deep; at most 64 are allowed.)"),
    ("pages/build_train.py", {"layers": _link(json.dumps([{"type": "flatten"}] * 20_002))},
     "'layers' could not be used (a network may have at most 200 layers, this one has 20,002)"),
    ("pages/playground2d.py", {"points": encode_json({"added": 5})},
     "'points' could not be used ('added' and 'removed' must be lists)"),
    ("pages/compare_runs.py", {"values": encode_json([[1]])}, "The link's value for 'values' could not be used"),
])
def test_hostile_link_values_give_a_warning_naming_the_field(path, params, warning):
    at = open_page(path, params)
    assert not raised(at), raised(at)
    assert any(warning in w.value for w in at.warning), [w.value for w in at.warning]
