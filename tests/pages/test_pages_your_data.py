"""The Your data & export page: an uploaded CSV or zip is previewed, checked and added to the session's
datasets, Build & Train lists and trains on it, and the export offers its three downloads."""

import io
import zipfile

from PIL import Image

from tests.pages.test_pages import open_page, texts

PAGE = "pages/your_data.py"


def _csv() -> bytes:
    # 60 flowers: petal length decides the kind; "note" is text and must be left out.
    rows = ["petal,sepal,note,kind"] + [f"{1 + i % 10},{5 + (i * 7) % 3},n{i},{'iris' if i % 10 < 5 else 'rose'}"
                                        for i in range(60)]
    return "\n".join(rows).encode()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
            for i in range(4):
                picture = io.BytesIO()
                Image.new("RGB", (12, 12) if i else (20, 16), colour).save(picture, "PNG")
                archive.writestr(f"colours/{name}/{i}.png", picture.getvalue())
    return buffer.getvalue()


def _button(at, label_start: str):
    return next(b for b in at.button if b.label.startswith(label_start))


def test_an_uploaded_csv_is_previewed_checked_added_and_listed_on_build_and_train():
    at = open_page(PAGE)
    assert at.title[0].value == "Your data & export"
    at.file_uploader(key="yd.file").set_value(("flowers.csv", _csv(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="yd.label").value == "kind"  # the last column by default
    assert at.radio(key="yd.task").value == "classification"  # words are classes
    assert at.multiselect(key="yd.features.kind").value == ["petal", "sepal"]
    assert "Left out because they hold text: `note`" in texts(at)
    assert any("standardized" in i.value for i in at.info)

    # A text column chosen as a feature is refused, by name.
    at.multiselect(key="yd.features.kind").set_value(["petal", "note"]).run()
    assert any("Column 'note' holds text" in e.value for e in at.error)
    at.multiselect(key="yd.features.kind").set_value(["petal", "sepal"]).run()

    _button(at, "Add flowers.csv").click().run()
    assert not at.exception
    assert any("flowers.csv" in s.value and "ready" in s.value for s in at.success)
    assert "flowers.csv" in at.session_state["uploaded_datasets"]

    at.switch_page("pages/build_train.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "flowers.csv" in at.selectbox(key="bt.dataset").options
    at.selectbox(key="bt.dataset").set_value("flowers.csv").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="bt.preset").value == "mlp"  # flat data gets the perceptron
    assert "48 training and 12 test examples" in texts(at)
    at.button(key="bt.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    record = at.session_state["runs"][at.session_state["bt.current"]]
    assert record.job.wait(90) == "done", record.job.error
    # Petal length alone separates the kinds: the network learns it (chance is 50%).
    assert record.refresh().final["val_acc"] >= 0.9
    assert record.dataset["name"] == "flowers.csv"


def test_a_label_column_of_numbers_suggests_regression_and_a_bad_file_shows_its_message():
    at = open_page(PAGE)
    rows = ["x,y"] + [f"{i},{i * 0.37:.2f}" for i in range(30)]
    at.file_uploader(key="yd.file").set_value(("line.csv", "\n".join(rows).encode(), "text/csv")).run()
    assert at.radio(key="yd.task").value == "regression"
    at.file_uploader(key="yd.file").set_value(("tiny.csv", b"a,b\n1,2\n", "text/csv")).run()
    assert not at.exception
    assert any("tiny.csv has 1 rows; at least 10" in e.value for e in at.error)
    assert not [b for b in at.button if b.label.startswith("Add")]


def test_an_uploaded_zip_says_its_pictures_were_resized_and_can_be_added_and_removed():
    at = open_page(PAGE)
    at.file_uploader(key="yd.file").set_value(("colours.zip", _zip(), "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    notes = " ".join(i.value for i in at.info)
    assert "8 images in 2 classes: blue (4), red (4)." in notes
    assert "2 different sizes; all were resized to 12 × 12 pixels" in notes
    _button(at, "Add colours.zip").click().run()
    assert "colours.zip" in at.session_state["uploaded_datasets"]
    at.button(key="yd.remove").click().run()
    assert not at.exception
    assert "colours.zip" not in at.session_state["uploaded_datasets"]


def test_export_offers_the_script_weights_and_onnx_of_a_model():
    at = open_page(PAGE)
    assert at.radio(key="yd.source").value == "run"
    assert at.selectbox(key="yd.model").value  # an example is there on first open
    code = "\n".join(c.value for c in at.code)
    assert "def build_network():" in code and "def load_data():" in code
    assert "import playground" not in code
    at.radio(key="yd.source").set_value("spec").run()
    assert not at.exception
    assert any("Open Build & Train first" in i.value for i in at.info)
    at.switch_page("pages/build_train.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "lenet5** on **digits" in texts(at) and "not trained yet" in texts(at)
