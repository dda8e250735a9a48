"""The CNN lab pages in AppTest: fresh sessions, stepping, changing kernels and sizes."""

from playground import conv
from tests.test_pages import open_page, texts


def position_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Position"))


def test_the_convolution_explorer_steps_through_the_syllabus_example():
    at = open_page("pages/convolution.py")
    at.selectbox(key="cx.input").set_value("binary image").run()
    assert at.selectbox(key="cx.kernel").value == conv.EXAMPLES["binary image"].kernel_name
    assert "= **4**" in position_line(at)  # 4 at the first position, as in the notes
    at.button(key="cx.next").click().run()
    assert position_line(at).startswith("Position 2 of 9")
    assert "= **3**" in position_line(at)


def test_changing_the_kernel_and_stride_changes_the_output():
    at = open_page("pages/convolution.py")
    assert "of 64" in position_line(at)  # the 10×10 square, 3×3 box blur: 8×8 outputs
    at.number_input(key="cx.stride").set_value(2).run()
    assert not at.exception
    assert "/ 2 + 1" in texts(at)
    assert "of 16" in position_line(at)  # (10 − 3) / 2 + 1 = 4.5 → 4, so 4×4
    at.selectbox(key="cx.kernel").set_value("Sobel x 3×3").run()
    assert not at.exception


def test_the_alexnet_button_fills_the_output_size_calculator():
    at = open_page("pages/convolution.py")
    at.button(key="cx.alexnet").click().run()
    assert "(227 + 2·0 − 11) / 4 + 1 = 55" in texts(at)


def test_a_kernel_that_does_not_fit_is_explained():
    at = open_page("pages/convolution.py")
    at.selectbox(key="cx.input").set_value("binary image").run()
    at.selectbox(key="cx.kernel").set_value("curve detector 7×7").run()
    assert not at.exception
    assert at.error and "7" in at.error[0].value


def test_pooling_steps_and_parameter_counts():
    at = open_page("pages/pooling.py")
    assert "Position 1 of 16" in texts(at)
    assert "**3 hidden units**" in texts(at)
    table = at.dataframe[0].value
    assert list(table["weights"]) == [21, 9, 3]
    assert "**9,472 parameters**" in texts(at)  # 64 filters of 7×7×3 with biases
    at.number_input(key="pool.fk").set_value(5).run()
    assert "**740 parameters**" in texts(at)


def test_the_gallery_tabulates_vgg16_without_building_it():
    at = open_page("pages/gallery.py")
    assert "61,706" in [str(m.value) for m in at.metric]
    at.session_state["gal.name"] = "VGG-16"
    at.run()
    assert not at.exception
    assert "138,357,544" in [str(m.value) for m in at.metric]


def test_inside_a_trained_cnn_shows_filters_maps_and_ablation():
    at = open_page("pages/inside_cnn.py")
    assert at.selectbox(key="in.model").value == "digits LeNet-5 · example"
    assert any("The network says" in m.value for m in at.markdown)
    clean = next(m.value for m in at.metric if m.label == "Test accuracy")
    at.multiselect(key="in.off_channels").set_value([0, 1, 2, 3, 4, 5]).run()
    assert not at.exception
    off = next(m for m in at.metric if m.label.startswith("With 6 of 6"))
    assert float(off.value.rstrip("%")) <= 25.0 < float(clean.rstrip("%"))  # all first-layer filters off


def test_shifting_the_input_changes_the_prediction():
    at = open_page("pages/inside_cnn.py")
    before = next(m.value for m in at.markdown if "The network says" in m.value)
    at.slider(key="in.dx").set_value(4).run()
    at.slider(key="in.angle").set_value(90).run()
    assert not at.exception
    after = next(m.value for m in at.markdown if "The network says" in m.value)
    assert after != before


def test_training_a_lenet_here_adds_it_to_the_session():
    at = open_page("pages/inside_cnn.py")
    at.button(key="in.train").click().run()
    job = at.session_state["in.job"]
    assert job.wait(120) == "done", job.error
    at.run()
    assert not at.exception
    assert job.name in at.session_state["runs"]
    assert job.history["val_acc"].iloc[-1] >= 0.85
