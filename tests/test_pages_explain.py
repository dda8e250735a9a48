"""The Explain & attack pages in AppTest: fresh sessions, the bundled example models, main actions."""

import pytest

from tests.test_pages import open_page, texts

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def charts(at) -> int:
    return len(at.get("plotly_chart"))


def test_saliency_starts_on_the_shapes_example_and_the_sanity_check_changes_the_maps():
    at = open_page("pages/saliency.py")
    assert at.selectbox(key="sal.model").value == "shapes CNN · example"
    shown = texts(at)
    assert "Integrated Gradients adds up" in shown
    before = next(m.value for m in at.markdown if "adds up" in m.value)
    assert charts(at) >= 2  # the input and the grid of methods
    at.toggle(key="sal.random").set_value(True).run()
    assert not at.exception
    after = next(m.value for m in at.markdown if "adds up" in m.value)
    assert after != before  # randomized weights give other attributions and another score


def test_saliency_measures_localization_on_shapes():
    at = open_page("pages/saliency.py")
    at.button(key="sal.measure").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    cam = table.set_index("method").loc["Grad-CAM"]
    assert cam["trained"] > cam["uniform"] + 0.15
    assert cam["trained"] > cam["randomized"] + 0.15


def test_adversarial_epsilon_changes_the_prediction():
    at = open_page("pages/adversarial.py")
    at.select_slider(key="adv.epsilon").set_value(0.0).run()
    assert any("Still" in s.value for s in at.success)
    at.select_slider(key="adv.epsilon").set_value(0.3).run()
    assert not at.exception
    assert any("changed its mind" in e.value for e in at.error)


def test_targeted_pgd_reaches_the_chosen_class():
    at = open_page("pages/adversarial.py")
    at.radio(key="adv.attack").set_value("pgd").run()
    at.selectbox(key="adv.target").set_value(5).run()
    at.slider(key="adv.steps").set_value(40).run()
    at.select_slider(key="adv.epsilon").set_value(0.3).run()
    assert not at.exception
    assert any("→ **5**" in e.value for e in at.error), [e.value for e in at.error]


def test_accuracy_against_epsilon_is_measured_on_request():
    at = open_page("pages/adversarial.py")
    drawn = charts(at)
    at.button(key="adv.measure").click().run()
    assert not at.exception
    assert charts(at) == drawn + 1


def test_class_pictures_are_made_in_a_worker():
    at = open_page("pages/class_visualization.py")
    at.slider(key="cv.steps").set_value(20).run()
    at.button(key="cv.start").click().run()
    job = at.session_state["cv.job"]
    assert job.wait(60) == "done", job.error
    at.run()
    assert not at.exception
    assert "Step 20 of 20." in texts(at)
    frames = job.series("images")
    assert frames[-1]["images"].shape == (10, 1, 8, 8)


def test_fooling_images_reach_high_confidence():
    at = open_page("pages/class_visualization.py")
    at.radio(key="cv.goal").set_value("fool").run()
    at.selectbox(key="cv.target").set_value(2).run()
    at.button(key="cv.start").click().run()
    job = at.session_state["cv.job"]
    assert job.wait(60) == "done", job.error
    at.run()
    assert not at.exception
    assert job.series("images")[-1]["confidence"] >= 0.99


def test_fooling_a_linear_classifier_and_hardening_a_network():
    at = open_page("pages/robustness.py")
    at.button(key="rob.train_linear").click().run()
    assert at.session_state["rob.job"].wait(60) == "done"
    at.run()
    assert not at.exception
    at.number_input(key="rob.image").set_value(0).run()  # a 3
    at.selectbox(key="rob.to").set_value(-1).run()  # its runner-up class
    at.slider(key="rob.alpha").set_value(0.0).run()
    assert any("still reads" in m.value for m in at.markdown)
    at.slider(key="rob.alpha").set_value(1.0).run()
    assert any("now reads" in m.value for m in at.markdown)

    at.number_input(key="rob.epochs").set_value(1).run()
    at.button(key="rob.harden").click().run()
    job = at.session_state["rob.job"]
    assert job.trainer == "adversarial"
    assert job.wait(120) == "done", job.error
    at.run()
    assert not at.exception
    assert job.name in at.session_state["runs"]
    assert len(job.series("adversarial_accuracy")) == 2  # before (epoch 0) and after the epoch
