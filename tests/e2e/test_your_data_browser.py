"""Your data & export in real Chromium: upload a CSV, train on it on Build & Train, download the script."""

import re
import time

from tests.e2e.conftest import assert_no_exception


def _flowers_csv() -> bytes:
    # 80 flowers: petal length decides the kind; "note" is text and is left out.
    rows = ["petal,sepal,note,kind"] + [f"{1 + i % 10},{5 + (i * 7) % 3},n{i},{'iris' if i % 10 < 5 else 'rose'}"
                                        for i in range(80)]
    return "\n".join(rows).encode()


def test_upload_a_csv_train_on_it_and_download_its_script(page, app_url):
    page.goto(app_url + "/your_data")
    page.get_by_text("Your own data").first.wait_for()
    page.locator('input[type="file"]').first.set_input_files(
        {"name": "flowers.csv", "mimeType": "text/csv", "buffer": _flowers_csv()})
    page.get_by_text("Left out because they hold text").first.wait_for()
    page.get_by_role("button", name="Add flowers.csv to my datasets").click()
    page.get_by_text("is ready: choose it in the Dataset list").first.wait_for()
    assert_no_exception(page)

    # In-app navigation keeps the session, and with it the upload (a reload would not).
    page.get_by_role("link", name="Train on it in Build & Train").click()
    page.get_by_text(re.compile(r"[\d,]+ parameters")).first.wait_for()
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Dataset").first.click()
    page.get_by_role("option", name="flowers.csv").click()
    page.get_by_text("64 training and 16 test examples").first.wait_for()
    epochs = page.get_by_role("spinbutton", name="Epochs")
    epochs.fill("30")
    epochs.press("Enter")
    page.wait_for_function("() => window.location.search.includes('epochs=30')")
    page.get_by_role("button", name="Train", exact=True).click()
    deadline = time.time() + 120
    while time.time() < deadline and "Test accuracy" not in page.inner_text("body"):
        time.sleep(0.3)
    assert_no_exception(page)
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy")
    value = float(re.search(r"([\d.]+)%", metric.inner_text()).group(1))
    assert value >= 90.0, metric.inner_text()  # petal length separates the kinds; chance is 50%

    with page.expect_download() as download:
        page.get_by_role("button", name="PyTorch script (.py)").click()
    script = open(download.value.path(), encoding="utf-8").read()
    assert download.value.suggested_filename.startswith("train_mlp_on_flowers_csv")
    assert "def build_network():" in script and "DATA_FILE = 'flowers.csv'" in script
    assert "FEATURES = ['petal', 'sepal']" in script and "EPOCHS = 30" in script
    assert "import playground" not in script
