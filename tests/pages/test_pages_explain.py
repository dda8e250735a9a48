"""The Explain & attack pages in AppTest: fresh sessions, the bundled example models, main actions."""

import pytest

from tests.pages.test_pages import open_page, texts

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


# -- links, model changes and messages ------------------------------------------------------------

def open_link(path: str, params: dict[str, str]):
    from tests.pages.test_pages_every_control import open_page as open_with_params

    return open_with_params(path, params)


@pytest.mark.parametrize("params, name, shown", [({"steps": "2000"}, "steps", 200), ({"blur": "1.5"}, "blur", 0.3)])
def test_a_class_visualization_link_past_a_slider_bound_warns_and_keeps_the_default(params, name, shown):
    at = open_link("pages/class_visualization.py", params)
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key=f"cv.{name}").value == shown
    assert any(f"'{name}'" in w.value and "is not from" in w.value for w in at.warning)


def test_changing_the_model_resets_the_saliency_target_to_the_new_models_classes():
    at = open_page("pages/saliency.py")
    at.selectbox(key="sal.target").set_value(2).run()  # triangle, on the shapes CNN
    assert at.selectbox(key="sal.target").options[3] == "triangle"
    at.selectbox(key="sal.model").set_value("digits LeNet-5 · example").run()
    assert not at.exception
    box = at.selectbox(key="sal.target")
    assert box.value == -1 and box.options == ["the predicted class", *[str(d) for d in range(10)]]
    assert "triangle" not in texts(at)


def test_changing_the_model_offers_and_draws_the_new_models_classes():
    at = open_page("pages/class_visualization.py")
    assert at.selectbox(key="cv.model").value == "digits LeNet-5 · example"
    at.multiselect(key="cv.classes").set_value([1, 7]).run()
    at.selectbox(key="cv.model").set_value("shapes CNN · example").run()
    assert not at.exception
    chooser = at.multiselect(key="cv.classes")
    assert chooser.value == [0, 1, 2, 3] and chooser.options == ["square", "circle", "triangle", "cross"]
    assert not at.button(key="cv.start").disabled


def test_saliency_says_when_grad_cam_is_zero_everywhere():
    # Digits test image 0 is one of the 81 of 359 whose Grad-CAM at the last convolution is all zero.
    at = open_page("pages/saliency.py")
    at.selectbox(key="sal.model").set_value("digits LeNet-5 · example").run()
    at.number_input(key="sal.image").set_value(0).run()
    assert not at.exception
    assert any("**Grad-CAM**: zero everywhere" in i.value for i in at.info), [i.value for i in at.info]
    at.number_input(key="sal.image").set_value(1).run()  # not one of them: no such message
    assert not any("zero everywhere" in i.value for i in at.info)


def test_the_epsilon_label_follows_the_norm():
    at = open_page("pages/adversarial.py")
    assert "largest change to any pixel" in at.select_slider(key="adv.epsilon").label
    at.radio(key="adv.attack").set_value("pgd").run()
    at.radio(key="adv.norm").set_value("L2").run()
    label = at.select_slider(key="adv.epsilon").label
    assert "length of the whole change" in label and "any pixel" not in label
    assert any("a change of length" in m.value for m in [*at.error, *at.success, *at.warning])


def test_a_missed_target_is_named_with_what_the_network_says_instead():
    at = open_page("pages/adversarial.py")
    at.radio(key="adv.attack").set_value("pgd").run()
    at.selectbox(key="adv.target").set_value(5).run()
    at.slider(key="adv.steps").set_value(1).run()
    at.select_slider(key="adv.epsilon").set_value(0.01).run()
    assert not at.exception
    missed = [w.value for w in at.warning if "was not reached" in w.value]
    assert missed and missed[0].startswith("**The target 5 was not reached**: the network now says **")
    assert not any("changed its mind" in e.value for e in at.error)


@pytest.mark.parametrize("page", ["saliency", "class_visualization", "adversarial", "robustness", "inside_cnn"])
def test_the_page_stays_thin(page):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "pages" / f"{page}.py").read_text()
    assert len(text.splitlines()) <= 150
    assert "import torch" not in text and "import numpy" not in text and "np." not in text
