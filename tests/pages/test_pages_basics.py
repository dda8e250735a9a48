"""The Basics pages in AppTest: neuron & activations, backpropagation step by step, universal approximation."""

from tests.pages.test_pages import open_page, texts


def markdown_starting(at, prefix: str) -> str:
    return next(m.value for m in at.markdown if m.value.startswith(prefix))


# ---- Neuron & activations ----------------------------------------------------------------------


def test_the_neuron_formula_follows_the_sliders():
    at = open_page("pages/neuron.py")
    assert markdown_starting(at, "z = ").startswith("z = 1·x₁ − 1·x₂ + 0.5")
    at.slider(key="neuron.w1").set_value(2.5).run()
    at.slider(key="neuron.b").set_value(-1.0).run()
    assert not at.exception
    assert markdown_starting(at, "z = ").startswith("z = 2.5·x₁ − 1·x₂ − 1")
    at.selectbox(key="neuron.activation").set_value("relu").run()
    assert "Saturated (slope below 5 % of its peak) on [−6, 6]: −6 ≤ z ≤ 0" in texts(at)


def test_stepping_the_perceptron_and_xor_never_converging():
    at = open_page("pages/neuron.py")
    assert "Step 0 of 24" in texts(at)
    at.button(key="neuron.next").click().run()
    shown = texts(at)
    assert "Step 1 of 24" in shown and "w ← w − x" in shown and "(0, 0, −1)" in shown
    at.button(key="neuron.next").click().run()
    at.button(key="neuron.prev").click().run()
    assert "Step 1 of 24" in texts(at)
    at.button(key="neuron.end").click().run()
    assert "Converged after 6 epochs" in [s.value for s in at.success][0]
    at.radio(key="neuron.gate").set_value("XOR").run()
    assert "Step 0 of 12" in texts(at)  # a new gate starts again from zero
    at.button(key="neuron.end").click().run()
    assert not at.exception
    assert "Never converges" in at.error[0].value


def test_the_hidden_layer_solves_xor_learned_or_set_by_hand():
    at = open_page("pages/neuron.py")
    assert "Accuracy on the four points: **100%**" in texts(at)
    table = at.dataframe[-1].value
    assert table["XOR"].tolist() == [0, 1, 1, 0]
    at.radio(key="neuron.xor").set_value("hand").run()
    table = at.dataframe[-1].value
    assert table["h₁"].tolist() == [0, 1, 1, 1] and table["h₂"].tolist() == [0, 0, 0, 1]
    assert "Accuracy on the four points: **100%**" in texts(at)


def test_a_typed_seed_out_of_range_is_refused_with_a_reason():
    at = open_page("pages/neuron.py")
    at.number_input(key="neuron.seed").set_value(7).run()
    at.number_input(key="neuron.seed").set_value(-5).run()
    assert not at.exception
    assert at.number_input(key="neuron.seed").value == 7
    assert any("Random seed: -5 is not allowed (it must be from 0 to 2,147,483,647); kept 7." in w.value
               for w in at.warning)


# ---- Backpropagation ---------------------------------------------------------------------------


def gradients(at) -> dict:
    table = at.dataframe[0].value
    return dict(zip(table["input"], table.iloc[:, 2]))


def test_stepping_through_the_backward_pass_of_the_syllabus_example():
    at = open_page("pages/backprop.py")
    assert "Step 0 of 3" in texts(at)
    assert "Forward pass" in at.info[0].value
    at.button(key="bp.next").click().run()
    assert "∂f/∂f = 1" in at.info[0].value
    at.button(key="bp.next").click().run()
    assert "Node f" in at.info[0].value and "−4 × 1" not in at.info[0].value
    at.button(key="bp.next").click().run()
    step = at.info[0].value
    assert "Node q" in step and "−4 × 1 = **−4**" in step
    assert "Step 3 of 3" in texts(at) and at.success
    assert gradients(at) == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert at.dataframe[0].value["same?"].tolist() == ["yes"] * 3


def test_editing_a_value_changes_the_gradients():
    at = open_page("pages/backprop.py")
    at.number_input(key="bp.value.z").set_value(2.0).run()
    assert not at.exception
    assert gradients(at) == {"x": 2.0, "y": 2.0, "z": 3.0}


