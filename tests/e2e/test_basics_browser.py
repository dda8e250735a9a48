"""The Basics pages in real Chromium: step the perceptron, step a backward pass, type expressions and formulas."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception


def wait_until_idle(page) -> None:
    """Wait for the current script run to end, so the next click lands on the buttons it drew."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)


def click(page, name: str) -> None:
    wait_until_idle(page)
    page.get_by_role("button", name=re.compile(name)).click()


def charts(page) -> int:
    return page.locator('[data-testid="stPlotlyChart"]').count()


def test_the_neuron_page_steps_the_perceptron_to_convergence(page, app_url):
    page.goto(app_url + "/neuron")
    page.get_by_text("Step 0 of 24").wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 5")
    click(page, "Next")
    page.get_by_text("Step 1 of 24").wait_for()
    expect(page.get_by_text("w ← w − x").first).to_be_visible()
    click(page, "Last step")
    page.get_by_text("Converged after 6 epochs").wait_for()
    page.get_by_text("Accuracy on the four points: 100%").wait_for()
    assert_no_exception(page)


def test_stepping_through_a_backward_pass(page, app_url):
    page.goto(app_url + "/backprop")
    page.get_by_text("Step 0 of 3").wait_for()
    page.get_by_text("Forward pass.").wait_for()
    for step in (1, 2, 3):
        click(page, "Next")
        page.get_by_text(f"Step {step} of 3").wait_for()
    page.get_by_text("to x: local slope").wait_for()
    page.get_by_text("Done: every input now holds").wait_for()
    click(page, "Previous")
    page.get_by_text("Step 2 of 3").wait_for()
    page.get_by_text("Node f").wait_for()  # back at the first node of the backward pass
    assert charts(page) >= 1
    assert_no_exception(page)


def test_switching_to_the_softmax_network_and_stepping(page, app_url):
    page.goto(app_url + "/backprop")
    page.get_by_text("Step 0 of 3").wait_for()
    wait_until_idle(page)
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="softmax network with squared loss").click()
    page.get_by_text("Step 0 of 23").wait_for()
    expect(page.get_by_role("spinbutton", name="x2")).to_have_value("0.15")
    click(page, "Next")
    page.get_by_text("Step 1 of 23").wait_for()
    page.get_by_text("The backward pass starts at the output: ∂loss/∂loss = 1.").wait_for()
    assert_no_exception(page)


def test_switching_examples_shows_and_computes_with_the_new_values(page, app_url):
    page.goto(app_url + "/backprop")
    page.get_by_text("Step 0 of 3").wait_for()
    wait_until_idle(page)
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="f = x · y").click()
    page.get_by_text("Step 0 of 2").wait_for()
    expect(page.get_by_role("spinbutton", name="x")).to_have_value("4")
    expect(page.get_by_role("spinbutton", name="y")).to_have_value("-3")
    click(page, "Next")  # sends the boxes' values back: the product's, not the previous example's
    page.get_by_text("Step 1 of 2").wait_for()
    click(page, "^Reset$")
    page.get_by_text("the output x · y = −12").wait_for()
    assert_no_exception(page)


def test_typing_an_expression_and_a_broken_one(page, app_url):
    page.goto(app_url + "/backprop")
    page.get_by_text("Step 0 of 3").wait_for()
    box = page.get_by_role("textbox", name=re.compile("Expression"))
    box.fill("a * exp(b)")
    box.press("Control+Enter")
    page.get_by_text("Step 0 of 3").wait_for()  # a·exp(b): exp, ×, then the output's 1
    page.get_by_role("spinbutton", name="a").wait_for()
    page.get_by_role("spinbutton", name="b").wait_for()
    click(page, "Last step")
    page.get_by_text("Step 3 of 3").wait_for()
    table = page.locator('[data-testid="stDataFrame"]')
    expect(table).to_be_visible()
    box.fill("a * (exp(b)")
    box.press("Control+Enter")
    page.get_by_text("This expression cannot be used: could not read the expression").wait_for()
    expect(page.get_by_text("^ here")).to_be_visible()
    assert_no_exception(page)


def test_approximation_fits_a_typed_formula(page, app_url):
    page.goto(app_url + "/approximation")
    page.get_by_text("Error with 8 units").wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 2")
    wait_until_idle(page)
    page.get_by_text("your formula").click()
    formula = page.get_by_role("textbox", name="Formula of x")
    formula.wait_for()
    formula.fill("x^2 + q")
    formula.press("Enter")
    page.get_by_text("unknown name 'q'").wait_for()
    formula.fill("abs(x) - 1")
    formula.press("Enter")
    wait_until_idle(page)
    expect(page.get_by_text("unknown name")).to_have_count(0)
    page.get_by_text("Error with 8 units").wait_for()
    assert_no_exception(page)
