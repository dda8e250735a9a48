"""The page "Transposed convolution, step by step" in AppTest: the choices, stepping, the output against torch."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from playground.vision import transposed as tc

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "transposed_conv.py")


def open_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def figure(at: AppTest, title_start: str) -> dict:
    """The spec of the chart whose title starts with `title_start`."""
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"].get("title", {}).get("text", "").startswith(title_start):
            return spec
    raise AssertionError(f"no chart titled {title_start!r}")


def heatmap_values(spec: dict) -> np.ndarray:
    """The heatmap's values (Plotly sends a numpy array as {"dtype", "bdata" (base64), "shape"})."""
    z = next(t for t in spec["data"] if t["type"] == "heatmap")["z"]
    if not isinstance(z, dict):
        return np.asarray(z, dtype=float)
    flat = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
    return flat.reshape([int(n) for n in str(z.get("shape", flat.size)).split(",")]).astype(float)


def test_renders_with_the_formula_and_steps_to_the_output_torch_computes():
    at = open_page()
    assert at.title[0].value == "Transposed convolution, step by step"
    assert any("(2 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1 = 5" in m.value for m in at.markdown)
    assert "x[0, 0] = 1" in figure(at, "input")["layout"]["title"]["text"]
    assert not at.success  # the output comes at the last stamp
    ok(at.button(key="tc.next").click().run())
    assert "x[0, 1] = 2" in figure(at, "input")["layout"]["title"]["text"]
    np.testing.assert_array_equal(heatmap_values(figure(at, "output so far")), tc.walk(
        tc.INPUTS["2×2 ramp"], tc.KERNELS["3×3 of ones"], stride=2).stamps[1].running)
    ok(at.button(key="tc.back").click().run())
    assert "x[0, 0] = 1" in figure(at, "input")["layout"]["title"]["text"]
    ok(at.slider(key="tc.step").set_value(4).run())
    expected = F.conv_transpose2d(torch.tensor([[[[1.0, 2], [3, 4]]]]), torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    np.testing.assert_array_equal(heatmap_values(figure(at, "final output 5×5")), expected.numpy())
    assert "conv_transpose2d computes the same 5×5 grid" in at.success[0].value
    assert "largest difference is 0" in at.success[0].value


def test_padding_and_output_padding_change_the_size_and_still_match_torch():
    at = open_page()
    at.number_input(key="tc.padding").set_value(1)
    ok(at.number_input(key="tc.output_padding").set_value(1).run())
    assert any("= 4" in m.value for m in at.markdown if m.value.startswith("**Output height"))
    ok(at.slider(key="tc.step").set_value(4).run())
    expected = tc.torch_output(tc.INPUTS["2×2 ramp"], tc.KERNELS["3×3 of ones"], stride=2, padding=1,
                               output_padding=1)
    np.testing.assert_array_equal(heatmap_values(figure(at, "final output 4×4")), expected)


def test_output_padding_torch_refuses_gets_a_message():
    at = open_page()
    ok(at.number_input(key="tc.stride").set_value(1).run())
    ok(at.number_input(key="tc.output_padding").set_value(1).run())
    assert at.error and "must be smaller than the stride" in at.error[0].value
    assert not [b for b in at.button if b.key == "tc.next"]  # no walk to step through, the rest stays
    assert any(m.value.startswith("**Output height") for m in at.markdown)
    assert figure(at, "kernel 3, stride 2")  # "Why checkerboards?" still drawn
    ok(at.number_input(key="tc.stride").set_value(2).run())
    assert not at.error


def test_padding_that_crops_everything_gets_a_message():
    at = open_page()
    at.selectbox(key="tc.input").set_value("a single 1")
    at.selectbox(key="tc.kernel").set_value("2×2 ramp")
    ok(at.number_input(key="tc.padding").set_value(2).run())
    assert at.error and "nothing would be left" in at.error[0].value


@pytest.mark.parametrize("widget", ["input", "kernel"])
def test_every_option_renders(widget):
    at = open_page()
    for option in at.selectbox(key=f"tc.{widget}").options:
        ok(at.selectbox(key=f"tc.{widget}").set_value(option).run())
        assert not at.error, (option, at.error[0].value)
        assert figure(at, "stamps per output pixel, your setting")


@pytest.mark.parametrize(("params", "shown"), [
    ({"stride": "1", "output_padding": "2", "step": "3"}, "must be smaller than the stride"),  # a refused setting
    ({"stride": "9", "input": "no-such-input", "step": "x"}, "could not be used"),  # past the bounds, garbage
])
def test_links_with_refused_or_damaged_values_give_messages(params, shown):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    ok(at.run())
    assert any(shown in m.value for m in [*at.error, *at.warning]), [m.value for m in [*at.error, *at.warning]]
