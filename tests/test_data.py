"""Tests for playground.data: shapes, determinism, each set's rule, errors, and torchvision files."""

from __future__ import annotations

import json
import math
import os
import pickle
import struct
import time
from urllib.error import URLError

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import data
from playground.data import DATASETS, Dataset, DatasetCache, DatasetError, load, names
from playground.settings import Settings

TOY_CLASSIFICATION = ["circle", "xor", "gauss", "spiral"]
TOY_REGRESSION = ["reg_plane", "reg_gauss"]
OFFLINE = [name for name in names() if DATASETS[name].offline]


def _assert_same(a: Dataset, b: Dataset) -> None:
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a, field), getattr(b, field)), field


def _all_points(ds: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.cat([ds.x_train, ds.x_test]), torch.cat([ds.y_train, ds.y_test])


# ---------------------------------------------------------------------------------------------------------
# Registry


def test_registry_holds_every_builtin_dataset_by_kind():
    assert names("toy2d") == TOY_CLASSIFICATION + TOY_REGRESSION
    assert names("image") == ["digits", "shapes", "mnist", "fashion_mnist", "cifar10"]
    assert names("sequence") == ["sine", "adding", "recall", "characters"]
    assert names() == names("toy2d") + names("image") + names("sequence")
    assert [name for name in names() if not DATASETS[name].offline] == ["mnist", "fashion_mnist", "cifar10"]
    assert all(DATASETS[name].description for name in names())


def test_defaults_come_from_the_loader_signature():
    assert DATASETS["circle"].defaults == {"n": 500, "noise": 0.0, "test_fraction": 0.5}
    assert DATASETS["digits"].defaults == {"test_fraction": 0.2}
    assert DATASETS["shapes"].defaults == {"n": 2000, "size": 28, "noise": 0.05, "test_fraction": 0.2}
    assert DATASETS["mnist"].defaults == {"n_train": None, "n_test": None, "data_dir": None}


def test_register_refuses_a_duplicate_name():
    with pytest.raises(ValueError, match="'circle' is already registered"):
        data.register_dataset("circle", task="regression", kind="toy2d", description="")(lambda seed: None)


def test_register_refuses_unknown_task_and_parameter_without_default(monkeypatch):
    monkeypatch.setattr(data, "DATASETS", DATASETS.copy())
    with pytest.raises(ValueError, match="task must be one of"):
        data.register_dataset("odd", task="ranking", kind="toy2d", description="")

    def needs_a_value(seed, *, size):
        return None

    with pytest.raises(ValueError, match="'size'.*needs a default"):
        data.register_dataset("odd", task="regression", kind="toy2d", description="")(needs_a_value)


def test_a_later_module_can_register_and_load_its_own_dataset(monkeypatch):
    monkeypatch.setattr(data, "DATASETS", DATASETS.copy())

    @data.register_dataset("ones", task="regression", kind="toy2d", description="All ones.")
    def load_ones(seed, *, n=3):
        x = torch.ones(n, 2)
        return Dataset(name="ones", x_train=x, y_train=torch.ones(n, 1), x_test=x, y_test=torch.ones(n, 1),
                       input_shape=(2,), classes=[], task="regression", params={"n": n}, seed=seed)

    assert "ones" in data.names("toy2d")
    assert load("ones").x_train.shape == (3, 2)
    assert load("ones", seed=4, n=5).ref() == {"name": "ones", "seed": 4, "params": {"n": 5}}
    with pytest.raises(DatasetError, match="'m'.*allowed: n"):
        load("ones", m=2)


# ---------------------------------------------------------------------------------------------------------
# Every offline dataset


@pytest.mark.parametrize("name", OFFLINE)
def test_same_seed_gives_identical_tensors_and_another_seed_differs(name):
    small = {"n": 200} if "n" in DATASETS[name].defaults else {}
    first, again = load(name, seed=3, **small), load(name, seed=3, **small)
    _assert_same(first, again)
    other = load(name, seed=4, **small)
    assert not torch.equal(first.x_train, other.x_train)


@pytest.mark.parametrize("name", OFFLINE)
def test_ref_remakes_the_same_dataset_and_is_json(name):
    small = {"n": 100} if "n" in DATASETS[name].defaults else {}
    ds = load(name, seed=7, **small)
    ref = json.loads(json.dumps(ds.ref()))
    assert ref["name"] == name and ref["seed"] == 7
    assert set(ref["params"]) == set(DATASETS[name].defaults)
    _assert_same(ds, load(ref["name"], seed=ref["seed"], **ref["params"]))


@pytest.mark.parametrize("name", OFFLINE)
def test_tensor_dtypes_and_shapes_follow_the_task(name):
    ds = load(name, seed=0)
    assert ds.name == name and ds.task == DATASETS[name].task
    assert ds.x_train.dtype == ds.x_test.dtype == torch.float32
    assert tuple(ds.x_train.shape[1:]) == tuple(ds.x_test.shape[1:]) == ds.input_shape
    assert len(ds.x_train) == len(ds.y_train) and len(ds.x_test) == len(ds.y_test)
    if ds.task == "classification":
        assert ds.y_train.dtype == torch.int64 and ds.y_train.ndim == 1
        _, labels = _all_points(ds)
        assert set(labels.unique().tolist()) == set(range(len(ds.classes)))
        assert ds.num_outputs == len(ds.classes)
    else:
        assert ds.y_train.dtype == torch.float32 and ds.y_train.shape == (len(ds.x_train), 1)
        assert ds.classes == [] and ds.num_outputs == 1
    assert ds.is_image == (DATASETS[name].kind == "image")


# ---------------------------------------------------------------------------------------------------------
# 2-D sets


@pytest.mark.parametrize("name", TOY_CLASSIFICATION + TOY_REGRESSION)
def test_toy_points_stay_in_the_plot(name):
    assert load(name, seed=1).input_shape == (2,)
    clean, _ = _all_points(load(name, seed=1))
    assert clean.abs().max() <= 6.0
    noisy, _ = _all_points(load(name, seed=1, noise=0.5))
    inside = (noisy.abs() <= 6.0).all(dim=1).float().mean().item()
    # Gaussian blobs have tails: at full noise a few of their points leave the plot.
    assert inside > 0.9 if name == "gauss" else inside == 1.0


@pytest.mark.parametrize("name", TOY_CLASSIFICATION)
def test_toy_classes_are_balanced_and_named(name):
    ds = load(name, seed=2, n=501)
    _, labels = _all_points(ds)
    assert ds.classes == ["blue", "orange"]
    assert labels.bincount().tolist() == [250, 251]


def test_xor_labels_follow_the_sign_rule_without_noise():
    x, labels = _all_points(load("xor", seed=5))
    assert torch.equal(labels, (x[:, 0] * x[:, 1] < 0).long())
    assert x.abs().min() >= 0.3  # a margin around both axes


def test_circle_classes_are_separated_by_radius_without_noise():
    x, labels = _all_points(load("circle", seed=5))
    radius = x.norm(dim=1)
    assert radius[labels == 0].max() <= 2.0
    assert radius[labels == 1].min() >= 3.0
    assert radius.max() <= 5.0


@pytest.mark.parametrize("name", ["circle", "xor"])
def test_noise_changes_labels_near_the_boundary_not_positions(name):
    clean, noisy = load(name, seed=9, n=1000), load(name, seed=9, n=1000, noise=0.3)
    assert torch.equal(clean.x_train, noisy.x_train)
    flipped = (clean.y_train != noisy.y_train).float().mean().item()
    assert 0.02 < flipped < 0.4


def test_gauss_noise_widens_the_blobs():
    x_clean, labels = _all_points(load("gauss", seed=0, n=2000))
    x_noisy, _ = _all_points(load("gauss", seed=0, n=2000, noise=0.5))
    blue = x_clean[labels == 0]
    assert torch.allclose(blue.mean(dim=0), torch.tensor([2.0, 2.0]), atol=0.15)
    # Variance goes from 0.5 to 4 per axis.
    assert x_clean[labels == 0].var(dim=0).mean().item() == pytest.approx(0.5, rel=0.2)
    assert x_noisy[labels == 0].var(dim=0).mean().item() == pytest.approx(4.0, rel=0.2)


def test_spiral_arms_follow_their_curves_without_noise():
    x, labels = _all_points(load("spiral", seed=3))
    radius = x.norm(dim=1)
    # A point at radius r lies at angle 3.5π r/5 (measured from the x2 axis), turned by π for orange.
    expected = 3.5 * math.pi * radius / 5 + math.pi * labels
    angle = torch.atan2(x[:, 0], x[:, 1])
    difference = torch.remainder(angle - expected + math.pi, 2 * math.pi) - math.pi
    assert difference[radius > 0.05].abs().max() < 1e-3


def test_reg_plane_is_a_tilted_plane_without_noise():
    x, y = _all_points(load("reg_plane", seed=4))
    assert torch.allclose(y[:, 0], (x[:, 0] + x[:, 1]) / 12, atol=1e-6)
    assert y.min() >= -1 and y.max() <= 1


def test_reg_gauss_has_hills_and_valleys_at_the_bumps():
    x, y = _all_points(load("reg_gauss", seed=4, n=2000))
    assert y.min() >= -1 and y.max() <= 1
    assert y.max() > 0.9 and y.min() < -0.9
    # The highest point lies next to a positive bump, the lowest next to a negative one.
    top, bottom = x[y[:, 0].argmax()], x[y[:, 0].argmin()]
    positive = torch.tensor([[-4.0, 2.5], [4.0, 2.5], [0.0, -2.5]])
    negative = torch.tensor([[0.0, 2.5], [-4.0, -2.5], [4.0, -2.5]])
    assert (positive - top).norm(dim=1).min() < 0.6
    assert (negative - bottom).norm(dim=1).min() < 0.6


@settings(deadline=None, derandomize=True, max_examples=30)
@given(name=st.sampled_from(TOY_CLASSIFICATION + TOY_REGRESSION), n=st.integers(4, 400),
       test_fraction=st.floats(0.1, 0.9), noise=st.floats(0.0, 0.5), seed=st.integers(0, 2**32 - 1))
def test_any_toy_split_adds_up_and_labels_are_in_range(name, n, test_fraction, noise, seed):
    ds = load(name, seed=seed, n=n, noise=noise, test_fraction=test_fraction)
    assert len(ds.x_train) + len(ds.x_test) == n
    assert len(ds.x_train) >= 1 and len(ds.x_test) >= 1
    assert abs(len(ds.x_test) - n * test_fraction) <= 1
    _, labels = _all_points(ds)
    if ds.task == "classification":
        assert labels.min() >= 0 and labels.max() <= 1
    else:
        assert labels.abs().max() <= 1.5
    # The split covers every point once: no point is in both parts.
    x, _ = _all_points(ds)
    assert len(torch.unique(x, dim=0)) == n


# ---------------------------------------------------------------------------------------------------------
# Image sets that need no download


def test_digits_are_sklearns_digits_split_by_class():
    from sklearn.datasets import load_digits

    ds = load("digits", seed=0)
    reference = load_digits()
    assert len(ds.x_train) + len(ds.x_test) == 1797
    assert ds.input_shape == (1, 8, 8) and ds.classes == [str(d) for d in range(10)]
    assert ds.x_train.min() >= 0 and ds.x_train.max() == 1
    x, labels = _all_points(ds)
    assert x.sum().item() == pytest.approx(reference.images.sum() / 16, rel=1e-6)
    assert torch.equal(labels.bincount(), torch.as_tensor(np.bincount(reference.target)))
    # Stratified: each class has its 20% share in the test set, give or take one sample.
    expected = np.bincount(reference.target) * 0.2
    assert np.abs(ds.y_test.bincount().numpy() - expected).max() <= 1


def test_shapes_have_balanced_classes_and_sizes():
    ds = load("shapes", seed=0)
    assert ds.classes == ["square", "circle", "triangle", "cross"]
    assert ds.input_shape == (1, 28, 28) and len(ds.x_train) == 1600 and len(ds.x_test) == 400
    assert ds.y_train.bincount().tolist() == [400] * 4 and ds.y_test.bincount().tolist() == [100] * 4
    assert ds.x_train.min() >= 0 and ds.x_train.max() <= 1
    assert ds.masks_train.shape == ds.x_train.shape and ds.masks_train.dtype == torch.bool
    assert ds.masks_test.shape == ds.x_test.shape


@pytest.mark.parametrize("size", [16, 28, 64])
def test_shape_masks_are_whole_shapes_and_the_image_is_bright_there(size):
    ds = load("shapes", seed=1, n=400, size=size)
    masks, images, labels = ds.masks_train[:, 0], ds.x_train[:, 0], ds.y_train
    area = masks.sum(dim=(1, 2))
    assert (area > 0).all() and (area < 0.6 * size * size).all()
    inside = (images * masks).sum(dim=(1, 2)) / area
    outside = (images * ~masks).sum(dim=(1, 2)) / (~masks).sum(dim=(1, 2))
    assert (inside > outside + 0.5).all()
    rows, cols = masks.any(dim=2), masks.any(dim=1)
    height, width = rows.sum(dim=1), cols.sum(dim=1)
    fill = area / (height * width)
    square, circle, triangle = labels == 0, labels == 1, labels == 2
    # A square fills its bounding box exactly, and is not cut off by the border (a free centre
    # may round one side to one pixel more than the other).
    assert (fill[square] == 1).all() and (height[square] - width[square]).abs().max() <= 1
    assert ((fill[circle] > 0.55) & (fill[circle] < 0.95)).all()
    assert ((fill[triangle] > 0.45) & (fill[triangle] < 0.72)).all()
    # A triangle points up: its top row is narrower than its bottom row.
    for mask in masks[triangle][:20]:
        filled_rows = mask[mask.any(dim=1)]
        assert filled_rows[0].sum() < filled_rows[-1].sum()


def test_noise_free_shapes_are_exactly_the_mask_times_a_brightness():
    ds = load("shapes", seed=2, n=40, noise=0.0)
    images, masks = ds.x_train, ds.masks_train
    assert (images[~masks] == 0).all()
    brightness = images.amax(dim=(1, 2, 3))
    assert ((brightness >= 0.8) & (brightness <= 1.0)).all()
    assert torch.equal(images, masks * brightness[:, None, None, None])


def test_two_thousand_shapes_take_well_under_a_second():
    start = time.perf_counter()
    load("shapes", seed=0, n=2000, size=28)
    assert time.perf_counter() - start < 1.0


# ---------------------------------------------------------------------------------------------------------
# Errors a user can make


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(DatasetError) as caught:
        load("spirals")
    message = str(caught.value)
    assert "'spirals'" in message and "spiral" in message and "digits" in message


def test_unknown_parameter_names_itself_and_the_allowed_ones():
    with pytest.raises(DatasetError) as caught:
        load("circle", points=10)
    assert "'points'" in str(caught.value) and "n, noise, test_fraction" in str(caught.value)


@pytest.mark.parametrize(("name", "params", "words"), [
    ("circle", {"n": 3}, ["n must be between 4 and 10,000", "got 3"]),
    ("circle", {"n": 10.5}, ["n must be a whole number"]),
    ("circle", {"n": "many"}, ["n must be a whole number", "'many'"]),
    ("circle", {"noise": -0.1}, ["noise must be between 0 and 0.5", "got -0.1"]),
    ("spiral", {"noise": 0.8}, ["noise must be between 0 and 0.5"]),
    ("xor", {"test_fraction": 0.0}, ["test_fraction must be between 0 and 1 (both excluded)"]),
    ("xor", {"test_fraction": 1.5}, ["test_fraction", "got 1.5"]),
    ("digits", {"test_fraction": 1}, ["test_fraction"]),
    ("shapes", {"size": 12}, ["size must be between 16 and 64", "got 12"]),
    ("shapes", {"noise": float("nan")}, ["noise must be a number"]),
    ("mnist", {"n_train": 0}, ["n_train must be between 1 and 60,000"]),
])
def test_bad_values_are_explained(name, params, words):
    with pytest.raises(DatasetError) as caught:
        load(name, **params)
    for word in words:
        assert word in str(caught.value)


def test_bad_seed_is_refused():
    with pytest.raises(DatasetError, match="seed must be between 0 and "):
        load("xor", seed=-1)


def test_whole_number_floats_and_numpy_values_are_accepted_as_plain_numbers():
    ds = load("circle", seed=np.int64(1), n=40.0, noise=np.float32(0.25))
    assert ds.params == {"n": 40, "noise": 0.25, "test_fraction": 0.5}
    assert type(ds.params["n"]) is int and type(ds.seed) is int
    json.dumps(ds.ref())


# ---------------------------------------------------------------------------------------------------------
# torchvision sets, from tiny files in torchvision's own formats (no network)


def _no_download(*args, **kwargs):
    raise URLError("network is unreachable")


def _write_idx(path, array: np.ndarray) -> None:
    """An uncompressed idx file as MNIST ships it: 0, 0, type 0x08 (uint8), ndim, big-endian sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", size) for size in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _fake_mnist(root, folder: str, n_train: int, n_test: int) -> None:
    """Image i has pixel (0, 0) = 40 i and label 3 i mod 10: a sample's label follows from its pixels."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    for prefix, count in (("train", n_train), ("t10k", n_test)):
        images = np.zeros((count, 28, 28), dtype=np.uint8)
        images[:, 0, 0] = 40 * np.arange(count)
        images[:, 27, :] = 255
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", (3 * np.arange(count)) % 10)


@pytest.mark.parametrize(("name", "class_name"), [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_style_sets_read_torchvision_files(tmp_path, monkeypatch, name, class_name):
    monkeypatch.setattr(getattr(torchvision.datasets, class_name), "download", _no_download)
    _fake_mnist(tmp_path, class_name, n_train=6, n_test=4)
    ds = load(name, data_dir=str(tmp_path))
    assert ds.x_train.shape == (6, 1, 28, 28) and ds.x_test.shape == (4, 1, 28, 28)
    assert ds.x_train.dtype == torch.float32 and ds.input_shape == (1, 28, 28)
    assert torch.allclose(ds.x_train[:, 0, 0, 0] * 255, 40 * torch.arange(6.0))
    assert (ds.x_train[:, 0, 27] == 1).all() and ds.x_train.max() == 1
    assert ds.y_train.tolist() == [0, 3, 6, 9, 2, 5] and ds.y_train.dtype == torch.int64
    assert ds.classes == list(getattr(torchvision.datasets, class_name).classes)
    assert ds.params == {"n_train": None, "n_test": None, "data_dir": str(tmp_path)}


def test_subsamples_keep_image_and_label_together(tmp_path, monkeypatch):
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", _no_download)
    _fake_mnist(tmp_path, "MNIST", n_train=6, n_test=4)
    ds = load("mnist", seed=1, n_train=4, n_test=2, data_dir=str(tmp_path))
    assert len(ds.x_train) == 4 and len(ds.x_test) == 2
    index = torch.round(ds.x_train[:, 0, 0, 0] * 255 / 40).long()
    assert len(index.unique()) == 4
    assert torch.equal(ds.y_train, (3 * index) % 10)
    _assert_same(ds, load("mnist", seed=1, n_train=4, n_test=2, data_dir=str(tmp_path)))
    with pytest.raises(DatasetError, match="n_train=7 is more than the 6 samples"):
        load("mnist", n_train=7, data_dir=str(tmp_path))


def test_data_dir_defaults_to_the_settings_and_stays_out_of_the_ref(tmp_path, monkeypatch):
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", _no_download)
    monkeypatch.setattr(data, "get_settings", lambda: Settings(workers=1, data_dir=str(tmp_path)))
    _fake_mnist(tmp_path, "MNIST", n_train=3, n_test=2)
    ds = load("mnist")
    assert len(ds.x_train) == 3 and ds.ref()["params"]["data_dir"] is None


def test_cifar10_reads_torchvisions_pickled_batches(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    label_names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    # Red = 20 k for image k, green = 255 - 20 k, blue = 4 × row: checks the channel order and orientation.
    rows = np.broadcast_to(4 * np.arange(32, dtype=np.uint8)[:, None], (32, 32))

    def batch(start: int, count: int) -> dict:
        images = np.zeros((count, 3, 32, 32), dtype=np.uint8)
        for i, k in enumerate(range(start, start + count)):
            images[i, 0], images[i, 1], images[i, 2] = 20 * k, 255 - 20 * k, rows
        labels = [k % 10 for k in range(start, start + count)]
        return {"data": images.reshape(count, 3 * 32 * 32), "labels": labels}

    for number in range(1, 6):
        (folder / f"data_batch_{number}").write_bytes(pickle.dumps(batch(2 * (number - 1), 2)))
    (folder / "test_batch").write_bytes(pickle.dumps(batch(10, 3)))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": label_names}))
    # The files are not the real ones, so their md5 sums cannot match: accept any file that exists.
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity",
                        lambda path, md5=None: os.path.isfile(path))
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "download", _no_download)

    ds = load("cifar10", data_dir=str(tmp_path))
    assert ds.x_train.shape == (10, 3, 32, 32) and ds.x_test.shape == (3, 3, 32, 32)
    assert ds.input_shape == (3, 32, 32) and ds.classes == label_names
    assert ds.y_train.tolist() == list(range(10)) and ds.y_test.tolist() == [0, 1, 2]
    k = torch.arange(10.0)
    assert torch.allclose(ds.x_train[:, 0, 5, 7] * 255, 20 * k)
    assert torch.allclose(ds.x_train[:, 1, 5, 7] * 255, 255 - 20 * k)
    assert torch.allclose(ds.x_train[3, 2, :, 0] * 255, 4 * torch.arange(32.0))
    assert ds.x_train.is_contiguous()


@pytest.mark.parametrize(("name", "class_name", "folder", "needed"), [
    ("mnist", "MNIST", "MNIST/raw", "train-images-idx3-ubyte"),
    ("fashion_mnist", "FashionMNIST", "FashionMNIST/raw", "t10k-labels-idx1-ubyte"),
    ("cifar10", "CIFAR10", "cifar-10-batches-py", "data_batch_1"),
])
def test_missing_files_without_network_explain_where_to_put_them(tmp_path, monkeypatch, name, class_name,
                                                                 folder, needed):
    monkeypatch.setattr(getattr(torchvision.datasets, class_name), "download", _no_download)
    with pytest.raises(DatasetError) as caught:
        load(name, data_dir=str(tmp_path))
    message = str(caught.value)
    assert str(tmp_path / folder) in message
    assert needed in message
    assert "network is unreachable" in message and "internet" in message
    assert "Traceback" not in message


def test_a_damaged_file_is_reported_not_raised_raw(tmp_path, monkeypatch):
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", _no_download)
    _fake_mnist(tmp_path, "MNIST", n_train=3, n_test=2)
    (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"not an idx file")
    with pytest.raises(DatasetError, match="MNIST could not be read") as caught:
        load("mnist", data_dir=str(tmp_path))
    assert str(tmp_path / "MNIST" / "raw") in str(caught.value)


# ---------------------------------------------------------------------------------------------------------
# Bounds: no parameter, from a page, a link or a checkpoint, makes a builder build a set of any size


@pytest.mark.parametrize(("name", "params", "message"), [
    ("shapes", {"n": 150_000}, "n must be between 4 and 20,000, got 150,000"),
    ("shapes", {"n": 20_000, "size": 28}, "n × size² must be at most 8,000,000 pixels (e.g. n up to 10,204 at "
                                          "size 28), got 20,000 × 28² = 15,680,000"),
    ("circle", {"n": 10_001}, "n must be between 4 and 10,000, got 10,001"),
    ("reg_gauss", {"n": 10**12}, "n must be between 4 and 10,000, got 1,000,000,000,000"),
    ("spiral", {"n": 10**400}, "n must be between 4 and 10,000, got 1000000000000000000000000000000000000..."),
    ("xor", {"noise": 10**400}, "noise must be a number, got 1000000000000000000000000000000000000..."),
    ("mnist", {"n_train": 60_001}, "n_train must be between 1 and 60,000, got 60,001"),
    ("cifar10", {"n_test": 10_001}, "n_test must be between 1 and 10,000, got 10,001"),
    ("characters", {"chars": 100_001}, "chars must be between 1,000 and 100,000, got 100,001"),
    ("characters", {"n": 20_000, "length": 201}, "n × length × features must be at most 4,000,000 numbers, "
                                                 "got 20,000 × 201 × 1 = 4,020,000"),
    ("characters", {"length": 600, "chars": 1_000}, "length must be between 1 and 500, got 600"),
    ("characters", {"length": 500, "chars": 1_000}, "length must be less than half of chars (1,000), got 500"),
])
def test_every_builder_refuses_values_past_its_bound_at_once(name, params, message, monkeypatch):
    # The torchvision sets must refuse before opening (or downloading) anything.
    monkeypatch.setattr(data, "_open_torchvision", lambda *a, **k: pytest.fail("files were opened"))
    start = time.perf_counter()
    with pytest.raises(DatasetError) as caught:
        load(name, **params)
    assert time.perf_counter() - start < 0.5
    assert str(caught.value) == message


def test_a_huge_seed_is_refused_with_the_bound():
    with pytest.raises(DatasetError) as caught:
        load("xor", seed=2**64)
    assert str(caught.value) == "seed must be between 0 and 9,223,372,036,854,775,807, got 18,446,744,073,709,551,616"
    assert load("xor", seed=2**63 - 1, n=8).seed == 2**63 - 1


def test_the_largest_sets_allowed_are_quick_and_small():
    start = time.perf_counter()
    shapes = load("shapes", n=10_204, size=28)
    points = load("spiral", n=10_000)
    assert time.perf_counter() - start < 5.0
    assert shapes.nbytes == 10_204 * 28 * 28 * (4 + 1) + 10_204 * 8  # float32 pixels, bool masks, int64 labels
    assert shapes.nbytes < 41 * 2**20
    assert points.nbytes == 10_000 * (2 * 4 + 8)


def _toy(seed: int, n: int = 100):
    return load("xor", seed=seed, n=n)


def test_the_dataset_cache_drops_the_least_recently_used_past_its_count():
    cache = DatasetCache(max_entries=2, max_bytes=10**9)
    made = []

    def make(seed):
        made.append(seed)
        return _toy(seed)

    first = cache.get(0, lambda: make(0))
    assert cache.get(0, lambda: make(0)) is first and made == [0]
    cache.get(1, lambda: make(1))
    cache.get(0, lambda: make(0))  # 0 is now the most recently used
    cache.get(2, lambda: make(2))  # drops 1
    assert 0 in cache and 2 in cache and 1 not in cache and len(cache) == 2
    assert made == [0, 1, 2]


def test_the_dataset_cache_keeps_at_most_its_bytes_and_never_one_larger():
    one = _toy(0).nbytes  # 100 points: 100 × (2 × 4 + 8) = 1,600 bytes
    assert one == 1_600
    cache = DatasetCache(max_entries=100, max_bytes=2 * one + 10)
    for seed in range(5):
        cache.get(seed, lambda seed=seed: _toy(seed))
    assert len(cache) == 2 and cache.nbytes == 2 * one and 3 in cache and 4 in cache
    big = cache.get("big", lambda: _toy(0, n=1_000))  # 16,000 bytes: returned, not kept
    assert len(big.x_train) + len(big.x_test) == 1_000 and "big" not in cache and len(cache) == 2


def test_the_dataset_cache_makes_a_key_once_for_callers_at_the_same_time():
    import threading

    cache = DatasetCache(max_entries=4, max_bytes=10**9)
    calls, results = [], []
    gate = threading.Event()

    def make():
        calls.append(1)
        gate.wait(2)
        return _toy(0)

    threads = [threading.Thread(target=lambda: results.append(cache.get("k", make))) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert len(calls) == 1 and len(results) == 4 and all(r is results[0] for r in results)


def test_a_failed_make_is_not_kept_and_its_error_passes_through():
    cache = DatasetCache(max_entries=4, max_bytes=10**9)
    with pytest.raises(DatasetError, match="n must be between"):
        cache.get("bad", lambda: load("xor", n=10**6))
    assert len(cache) == 0 and cache.get("bad", lambda: _toy(1)).seed == 1


# ---------------------------------------------------------------------------------------------------------
# Characters: windows of the default text as ids, the next character as the label


def test_characters_targets_are_the_character_after_each_window():
    from playground.text import default_text

    ds = load("characters", seed=5, n=300, length=12, chars=3_000)
    text = default_text(5, 3_000)
    assert ds.classes == sorted(set(text)) and ds.input_shape == (12,)
    x, y = _all_points(ds)
    assert x.dtype == torch.float32 and torch.equal(x, x.round())
    for window, label in zip(x[:50], y[:50]):
        chars = "".join(ds.classes[int(i)] for i in window)
        start = text.find(chars + ds.classes[int(label)])
        assert start >= 0  # the window and its label are a piece of the text, in order
    # Every character found past the first window is some window's target, a rare capital too.
    assert {ds.classes[int(i)] for i in y} == set(text[12:])


def test_characters_same_seed_same_windows_and_another_seed_other_text():
    first, again = load("characters", seed=2, n=200), load("characters", seed=2, n=200)
    _assert_same(first, again)
    other = load("characters", seed=3, n=200)
    assert not torch.equal(first.x_train, other.x_train)
