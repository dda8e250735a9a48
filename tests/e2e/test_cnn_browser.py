"""CNN lab pages in real Chromium: step a convolution, change its kernel, browse the gallery."""

from tests.e2e.conftest import assert_no_exception


def test_stepping_the_convolution_and_changing_the_kernel(page, app_url):
    page.goto(app_url + "/convolution?input=binary+image")
    page.get_by_text("Position 1 of 9").wait_for()
    assert "= 4" in page.get_by_text("Position 1 of 9").inner_text()
    page.get_by_role("button", name="Next ▶").click()
    page.get_by_text("Position 2 of 9").wait_for()
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Kernel").click()
    page.get_by_role("option", name="identity 3×3").click()
    page.wait_for_function("() => window.location.search.includes('kernel=identity')")
    page.get_by_text("Position 2 of 9").wait_for()
    # The identity kernel copies the pixel under its centre: row 0, column 1 of the output is image[1][2] = 1.
    page.get_by_text("output row 0, column 1 = 1,").wait_for()
    assert_no_exception(page)


def test_the_curve_detector_on_its_matching_patch_scores_6600(page, app_url):
    page.goto(app_url + "/convolution?input=curve+patch%3A+match")
    page.get_by_text("Position 1 of 1: output row 0, column 0 = 6,600").wait_for()
    page.get_by_text("The kernel fits in only one position").wait_for()
    assert_no_exception(page)


def test_the_gallery_says_the_inception_block_gives_256_channels(page, app_url):
    page.goto(app_url + "/gallery?name=GoogLeNet+inception+block")
    page.get_by_text("256×28×28").first.wait_for()
    assert_no_exception(page)


def test_the_gallery_shows_vgg16s_parameter_count(page, app_url):
    page.goto(app_url + "/gallery")
    page.get_by_text("61,706").first.wait_for()
    page.get_by_text("VGG-16", exact=True).first.click()
    page.get_by_text("138,357,544").first.wait_for()
    assert_no_exception(page)


def test_a_trained_models_feature_maps_open(page, app_url):
    page.goto(app_url + "/inside_cnn")
    page.get_by_text("The network says").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 3")
    page.get_by_text("channel 5").first.wait_for()  # the first conv layer's six feature maps
    assert_no_exception(page)


def test_a_drawing_goes_through_the_network(page, app_url):
    page.goto(app_url + "/inside_cnn")
    page.get_by_text("The network says").first.wait_for()
    page.get_by_text("Draw", exact=True).click()
    page.get_by_text("Draw in the black square.").wait_for()
    # The drawing surface is the 224×224 canvas (tables on the page draw on canvases too); on a busy
    # machine the drawing component takes a while to load.
    box = None
    for _ in range(120):
        page.wait_for_timeout(250)
        boxes = [page.locator("canvas").nth(i).bounding_box() for i in range(page.locator("canvas").count())]
        box = next((b for b in boxes if b and abs(b["width"] - 224) < 2 and abs(b["height"] - 224) < 2), None)
        if box is not None:
            break
    assert box is not None, "the 224×224 drawing canvas never appeared"
    surface = page.locator("canvas.upper-canvas").first  # the canvas that takes the pen
    surface.hover(position={"x": 112, "y": 30}, force=True)
    page.wait_for_timeout(200)
    page.mouse.down()
    page.wait_for_timeout(200)
    for k in range(1, 13):  # a vertical stroke: a "1"
        page.mouse.move(box["x"] + 112, box["y"] + 30 + k * 14)
        page.wait_for_timeout(30)
    page.mouse.up()
    page.wait_for_function("() => document.body.innerHTML.includes('your drawing, resized to 1×8×8')")
    page.get_by_text("The network says").first.wait_for()
    assert_no_exception(page)
