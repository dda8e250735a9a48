"""Tests for playground.uploads: good tables and image zips become datasets; each bad file is refused
with a message that names what is wrong; unsafe zips are refused before anything is read from them."""

from __future__ import annotations

import dataclasses
import io
import time
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from playground import settings as settings_module
from playground import uploads
from playground.data import DatasetError
from playground.uploads import UploadError, csv_dataset, image_zip_dataset, read_image_zip, read_table


def _csv(rows: list[list], header: list[str], sep: str = ",") -> bytes:
    lines = [sep.join(header)] + [sep.join(str(v) for v in row) for row in rows]
    return "\n".join(lines).encode()


def _png(size: tuple[int, int], colour, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def small_limits(monkeypatch):
    """Settings with tiny upload limits, restored afterwards."""
    def apply(**limits):
        monkeypatch.setattr(settings_module, "_settings",
                            dataclasses.replace(settings_module.get_settings(), **limits))
    return apply


# ---------------------------------------------------------------------------------------------------------
# Tables


def test_a_csv_becomes_a_standardized_stratified_classification_set():
    # 40 rows: feature a = 0..39, b = 10·a, label "even"/"odd" by parity; a text column to leave out.
    rows = [[i, 10 * i, f"name{i}", "even" if i % 2 == 0 else "odd"] for i in range(40)]
    raw = _csv(rows, ["a", "b", "who", "parity"])
    dataset, notes = csv_dataset(raw, label="parity", features=["a", "b"], seed=4, filename="numbers.csv")
    assert dataset.name == "numbers.csv" and dataset.task == "classification"
    assert dataset.classes == ["even", "odd"]
    assert dataset.input_shape == (2,)
    assert len(dataset.x_train) == 32 and len(dataset.x_test) == 8  # a fifth held out
    assert dataset.x_train.dtype == torch.float32 and dataset.y_train.dtype == torch.int64
    # Stratified: 4 of each class in the test part.
    assert sorted(dataset.y_test.tolist()) == [0] * 4 + [1] * 4
    # Standardized on the training part: mean 0 and standard deviation 1 there, per column.
    assert torch.allclose(dataset.x_train.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(dataset.x_train.std(0, unbiased=False), torch.ones(2), atol=1e-5)
    # Each row keeps its label: undo the standardization and check parity by hand.
    mean, std = np.array(dataset.params["feature_mean"]), np.array(dataset.params["feature_std"])
    a = np.rint(dataset.x_test.numpy()[:, 0] * std[0] + mean[0]).astype(int)
    assert (a % 2 == dataset.y_test.numpy()).all()
    assert any("standardized" in n for n in notes)
    # The same seed gives the same split; another seed another one.
    again, _ = csv_dataset(raw, label="parity", features=["a", "b"], seed=4, filename="numbers.csv")
    other, _ = csv_dataset(raw, label="parity", features=["a", "b"], seed=5, filename="numbers.csv")
    assert torch.equal(again.x_test, dataset.x_test) and not torch.equal(other.x_test, dataset.x_test)


def test_semicolon_separated_numbers_become_a_regression_set():
    rows = [[i / 10, 2.5 * i + 1.0] for i in range(50)]
    dataset, notes = csv_dataset(_csv(rows, ["x", "y"], sep=";"), label="y")
    assert dataset.task == "regression" and dataset.classes == [] and dataset.num_outputs == 1
    assert dataset.y_train.shape == (40, 1) and dataset.y_train.dtype == torch.float32
    # Targets are standardized too, with the numbers kept to undo it.
    y_mean, y_std = dataset.params["target_mean"], dataset.params["target_std"]
    x_mean, x_std = dataset.params["feature_mean"][0], dataset.params["feature_std"][0]
    x = dataset.x_train[:, 0].numpy() * x_std + x_mean
    y = dataset.y_train[:, 0].numpy() * y_std + y_mean
    np.testing.assert_allclose(y, 2.5 * x * 10 + 1.0, atol=1e-3)
    assert any("loss is in units of its standard deviation" in n for n in notes)


def test_whole_number_labels_with_few_values_are_classes_and_many_values_are_numbers():
    frame = read_table(_csv([[i, i % 3] for i in range(30)], ["x", "group"]))
    assert uploads.suggest_task(frame, "group") == "classification"
    assert uploads.suggest_task(frame, "x") == "regression"  # 30 different whole numbers
    dataset, _ = csv_dataset(_csv([[i, float(i % 3)] for i in range(30)], ["x", "group"]), label="group")
    assert dataset.classes == ["0", "1", "2"]  # 1.0 reads as "1"


@pytest.mark.parametrize("raw, label, features, message", [
    (_csv([[i, f"n{i}", f"c{i}", i % 2] for i in range(20)], ["a", "name", "city", "y"]), "y", None,
     "Columns 'name', 'city' hold text, not numbers"),
    (_csv([[i, 1] for i in range(20)], ["a", "y"]), "y", None, "Every row has the same 'y'"),
    (_csv([[i, "" if i in (3, 7) else i, i % 2] for i in range(20)], ["a", "b", "y"]), "y", None,
     r"Some cells are empty in 'b' \(2\)"),
    (_csv([[i, i % 2] for i in range(20)], ["a", "y"]), "z", None, "has no column 'z'"),
    (_csv([[i, i % 2] for i in range(20)], ["a", "y"]), "y", ["y"], "cannot also be a feature"),
    (_csv([[i, i % 2] for i in range(20)], ["a", "y"]), "y", [], "at least one feature"),
])
def test_bad_tables_are_refused_with_what_is_wrong(raw, label, features, message):
    with pytest.raises(UploadError, match=message):
        csv_dataset(raw, label=label, features=features)


def test_a_text_label_cannot_be_a_number_to_predict():
    raw = _csv([[i, "cat" if i % 2 else "dog"] for i in range(20)], ["a", "pet"])
    with pytest.raises(UploadError, match="'pet' holds text, so it cannot be a number to predict"):
        csv_dataset(raw, label="pet", task="regression")


@pytest.mark.parametrize("raw, message", [
    (b"", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a text file"),
    (b"just one column\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11", "has only one column"),
    (_csv([[i, i] for i in range(5)], ["a", "b"]), "has 5 rows; at least 10"),
    (b"a,b\n1,2\n3,4,5,6\n" + b"1,2\n" * 20, "could not be read as a CSV table"),
])
def test_files_that_are_not_usable_tables_are_refused(raw, message):
    with pytest.raises(UploadError, match=message):
        read_table(raw, filename="upload.csv")


def test_size_and_row_limits_come_from_the_settings(small_limits):
    raw = _csv([[i, i % 2] for i in range(100)], ["a", "y"])
    small_limits(upload_max_rows=50)
    with pytest.raises(UploadError, match="more than 50 rows"):
        read_table(raw)
    small_limits(upload_max_mb=0.0001)  # about 100 bytes
    with pytest.raises(UploadError, match=r"uploads may be at most 0\.0001 MB"):
        read_table(raw)


def test_upload_errors_are_dataset_errors():
    assert issubclass(UploadError, DatasetError)  # pages that catch DatasetError show them too


# ---------------------------------------------------------------------------------------------------------
# Image zips


def _class_zip(sizes=((12, 10),), per_class: int = 5, prefix: str = "pets/") -> bytes:
    """Red 'apple' and blue 'sea' pictures, cycling through `sizes`."""
    files = {}
    for name, colour in (("apple", (255, 0, 0)), ("sea", (0, 0, 255))):
        for i in range(per_class):
            files[f"{prefix}{name}/{i}.png"] = _png(sizes[i % len(sizes)], colour)
    return _zip(files)


def test_a_zip_of_class_folders_becomes_an_image_set():
    dataset, notes = image_zip_dataset(_class_zip(per_class=5), filename="pets.zip")
    assert dataset.classes == ["apple", "sea"] and dataset.task == "classification"
    assert dataset.input_shape == (3, 10, 12)  # (C, H, W) of 12-wide, 10-high pictures
    assert len(dataset.x_train) + len(dataset.x_test) == 10
    # Pixels in [0, 1]; apples are red, the sea blue: the label can be read off the channels.
    x = torch.cat([dataset.x_train, dataset.x_test])
    y = torch.cat([dataset.y_train, dataset.y_test])
    assert x.min() >= 0 and x.max() <= 1
    assert torch.equal((x[:, 2].mean((1, 2)) > x[:, 0].mean((1, 2))).long(), y)
    assert notes[0] == "10 images in 2 classes: apple (5), sea (5)."


def test_images_of_mixed_sizes_are_resized_to_the_most_common_and_the_notes_say_so():
    raw = _class_zip(sizes=((16, 16), (16, 16), (30, 20)), per_class=6, prefix="")
    dataset, notes = image_zip_dataset(raw)
    assert dataset.input_shape == (3, 16, 16)
    assert any("2 different sizes; all were resized to 16 × 16 pixels" in n for n in notes)


def test_large_pictures_are_shrunk_to_the_configured_side(small_limits):
    small_limits(upload_image_side=8)
    dataset, notes = image_zip_dataset(_class_zip(sizes=((40, 20),), per_class=3))
    assert dataset.input_shape == (3, 4, 8)  # the longer side to 8, the shape kept
    assert any("shrunk to 8 × 4" in n for n in notes)


def test_grey_pictures_give_one_channel():
    files = {f"{c}/{i}.png": _png((8, 8), 200 if c == "light" else 30, mode="L")
             for c in ("light", "dark") for i in range(3)}
    dataset, _ = image_zip_dataset(_zip(files))
    assert dataset.input_shape == (1, 8, 8)
    assert dataset.classes == ["dark", "light"]


def test_junk_is_skipped_and_listed_but_the_images_are_used():
    files = {f"{c}/{i}.png": _png((8, 8), (i * 40, 0, 0)) for c in ("a", "b") for i in range(3)}
    files.update({"a/broken.png": b"not a picture", "notes.txt": b"hello", "__MACOSX/a/._0.png": b"junk",
                  "a/.DS_Store": b"junk", "b/inner.zip": _zip({"x.png": _png((8, 8), 0)})})
    arrays = read_image_zip(_zip(files))
    assert len(arrays.x) == 6
    text = " ".join(arrays.notes)
    assert "Skipped 1 file that could not be read as images: broken.png" in text
    assert "Skipped 2 files that are not pictures in a class folder" in text
    assert "notes.txt" in text and "inner.zip" in text
    assert "DS_Store" not in text and "MACOSX" not in text


@pytest.mark.parametrize("entry", ["../evil/0.png", "/etc/a/0.png", "a/../../0.png", "C:/x/a/0.png",
                                   "..\\..\\a\\0.png"])
def test_a_zip_with_paths_outside_its_folders_is_refused(entry):
    files = {f"{c}/{i}.png": _png((8, 8), 0) for c in ("a", "b") for i in range(2)}
    files[entry] = _png((8, 8), 0)
    with pytest.raises(UploadError, match="points outside the zip's own folders"):
        read_image_zip(_zip(files), filename="evil.zip")


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    files = {f"{c}/{i}.png": _png((8, 8), 0) for c in ("a", "b") for i in range(2)}
    files["a/huge.png"] = b"\x00" * (50 * 2**20)  # 50 MB of zeros pack into about 50 kB
    raw = _zip(files)
    assert len(raw) < 2**20
    with pytest.raises(UploadError, match="zip bomb"):
        read_image_zip(raw)


@pytest.mark.parametrize("files, message", [
    ({f"only/{i}.png": _png((8, 8), 0) for i in range(4)}, "only one class folder \\('only'\\)"),
    ({"readme.txt": b"hi"}, "has no images in it"),
    ({"a/x/1.png": _png((8, 8), 0), "b/y/2.png": _png((8, 8), 0)}, "folders inside the class folders"),
    ({"a/1.png": b"broken", "b/2.png": b"broken"}, "None of the images in upload.zip could be read"),
])
def test_bad_zips_are_refused_with_what_is_wrong(files, message):
    with pytest.raises(UploadError, match=message):
        read_image_zip(_zip(files), filename="upload.zip")


def test_files_that_are_not_zips_and_too_many_images_are_refused(small_limits):
    with pytest.raises(UploadError, match="is not a zip file"):
        read_image_zip(b"a,b\n1,2\n", filename="table.zip")
    small_limits(upload_max_images=7)
    with pytest.raises(UploadError, match="holds 10 images; at most 7"):
        read_image_zip(_class_zip(per_class=5))


# ---------------------------------------------------------------------------------------------------------
# Bounds: every upload's reading is limited in time and memory, with a message past each limit


def _wide_csv(rows: int, columns: int) -> bytes:
    """A header c0..c{columns-1} and `rows` lines of ones, the last column counting 0, 1, 2, 0, …"""
    header = ",".join(f"c{i}" for i in range(columns))
    return ("\n".join([header] + [",".join(["1"] * (columns - 1) + [str(r % 3)]) for r in range(rows)])).encode()


def test_a_csv_of_20_rows_and_10000_columns_is_refused_at_once():
    # The file that once kept a server core busy for tens of minutes: 4 MB, 20 × 10,000 ones.
    raw = _wide_csv(20, 10_000)
    start = time.perf_counter()
    with pytest.raises(UploadError) as caught:
        read_table(raw, filename="wide.csv")
    assert time.perf_counter() - start < 1.0
    assert str(caught.value).startswith("wide.csv has 10,000 columns; a table may have at most 1,000.")


def test_a_table_at_the_column_limit_is_checked_in_linear_time():
    # 1,000 columns once took 26 s in table_arrays (a scan of every column for each feature).
    raw = _wide_csv(20, 1_000)
    start = time.perf_counter()
    arrays = uploads.table_arrays(read_table(raw), label="c999")
    assert time.perf_counter() - start < 1.0
    assert arrays.x.shape == (20, 999) and arrays.classes == ["0", "1", "2"]
    assert arrays.y.tolist() == [r % 3 for r in range(20)]


def test_a_frame_with_more_feature_columns_than_allowed_is_refused(small_limits):
    import pandas as pd

    small_limits(upload_max_columns=3)
    frame = pd.DataFrame({f"c{i}": np.arange(12.0) for i in range(5)})
    with pytest.raises(UploadError, match="4 feature columns are chosen; at most 3 may be"):
        uploads.table_arrays(frame, label="c4")
    with pytest.raises(UploadError, match="Column 'c0' is chosen twice"):
        uploads.table_arrays(frame, label="c4", features=["c0", "c1", "c0"])


def test_columns_and_cells_limits_come_from_the_settings(small_limits):
    small_limits(upload_max_columns=10, upload_max_cells=100)
    assert read_table(_wide_csv(10, 10)).shape == (10, 10)  # 100 cells: at the limit
    with pytest.raises(UploadError, match="has 11 columns; a table may have at most 10"):
        read_table(_wide_csv(10, 11))
    with pytest.raises(UploadError, match=r"has 11 rows × 10 columns = 110 cells; a table may have at most 100\."):
        read_table(_wide_csv(11, 10))


def test_many_empty_columns_are_named_a_few_at_a_time():
    raw = ("\n".join(["a,b,c,d,e,f,g,y"] + [",,,,,,,1" if r == 3 else "1,2,3,4,5,6,7,1" for r in range(12)])).encode()
    with pytest.raises(UploadError) as caught:
        csv_dataset(raw, label="y")
    assert str(caught.value).startswith("Some cells are empty in 'a' (1), 'b' (1), 'c' (1), 'd' (1), 'e' (1) "
                                        "and 2 more columns.")


def test_a_zip_past_the_entry_limit_is_refused_from_its_end_record(small_limits, monkeypatch):
    small_limits(upload_max_zip_entries=10)
    at_limit = _class_zip(per_class=5)  # 10 pictures
    assert len(read_image_zip(at_limit).x) == 10
    too_many = _zip({f"a/{i}.txt": b"" for i in range(11)})

    def unread(*args, **kwargs):
        raise AssertionError("the zip's directory was read")

    monkeypatch.setattr(zipfile, "ZipFile", unread)
    with pytest.raises(UploadError, match="holds 11 files and folders; a zip may hold at most 10"):
        read_image_zip(too_many)


def test_unpacked_size_and_total_pixels_come_from_the_settings(small_limits):
    raw = _class_zip(sizes=((12, 10),), per_class=5)  # 10 pictures of 120 pixels
    small_limits(upload_max_zip_pixels=1_200)
    assert len(read_image_zip(raw).x) == 10
    small_limits(upload_max_zip_pixels=1_199)
    with pytest.raises(UploadError, match="hold more than 1,199 pixels together"):
        read_image_zip(raw)
    unpacked = sum(len(_png((12, 10), c)) for c in ((255, 0, 0), (0, 0, 255))) * 5
    small_limits(upload_max_unpacked_mb=(unpacked - 1) / 2**20)
    with pytest.raises(UploadError, match=f"unpacks to 0 MB; a zip may unpack to at most {(unpacked - 1) / 2**20:,g}"):
        read_image_zip(raw)


def test_a_large_jpeg_counts_and_decodes_at_an_eighth_of_its_side(small_limits):
    def jpeg(colour) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (800, 800), colour).save(buffer, "JPEG")
        return buffer.getvalue()

    raw = _zip({"red/1.jpg": jpeg((255, 0, 0)), "blue/1.jpg": jpeg((0, 0, 255))})
    # Shrunk to 32 pixels a side, each is decoded at 100 × 100 (at least twice 32): 10,000 pixels each.
    small_limits(upload_max_zip_pixels=20_000)
    arrays = read_image_zip(raw)
    assert arrays.x.shape == (2, 3, 32, 32)
    red = arrays.x[arrays.y == arrays.classes.index("red")][0]
    assert abs(float(red[0].mean()) - 254 / 255) < 0.01 and float(red[2].mean()) < 0.01
    small_limits(upload_max_zip_pixels=19_999)
    with pytest.raises(UploadError, match="more than 19,999 pixels"):
        read_image_zip(raw)


def test_a_zip_with_more_class_folders_than_classes_allowed_is_refused():
    files = {f"k{i}/1.png": _png((4, 4), (i, 0, 0)) for i in range(uploads.MAX_CLASSES + 1)}
    with pytest.raises(UploadError, match=f"has {uploads.MAX_CLASSES + 1} class folders; at most "
                                          f"{uploads.MAX_CLASSES} classes"):
        read_image_zip(_zip(files))


# ---------------------------------------------------------------------------------------------------------
# Training on an upload


def test_a_worker_trains_on_an_uploaded_table_it_cannot_load_by_name(pool):
    from playground.jobs.train import Config, start
    from playground.models import preset

    # Class 1 inside a circle of radius 1.2 around the origin: a network must bend its boundary.
    rng = np.random.default_rng(0)
    points = rng.uniform(-2, 2, (400, 2))
    rows = [[f"{a:.4f}", f"{b:.4f}", int(a * a + b * b < 1.44)] for a, b in points]
    jobs = []
    for seed in (0, 1, 2):
        dataset, _ = csv_dataset(_csv(rows, ["a", "b", "inside"]), label="inside", filename="disc.csv", seed=seed)
        jobs.append(start(preset("mlp", dataset), dataset, Config(epochs=40, lr=0.03, seed=seed), pool=pool))
    for job in jobs:
        assert job.wait(90) == "done", job.error
        history = job.history
        majority = max(np.mean([r[2] for r in rows]), 1 - np.mean([r[2] for r in rows]))  # about 0.72
        assert history["val_acc"].iloc[-1] >= 0.9 > majority + 0.1, history["val_acc"].tolist()


def test_a_zip_holding_a_picture_header_of_900_million_pixels_names_it_unreadable():
    from tests.test_images import png_header

    small = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(small, format="PNG")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cats/huge.png", png_header(30000, 30000))  # past Pillow's own bomb bound
        for k in range(3):
            archive.writestr(f"cats/{k}.png", small.getvalue())
            archive.writestr(f"dogs/{k}.png", small.getvalue())
    arrays = uploads.read_image_zip(buffer.getvalue(), filename="bomb.zip")
    assert len(arrays.x) == 6
    assert "huge.png" in " ".join(arrays.notes)
