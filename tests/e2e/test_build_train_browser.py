"""Build & Train in real Chromium against `streamlit run`: training runs in workers started from the server."""

import re
import time

from playwright.sync_api import expect

from tests.e2e.conftest import Server, assert_no_exception


def open_build_train(page, app_url):
    page.goto(app_url + "/build_train")
    page.get_by_text(re.compile(r"[\d,]+ parameters")).first.wait_for()
    return page


def shown_epoch(page) -> int:
    match = re.search(r"epoch (\d+) of (\d+)", page.inner_text("body"))
    return int(match.group(1)) if match else -1


def edit_settings_cell(page, row: int, text: str) -> None:
    """Type `text` into the settings cell of layer `row` of the layer table."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.locator("canvas").first.wait_for()
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    # The header row is about 35 px high, then 35 px per row; the settings column starts near x + 160.
    page.mouse.click(box["x"] + 300, box["y"] + 54 + 35 * row)
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")


def test_a_deep_link_on_a_fresh_server_gets_the_app_navigation(browser, tmp_path):
    server = Server(tmp_path / "fresh.log")  # its own server: this must be the very first visit
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_build_train(page, server.url)
        sidebar = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Build & train" in sidebar and "Home" in sidebar, sidebar
        assert "app" not in sidebar.split()  # the file-name navigation would list the entry script
        page.close()
    finally:
        server.stop()


def test_training_digits_grows_the_curves_and_shows_the_final_accuracy(page, app_url):
    open_build_train(page, app_url)
    epochs = page.get_by_role("spinbutton", name="Epochs")
    epochs.fill("15")  # long enough to watch it move
    epochs.press("Enter")
    page.wait_for_function("() => window.location.search.includes('epochs=15')")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"epoch \d+ of 15")).first.wait_for()
    seen = set()
    deadline = time.time() + 120
    while time.time() < deadline and "Test accuracy" not in page.inner_text("body"):
        seen.add(shown_epoch(page))
        time.sleep(0.3)
    assert_no_exception(page)
    assert len({e for e in seen if 0 < e < 15}) >= 3, f"the epoch counter should move while training: {seen}"
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy")
    value = float(re.search(r"([\d.]+)%", metric.inner_text()).group(1))
    assert value >= 90.0, metric.inner_text()
    # The curve holds one point per epoch (and the untrained epoch 0) for train and validation.
    lengths = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
        .map(p => (p._fullData || []).filter(t => t.name === 'train').map(t => t._length))""")
    assert [16] in lengths or [16, 16] in lengths, lengths


def test_an_invalid_layer_shows_its_message_not_a_traceback(page, app_url):
    open_build_train(page, app_url)
    edit_settings_cell(page, 0, "out_channels=6, kernel_size=11")
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="kernel_size 11")
    alert.first.wait_for()
    assert "Layer 0 (conv2d)" in alert.first.inner_text()
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_disabled()
    assert_no_exception(page)
    # The rest of the page still works: the parameter count follows the other layers' edits.
    edit_settings_cell(page, 0, "out_channels=6, kernel_size=3, padding=1")
    page.get_by_text("19,754 parameters").wait_for()
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled()


def test_a_reload_keeps_the_network(page, app_url):
    open_build_train(page, app_url)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Start from preset").click()
    page.get_by_role("option", name="tiny_vgg").click()
    page.get_by_text("4,802 parameters").wait_for()
    page.wait_for_function("() => window.location.search.includes('preset=tiny_vgg')")
    page.reload()
    page.get_by_text("4,802 parameters").wait_for()
    assert_no_exception(page)
