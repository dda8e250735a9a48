"""Tests for playground.basics.backprop: the syllabus gradients, agreement with torch.autograd, the parser's limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.basics import backprop
from playground.basics.backprop import BackpropError, parse, torch_grads, trace
from playground.figures.basics.lessons import graph_figure

# ---------------------------------------------------------------------------------------------
# The worked examples of the syllabus


def test_product_at_4_and_minus_3():
    graph = trace("x * y", {"x": 4, "y": -3})
    assert graph.value == -12
    assert graph.grads == {"x": -3.0, "y": 4.0}  # ∂(xy)/∂x = y, ∂(xy)/∂y = x


def test_sum_then_product_with_its_intermediate_node():
    graph = trace("q = x + y\nf = q * z", {"x": -2, "y": 5, "z": -4})
    assert graph.value == -12
    assert graph.grads == {"x": -4.0, "y": -4.0, "z": 3.0}
    q = next(n for n in graph.nodes if n.name == "q")
    assert (q.value, q.grad) == (3.0, -4.0)  # ∂f/∂q = z
    assert [n.label for n in graph.nodes] == ["x", "y", "q", "z", "f"]  # evaluation order


def test_the_sum_then_product_backward_pass_step_by_step():
    graph = trace("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4})
    assert len(graph.steps) == 2 and graph.positions == 4
    first, second = graph.steps
    assert graph.nodes[first.node].name == "f" and first.upstream == 1
    assert [(graph.nodes[p.operand].label, p.local, p.product) for p in first.parts] == [("q", -4, -4), ("z", 3, 3)]
    assert graph.nodes[second.node].name == "q" and second.upstream == -4
    assert [(p.local, p.product) for p in second.parts] == [(1, -4), (1, -4)]
    assert graph.grads_after(0) == [None] * 5  # forward pass only
    assert graph.grads_after(1) == [None, None, None, None, 1.0]
    assert graph.grads_after(2) == [None, None, -4.0, 3.0, 1.0]
    assert graph.grads_after(3) == [-4.0, -4.0, -4.0, 3.0, 1.0]


def test_softmax_network_matches_the_formula_and_torch():
    example = backprop.EXAMPLES["softmax_network"]
    graph = trace(example.expression, example.values)
    v = example.values
    z = np.array([sum(v[f"w{k}{j}"] * v[f"x{j}"] for j in (1, 2, 3)) + v[f"b{k}"] for k in range(2)])
    p = np.exp(z) / np.exp(z).sum()
    t = np.array([0.0, 1.0])  # label 1
    assert graph.value == pytest.approx(0.5 * ((p - t) ** 2).sum(), rel=1e-12)
    # By hand: ∂L/∂z = J_softmax (p − t), and ∂L/∂w_kj = ∂L/∂z_k · x_j.
    jacobian = np.diag(p) - np.outer(p, p)
    dz = jacobian @ (p - t)
    for k in range(2):
        assert graph.grads[f"b{k}"] == pytest.approx(dz[k], rel=1e-10)
        for j in (1, 2, 3):
            assert graph.grads[f"w{k}{j}"] == pytest.approx(dz[k] * v[f"x{j}"], rel=1e-10)
    assert graph.grads == pytest.approx(torch_grads(example.expression, example.values), rel=1e-12)


def test_a_value_used_twice_collects_both_gradients():
    graph = trace("x * x + 3 * x", {"x": 2})
    assert graph.grads["x"] == 2 * 2 + 3


def test_each_function_has_the_right_local_gradient():
    cases = {"exp(x)": math.exp(0.7), "log(x)": 1 / 0.7, "sigmoid(x)": (s := 1 / (1 + math.exp(-0.7))) * (1 - s),
             "tanh(x)": 1 - math.tanh(0.7) ** 2, "relu(x)": 1.0, "relu(-x)": 0.0, "x^3": 3 * 0.49,
             "2^x": 2 ** 0.7 * math.log(2), "1 / x": -1 / 0.49, "-x": -1.0, "sqrt(x)": 0.5 / math.sqrt(0.7)}
    for expression, expected in cases.items():
        assert trace(expression, {"x": 0.7}).grads["x"] == pytest.approx(expected, rel=1e-12), expression


# ---------------------------------------------------------------------------------------------
# Against torch.autograd on random expressions

NAMES = ("a", "b", "c")


def _expressions():
    leaf = st.sampled_from(NAMES) | st.sampled_from(["2", "0.5", "3"])
    unary = ["exp", "sigmoid", "tanh", "relu", "sin", "cos"]

    def extend(inner):
        return (st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
                | st.tuples(st.sampled_from(unary), inner).map(lambda t: f"{t[0]}({t[1]})")
                | inner.map(lambda e: f"-{e}")
                | inner.map(lambda e: f"({e})^2")
                | st.tuples(inner, inner).map(lambda t: f"({t[0]}) / (1 + ({t[1]})^2)")
                | inner.map(lambda e: f"log(1 + ({e})^2)"))

    return st.recursive(leaf, extend, max_leaves=8)


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(max_examples=60, deadline=None, derandomize=True)
@given(_expressions(), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_gradients_equal_torch_autograd(expression, numbers):
    values = dict(zip(NAMES, numbers))
    values = {k: v if abs(v) > 1e-3 else 0.5 for k, v in values.items()}  # keep relu away from its kink
    try:
        graph = trace(expression, values)
    except BackpropError as e:  # e.g. exp(exp(...)) overflowing
        assert "too large" in str(e)
        return
    expected = torch_grads(expression, values)
    assert graph.grads.keys() == expected.keys()
    for name, value in expected.items():
        assert graph.grads[name] == pytest.approx(value, rel=1e-9, abs=1e-9), (expression, name)


def test_torch_comparison_fails_for_a_wrong_gradient():
    """The comparison above can fail: a deliberately wrong rule differs from autograd."""
    wrong = trace("x * y", {"x": 4, "y": -3}).grads["x"] + 1
    assert wrong != pytest.approx(torch_grads("x * y", {"x": 4, "y": -3})["x"])


# ---------------------------------------------------------------------------------------------
# What the parser refuses, and how it says so


@pytest.mark.parametrize("text, words, position", [
    ("x +", "could not read", 3),
    ("foo(x)", "unknown function 'foo'", 1),
    ("x[0]", "not allowed", 1),
    ("__import__('os').system('ls')", "unknown function", 1),
    ("(lambda: 1)()", "unknown function", 1),
    ("x.real", "not allowed", 1),
    ("exp + 1", "'exp' is a function", 1),
    ("exp(x, y)", "exactly one argument", 1),
    ("x = 1; x = 2", "already has a value", 8),
    ("y = x * 2; x = 3", "'x' is an input", 12),
    ("'text'", "not a number", 1),
    ("x if y else z", "not allowed", 1),
    ("x > 1", "not allowed", 1),
    ("", "empty", None),
])
def test_parse_errors_say_what_and_where(text, words, position):
    with pytest.raises(BackpropError) as caught:
        parse(text)
    assert words in caught.value.reason
    assert caught.value.position == position


def test_typed_maths_symbols_are_accepted():
    graph = trace("x^2 × y − 4 ÷ y", {"x": 3, "y": 2})
    assert graph.value == 9 * 2 - 2
    assert graph.grads == {"x": 2 * 3 * 2, "y": 9 + 4 / 4}


def test_an_infinite_slope_is_kept_and_flagged():
    graph = trace("sqrt(x) + x^0.5", {"x": 0})
    assert graph.value == 0 and graph.grads == {"x": math.inf} and not graph.finite
    assert torch_grads("sqrt(x) + x^0.5", {"x": 0}) == {"x": math.inf}
    assert trace("relu(x) + abs(x)", {"x": 0}).grads == {"x": 0.0} == torch_grads("relu(x) + abs(x)", {"x": 0})


def test_values_outside_a_domain_and_missing_values_are_reported():
    with pytest.raises(BackpropError, match="log needs a positive number"):
        trace("log(x - 1)", {"x": 0.5})
    with pytest.raises(BackpropError, match="division by zero"):
        trace("1 / (x - 2)", {"x": 2})
    with pytest.raises(BackpropError, match="no value given for 'y'"):
        trace("x * y", {"x": 1})
    with pytest.raises(BackpropError, match="too large"):
        trace("exp(exp(x))", {"x": 10})


def test_evaluate_works_on_arrays():
    x = np.linspace(-1, 1, 5)
    assert np.allclose(backprop.evaluate("x^3 - relu(x)", {"x": x}), x ** 3 - np.maximum(x, 0))


# ---------------------------------------------------------------------------------------------
# Layout and figure


def test_layout_puts_inputs_left_and_the_output_right():
    graph = trace("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4})
    layout = backprop.graph_layout(graph)
    assert {layout[i][0] for i in graph.inputs.values()} == {0.0}
    assert layout[graph.output][0] == max(x for x, _ in layout.values()) == 2.0
    constant = trace("2 * x", {"x": 1})
    assert len(backprop.graph_layout(constant)) == 2  # the number 2 is written on the × node, not drawn


def test_graph_figure_highlights_the_current_step():
    graph = trace("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4})
    layout = backprop.graph_layout(graph)
    fig = graph_figure(graph, layout, known=graph.grads_after(2), current=graph.steps[0])
    nodes = next(t for t in fig.data if t.mode == "markers+text")
    assert len(nodes.x) == 5
    assert sorted(nodes.text) == ["<b>f</b><br>×<br>−12", "<b>q</b><br>+<br>3", "<b>x</b><br>−2", "<b>y</b><br>5",
                                  "<b>z</b><br>−4"]  # name, operation, value
    numbers = graph_figure(*(lambda g: (g, backprop.graph_layout(g)))(trace("0.5 * (x - 1)^2", {"x": 3})),
                           known=[None] * 7)
    assert sorted(label.split("<br>")[0] for label in numbers.data[-1].text) == [
        "<b>0.5 ×</b>", "<b>^ 2</b>", "<b>x</b>", "<b>− 1</b>"]  # the numbers are written on their operations
    highlighted = [t for t in fig.data if t.mode == "lines" and t.line.width == 4]
    assert len(highlighted) == 2  # f → q and f → z
    assert sorted(a.text for a in fig.layout.annotations) == ["local 3", "local −4"]
    gradients = next(t for t in fig.data if t.mode == "text")
    assert sorted(gradients.text) == ["∂ 1", "∂ 3", "∂ −4"]


def test_the_step_through_words_and_the_comparison_with_pytorch():
    from playground.basics.backprop import EXAMPLES, compare_with_torch, explain_position, point_at

    example = EXAMPLES["sum_then_product"]
    graph = trace(example.expression, example.values)
    assert "the output f = -12" in explain_position(graph, 0)
    assert "∂f/∂f = 1" in explain_position(graph, 1)
    step = explain_position(graph, 3)  # node q sends −4 × 1 to x and to y
    assert "**Node q**" in step and "∂q/∂x = 1 = 1, so -4 × 1 = **-4**" in step
    rows = compare_with_torch(graph, example.expression, example.values)
    assert [(r["input"], r["∂f/∂input (step by step above)"], r["torch.autograd"], r["same?"]) for r in rows] == [
        ("x", -4.0, -4.0, "yes"), ("y", -4.0, -4.0, "yes"), ("z", 3.0, 3.0, "yes")]
    with pytest.raises(BackpropError) as error:
        trace("x + 1\ny * $", {})
    assert point_at("x + 1\ny * $", error.value) == "y * $\n    ^ here"
