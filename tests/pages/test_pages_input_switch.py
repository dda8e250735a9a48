"""Switching a page's input (test image / draw / upload) never touches its other controls.

Streamlit forgets the state of every widget a run does not draw; the input chooser used to stop the
page while nothing was drawn or uploaded, so the controls below it came back blank or at their
bounds. Each test sets every other control away from its default, switches the source to Draw,
to Upload and back, and checks each value after every switch.
"""

import pytest

from tests.pages.test_pages import open_page

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
SOURCES = ["Draw", "Upload a picture", "Test image"]


KINDS = ("selectbox", "radio", "pills", "select_slider", "slider", "toggle", "checkbox", "number_input", "multiselect")


def drawn(at) -> set[str]:
    """The keys of the widgets this run drew (a widget not drawn loses its state in the browser)."""
    return {w.key for kind in KINDS for w in getattr(at, kind) if w.key}


def values(at, keys):
    return {key: at.session_state[key] for key in keys}


def switch_and_check(at, source_key: str, keys: list[str]):
    wanted = values(at, keys)
    for source in SOURCES:
        at.radio(key=source_key).set_value(source).run()
        assert not at.exception, [e.value for e in at.exception]
        assert values(at, keys) == wanted, source
        assert set(keys) <= drawn(at), (source, set(keys) - drawn(at))
        if source != "Test image":  # the page says what it waits for, and shows no result of the old input
            assert any(("Draw in the black square" in i.value or "Upload a picture" in i.value) for i in at.info)


def test_saliency_keeps_its_methods_show_overlay_and_settings():
    at = open_page("pages/saliency.py")
    at.pills(key="sal.methods").set_value(["saliency", "grad_cam"]).run()
    at.radio(key="sal.sign").set_value("positive").run()
    at.toggle(key="sal.overlay").set_value(False).run()
    at.selectbox(key="sal.target").set_value(2).run()
    at.slider(key="sal.ig_steps").set_value(64).run()
    at.number_input(key="sal.image").set_value(7).run()
    keys = ["sal.methods", "sal.sign", "sal.overlay", "sal.random", "sal.target", "sal.ig_steps", "sal.sg_noise"]
    switch_and_check(at, "sal.input.source", keys)
    assert at.session_state["sal.methods"] == ["saliency", "grad_cam"]
    assert at.number_input(key="sal.image").value == 7  # the test image comes back with the test-image box
    assert len(at.get("plotly_chart")) >= 2  # back on the test image: the picture and the maps again


def test_adversarial_keeps_pgd_at_its_epsilon_and_steps():
    at = open_page("pages/adversarial.py")
    at.radio(key="adv.attack").set_value("pgd").run()
    at.select_slider(key="adv.epsilon").set_value(0.2).run()
    at.slider(key="adv.steps").set_value(40).run()
    at.radio(key="adv.norm").set_value("L2").run()
    at.selectbox(key="adv.target").set_value(3).run()
    keys = ["adv.attack", "adv.epsilon", "adv.steps", "adv.norm", "adv.target", "adv.step"]
    switch_and_check(at, "adv.input.source", keys)
    assert values(at, keys[:5]) == {"adv.attack": "pgd", "adv.epsilon": 0.2, "adv.steps": 40, "adv.norm": "L2",
                                    "adv.target": 3}


def test_inside_cnn_keeps_its_shift_turn_and_scale():
    at = open_page("pages/inside_cnn.py")
    at.slider(key="in.dx").set_value(2).run()
    at.slider(key="in.dy").set_value(-1).run()
    at.slider(key="in.angle").set_value(30).run()
    at.slider(key="in.scale").set_value(1.2).run()
    keys = ["in.dx", "in.dy", "in.angle", "in.scale", "in.kernel_layer", "in.off_layer"]
    switch_and_check(at, "in.input.source", keys)
    assert values(at, keys[:4]) == {"in.dx": 2, "in.dy": -1, "in.angle": 30, "in.scale": 1.2}
