"""Tests for playground.layer_table: a table of any length, or a link's layers, gives messages, not errors."""

from __future__ import annotations

import pytest

from playground.layer_table import check_link_layers, check_rows, layers_to_rows
from playground.models import MAX_LAYERS, SpecError, validate


def test_rows_past_the_bound_are_marked_and_the_rest_still_checked():
    rows = layers_to_rows([{"type": "flatten"}] + [{"type": "relu"}] * (MAX_LAYERS + 1))
    with pytest.raises(SpecError, match=f"at most {MAX_LAYERS} layers, this one has {MAX_LAYERS + 2}"):
        validate({"input_shape": [4], "layers": [{"type": "relu"}] * (MAX_LAYERS + 2)})
    spec, table = check_rows([1, 8, 8], rows)
    assert spec is None and len(table) == len(rows) == MAX_LAYERS + 2
    assert all(t["error"] is None and t["output_shape"] == [64] for t in table[:MAX_LAYERS])
    assert table[MAX_LAYERS]["error"] == (f"Layer {MAX_LAYERS}: a network may have at most {MAX_LAYERS} layers: "
                                          "delete this one and those after it")
    assert table[-1]["error"].startswith(f"a network may have at most {MAX_LAYERS} layers")
    spec, table = check_rows([1, 8, 8], rows[:MAX_LAYERS])
    assert spec is not None and len(spec["layers"]) == MAX_LAYERS


def test_a_bad_input_shape_is_a_row_message_not_an_exception():
    spec, table = check_rows([0, 8, 8], layers_to_rows([{"type": "flatten"}, {"type": "relu"}]))
    assert spec is None
    assert "input_shape must be [features], [T, F] (time steps × features) or [C, H, W]" in table[0]["error"]
    assert table[1]["error"] == "waiting for layer 0"


@pytest.mark.parametrize("value, message", [
    ({"type": "relu"}, "not a list of layers"),
    ([{"type": "relu"}] * 20_002, f"at most {MAX_LAYERS} layers, this one has 20,002"),
    ([{"type": "relu"}, 5], "layer 1 is not an object with a 'type'"),
    ([{"type": ["relu"]}], "layer 0 is not an object with a 'type'"),
])
def test_link_layers_that_cannot_fill_the_table_say_why(value, message):
    with pytest.raises(ValueError, match=message):
        check_link_layers(value)


def test_link_layers_of_any_known_or_unknown_type_fill_the_table():
    assert check_link_layers([{"type": "relu"}, {"type": "no-such-layer", "x": [1]}, {}])
    assert check_link_layers([{"type": "relu"}] * MAX_LAYERS)


def test_a_setting_nested_ten_thousand_deep_is_a_row_message_not_a_recursion_error():
    rows = [{"type": "linear", "settings": "out_features=" + "[" * 10_000 + "]" * 10_000}]
    spec, table = check_rows([4], rows)
    assert spec is None
    assert table[0]["error"] == ("Layer 0: the value of 'out_features' nests 10,000 levels deep; "
                                 "at most 64 are allowed")


def test_sequence_layers_are_edited_as_text_and_show_steps_by_features_and_torchs_counts():
    from torch import nn

    from playground.figures import format_shape
    from playground.layer_table import parse_settings, template

    assert parse_settings(template("lstm")) == {"hidden_size": 32}
    assert parse_settings(template("embedding")) == {"num_embeddings": 64, "embedding_dim": 16}
    rows = layers_to_rows([{"type": "embedding", "num_embeddings": 55, "embedding_dim": 8},
                           {"type": "lstm", "hidden_size": 16, "keep": "all"},
                           {"type": "gru", "hidden_size": 12, "num_layers": 2, "bidirectional": True},
                           {"type": "linear", "out_features": 55}])
    assert rows[1]["settings"] == "hidden_size=16, keep=all"
    assert rows[2]["settings"] == "hidden_size=12, num_layers=2, bidirectional=true"
    rows[3]["settings"] = "out_features=55, bias=false"  # an edit in the table
    spec, table = check_rows([32], rows)
    assert spec is not None and spec["layers"][2]["bidirectional"] is True
    assert [format_shape(t["output_shape"]) for t in table] == ["32×8", "32×16", "24", "55"]
    counts = [55 * 8, sum(p.numel() for p in nn.LSTM(8, 16).parameters()),
              sum(p.numel() for p in nn.GRU(16, 12, num_layers=2, bidirectional=True).parameters()), 24 * 55]
    assert [t["params"] for t in table] == counts
    rows[2]["settings"] = "hidden_size=12, keep=middle"
    spec, table = check_rows([32], rows)
    assert spec is None and "keep must be one of last, all; got 'middle'" in table[2]["error"]
    assert table[3]["error"] == "waiting for layer 2"
    spec, table = check_rows([32, 3], layers_to_rows([{"type": "embedding", "num_embeddings": 4,
                                                       "embedding_dim": 2}]))
    assert spec is None and "embedding needs a sequence of token ids [T] but gets [32, 3]" in table[0]["error"]
