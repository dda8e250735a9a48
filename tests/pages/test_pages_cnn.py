"""The CNN lab pages in AppTest: fresh sessions, stepping, changing kernels and sizes."""

from playground.cnn_lab import conv
from tests.pages.test_pages import open_page, open_with_link, texts


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


# ---- Inputs with one position, and every input with every kernel --------------------------------

ONE_POSITION = {"curve patch: match": "6,600", "curve patch: no match": "0", "edge in a 3×3 patch": "2"}


def test_the_curve_detector_scores_6600_on_a_matching_patch_and_0_on_another():
    import torch

    at = open_page("pages/convolution.py")
    for name, shown in ONE_POSITION.items():
        at.selectbox(key="cx.input").set_value(name).run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key="cx.kernel").value == conv.EXAMPLES[name].kernel_name
        assert position_line(at).startswith(f"Position 1 of 1: output row 0, column 0 = **{shown}**")
        assert "only one position" in texts(at)
        # the same number from torch's convolution of the same patch and kernel
        example = conv.EXAMPLES[name]
        reference = torch.nn.functional.conv2d(torch.tensor(example.image)[None, None],
                                               torch.tensor(conv.KERNELS[example.kernel_name])[None, None])
        assert f"{reference.item():,g}" == shown


def test_one_position_inputs_open_from_a_link():
    for name, shown in ONE_POSITION.items():
        at = open_with_link("pages/convolution.py", {"input": name})
        assert not at.exception, [e.value for e in at.exception]
        assert f"= **{shown}**" in position_line(at)


def test_a_typed_3x3_grid_with_a_3x3_kernel_gives_one_output():
    at = open_page("pages/convolution.py")
    at.selectbox(key="cx.input").set_value(conv.OWN).run()
    at.slider(key="cx.size").set_value(3).run()
    at.selectbox(key="cx.kernel").set_value("X of ones 3×3").run()
    assert not at.exception, [e.value for e in at.exception]
    assert position_line(at).startswith("Position 1 of 1")
    assert "= **3**" in position_line(at)  # the 3×3 diagonal of ones under the X: three lit pixels


# The inputs smaller than some preset kernel: the 5×5, 3×3 and 6×6 grids.
SMALL_INPUTS = {"binary image": 5, "edge in a 3×3 patch": 3, conv.OWN: 6}


def _kernel_size(kernel: str) -> int | None:
    return None if kernel == conv.OWN else conv.KERNELS[kernel].shape[0]


def _pairs() -> list[tuple[str, str]]:
    """Every input with one kernel of each size, your own included: whether a kernel fits depends on its size,
    not its values (every kernel is drawn on its own in test_pages_every_control.py)."""
    one_of_each_size = list({_kernel_size(k): k for k in reversed(conv.KERNEL_CHOICES)}.values())
    return [(s, k) for s in conv.INPUTS for k in one_of_each_size]


def test_every_input_with_every_kernel_shows_an_output_or_says_why_not():
    at = open_page("pages/convolution.py")
    misfits = []
    pairs = _pairs()
    assert {_kernel_size(k) for _, k in pairs} == {3, 5, 7, None} and {s for s, _ in pairs} == set(conv.INPUTS)
    for source, kernel in pairs:
        if at.selectbox(key="cx.input").value != source:
            at.selectbox(key="cx.input").set_value(source).run()
        at.selectbox(key="cx.kernel").set_value(kernel).run()
        assert not at.exception, (source, kernel, [e.value for e in at.exception])
        errors = [e.value for e in at.error]
        if any(m.value.startswith("Position") for m in at.markdown):
            assert all(e.startswith("The bank:") for e in errors), (source, kernel, errors)
        else:
            assert errors and "does not fit" in errors[0] and "padding" in errors[0], (source, kernel, errors)
            misfits.append((source, kernel))
    # exactly the small inputs under the 5×5 and 7×7 presets
    expected = [(s, k) for s, k in pairs if s in SMALL_INPUTS and k != conv.OWN and _kernel_size(k) > SMALL_INPUTS[s]]
    assert misfits == expected and len(expected) == 4


def test_a_binary_image_under_the_curve_detector_says_how_much_padding_fits():
    at = open_with_link("pages/convolution.py", {"input": "binary image", "kernel": "curve detector 7×7"})
    assert not at.exception, [e.value for e in at.exception]
    assert at.error[0].value.startswith("The 7×7 kernel does not fit in the 5×5 input with padding 0")
    assert "Choose padding 1 or more" in at.error[0].value
    at.number_input(key="cx.padding").set_value(1).run()
    assert not at.error and "Position 1 of 1" in position_line(at)


# ---- The gallery -----------------------------------------------------------------------------------

def test_the_inception_blocks_output_is_the_torch_modules():
    import torch
    import torchvision

    at = open_page("pages/gallery.py")
    at.pills(key="gal.name").set_value("GoogLeNet inception block").run()
    assert not at.exception
    block = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False).inception3a.eval()
    with torch.no_grad():
        shape = block(torch.zeros(1, 192, 28, 28)).shape[1:]
    output = next(m.value for m in at.metric if m.label == "Output")
    assert output == "×".join(map(str, shape)) == "256×28×28"


def test_the_gallery_says_which_alexnet_it_shows():
    import torchvision

    at = open_page("pages/gallery.py")
    at.pills(key="gal.name").set_value("AlexNet").run()
    note = " ".join(i.value for i in at.info)
    filters = [m.out_channels for m in torchvision.models.alexnet(weights=None).features
               if hasattr(m, "out_channels")]
    assert "-".join(map(str, filters)) == "64-192-384-256-256"
    assert "single-stream" in note and "64-192-384-256-256" in note and "224×224" in note
    assert "96-256-384-384-256" in note and "two groups" in note and "227×227" in note