def test_switching_examples_and_the_softmax_network():
    at = open_page("pages/backprop.py")
    at.selectbox(key="bp.example").set_value("product").run()
    assert gradients(at) == {"x": -3.0, "y": 4.0}
    at.selectbox(key="bp.example").set_value("softmax_network").run()
    assert not at.exception
    assert at.number_input(key="bp.value.x2").value == 0.15
    assert len(gradients(at)) == 11  # 3 inputs, 6 weights, 2 biases
    assert set(at.dataframe[0].value["same?"]) == {"yes"}


def shown_boxes(at) -> dict:
    return {box.id: box.value for box in at.number_input}


def as_a_browser_keeps_them(at, shown: dict) -> None:
    """Make each number box hold what a browser would now show and send back with the next click.

    A browser keeps its own number in a box it already shows (same id) unless the server marks the
    box's value as set; AppTest would otherwise send the server's value.
    """
    for box in at.number_input:
        if box.id in shown and not box.proto.set_value:
            box.set_value(shown[box.id])


def test_switching_examples_loads_their_values_and_the_next_click_computes_with_them():
    at = open_page("pages/backprop.py")
    shown = shown_boxes(at)
    at.selectbox(key="bp.example").set_value("product").run()
    as_a_browser_keeps_them(at, shown)
    at.button(key="bp.next").click().run()
    assert not at.exception
    assert [box.value for box in at.number_input] == [4.0, -3.0]
    assert gradients(at) == {"x": -3.0, "y": 4.0}  # f = x·y at (4, −3): ∂f/∂x = y, ∂f/∂y = x
    at.button(key="bp.reset").click().run()
    assert "the output x · y = −12" in at.info[0].value

    at.number_input(key="bp.value.x").set_value(2.0).run()  # an edited box, then back to the first example
    shown = shown_boxes(at)
    at.selectbox(key="bp.example").set_value("sum_then_product").run()
    as_a_browser_keeps_them(at, shown)
    at.button(key="bp.next").click().run()
    assert [box.value for box in at.number_input] == [-2.0, 5.0, -4.0]
    assert gradients(at) == {"x": -4.0, "y": -4.0, "z": 3.0}  # f = (x + y)·z at (−2, 5, −4)
    at.button(key="bp.reset").click().run()
    assert "the output f = −12" in at.info[0].value


def test_a_typed_expression_and_one_that_cannot_be_read():
    at = open_page("pages/backprop.py")
    at.text_area(key="bp.expression").input("a^2 * sigmoid(b)").run()
    assert not at.exception
    assert at.selectbox(key="bp.example").value == "custom"
    assert set(gradients(at)) == {"a", "b"}  # new inputs, starting at 1
    assert gradients(at)["a"] == 2 * 1 / (1 + 2.718281828459045 ** -1)
    at.text_area(key="bp.expression").input("a^2 * (b").run()
    assert not at.exception
    assert "could not read" in at.error[0].value
    at.text_area(key="bp.expression").input("log(a - 2)").run()
    assert "log needs a positive number" in at.error[0].value


# ---- Universal approximation -----------------------------------------------------------------


def error_shown(at) -> float:
    metric = next(m for m in at.metric if m.label.startswith("Error with"))
    return float(metric.value.replace("−", "-"))


def test_more_hidden_units_fit_the_sine_better():
    at = open_page("pages/approximation.py")
    with_8 = error_shown(at)
    at.select_slider(key="apx.n").set_value(2).run()
    with_2 = error_shown(at)
    at.select_slider(key="apx.n").set_value(32).run()
    with_32 = error_shown(at)
    assert not at.exception
    assert with_2 > with_8 > with_32


def test_a_typed_formula_is_fitted_and_a_bad_one_explained():
    at = open_page("pages/approximation.py")
    at.radio(key="apx.target").set_value("formula").run()
    assert not at.exception
    assert error_shown(at) < 0.5
    at.text_input(key="apx.formula").input("x^2 + y").run()
    assert "unknown name 'y'" in at.error[0].value
    at.text_input(key="apx.formula").input("abs(x) - 1").run()
    assert not at.error
    at.selectbox(key="apx.activation").set_value("relu").run()
    assert not at.exception
