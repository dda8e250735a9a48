"""Segmentation: the measures against a hand computation and scikit-learn, the network's shapes, the
multiply-add count against torch's FLOP counter and by hand, learning on three seeds against the
all-background baseline, and the "segmenter" trainer in the pool."""

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix, jaccard_score
from torch.utils.flop_counter import FlopCounterMode

from playground.vision import segmentation as seg

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_scores_by_hand():
    truth = np.array([[0, 0, 1], [1, 2, 2]])
    predicted = np.array([[0, 1, 1], [1, 2, 0]])
    found = seg.scores(predicted, truth, classes=4)
    # class 0: both 1, either 3; class 1: both 2, either 3; class 2: both 1, either 2; class 3 nowhere.
    assert found.pixel_accuracy == pytest.approx(4 / 6)
    np.testing.assert_allclose(found.iou[:3], [1 / 3, 2 / 3, 1 / 2])
    assert np.isnan(found.iou[3])
    assert found.miou == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)  # the absent class is left out


def test_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 5, (3, 16, 16))
    predicted = np.where(rng.random(truth.shape) < 0.6, truth, rng.integers(0, 5, truth.shape))
    np.testing.assert_array_equal(seg.confusion(predicted, truth), confusion_matrix(truth.ravel(), predicted.ravel(),
                                                                                     labels=range(5)))
    found = seg.scores(predicted, truth)
    np.testing.assert_allclose(found.iou, jaccard_score(truth.ravel(), predicted.ravel(), average=None))
    assert found.miou == pytest.approx(jaccard_score(truth.ravel(), predicted.ravel(), average="macro"))


def test_background_baseline_has_high_accuracy_and_low_miou():
    truth = np.zeros((10, 10), int)
    truth[:2, :5] = 1  # 10 % of the pixels are class 1
    found = seg.background_baseline(truth, classes=2)
    assert found.pixel_accuracy == pytest.approx(0.9)
    assert found.miou == pytest.approx((0.9 + 0.0) / 2)


@pytest.mark.parametrize("size", [32, 64, 96])
@pytest.mark.parametrize("skips", [True, False])
def test_output_has_the_input_size(size, skips):
    net = seg.SegmentationNet(4, skips=skips)
    assert net(torch.rand(2, 3, size, size)).shape == (2, 5, size, size)


@pytest.mark.parametrize("skips", [True, False])
def test_multiply_adds_match_torch_flop_counter(skips):
    net = seg.SegmentationNet(8, skips=skips)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        net(torch.zeros(1, 3, 48, 48))
    assert seg.count_multiply_adds(net, (3, 48, 48)) * 2 == counter.get_total_flops()


def test_multiply_adds_by_hand():
    w, s = 4, 32
    k = 2  # skips concatenate: the decoder convolutions read twice the channels
    by_hand = (3 * w * 9 * s * s + w * 2 * w * 9 * (s // 2) ** 2 + 2 * w * 4 * w * 9 * (s // 4) ** 2
               + 4 * w * 8 * w * 9 * (s // 8) ** 2  # encoder
               + (s // 8) ** 2 * 8 * w * 4 * w * 4 + k * 4 * w * 2 * w * 9 * (s // 4) ** 2  # up3, dec3
               + (s // 4) ** 2 * 2 * w * 2 * w * 4 + k * 2 * w * w * 9 * (s // 2) ** 2  # up2, dec2
               + (s // 2) ** 2 * w * w * 4 + k * w * 5 * s * s)  # up1, head
    assert seg.count_multiply_adds(seg.SegmentationNet(w), (3, s, s)) == by_hand
    cost = seg.sliding_window_cost(w, size=64, patch=32)
    assert cost["window_passes"] == 4096 and cost["fcn_passes"] == 1
    assert cost["window_multiply_adds"] == 4096 * seg.count_multiply_adds(seg.PatchClassifier(w), (3, 32, 32))
    assert cost["ratio"] > 100


@pytest.fixture(scope="module")
def data():
    options = seg.SegmentationOptions()
    train, test = seg.scene_data(options.n_train, options.n_test, options.size)
    return options, train, test


@pytest.fixture(scope="module")
def trained(data, one_thread):
    """The page's default options trained on seeds 0, 1, 2: the test scores of each."""
    options, train, test = data
    found = {}
    for seed in (0, 1, 2):
        trainer = seg.SegmentationTrainer(options, train.images, train.masks, test.images, test.masks, seed=seed)
        if seed == 0:
            found["untrained"] = trainer.evaluate()[0]
        for _ in range(options.epochs):
            trainer.epoch()
        found[seed] = trainer.evaluate()[0]
    return found


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_run_reaches_miou_07(trained, seed):
    """The issue's bar, test mean IoU >= 0.7, on each seed. Measured: 0.81, 0.80, 0.77 on seeds 0, 1, 2
    (16 epochs, Adam 0.01, width 8 with skips, about 17 s of one core each)."""
    found = trained[seed]
    print(f"seed {seed}: test mIoU {found.miou:.3f}, pixel accuracy {found.pixel_accuracy:.3f}, IoU per class "
          + ", ".join(f"{name} {v:.2f}" for name, v in zip(seg.CLASS_NAMES, found.iou, strict=True)))
    assert found.miou >= 0.7, found
    assert found.pixel_accuracy >= 0.95
    assert np.nanmin(found.iou) >= 0.4, found  # every shape is found, not just the easy ones


def test_baselines_stay_far_below(data, trained):
    """The same bar fails on the trivial answers: always "background" scores pixel accuracy 0.906 but mIoU
    0.181 (background's IoU 0.906, every shape's 0); the untrained network (seed 0) 0.03 and mIoU 0.01."""
    options, train, test = data
    base = seg.background_baseline(test.masks)
    untrained = trained["untrained"]
    print(f"all background: pixel accuracy {base.pixel_accuracy:.3f}, mIoU {base.miou:.3f}; "
          f"untrained: pixel accuracy {untrained.pixel_accuracy:.3f}, mIoU {untrained.miou:.3f}")
    # About 90 % of the test pixels are background: the constant answer is "90 % accurate" and useless.
    assert base.pixel_accuracy == pytest.approx(0.906, abs=0.01)
    assert base.miou == pytest.approx(base.pixel_accuracy / 5)  # background's IoU, four zeros
    assert base.miou < 0.2 and untrained.miou < 0.1  # the bar of 0.7 is far above both
    assert min(trained[seed].miou for seed in (0, 1, 2)) - max(base.miou, untrained.miou) > 0.5


def test_segmenter_in_the_pool_streams_and_stops(pool):
    from playground.jobs import train
    from tests.waiting import wait_for

    options = seg.SegmentationOptions(n_train=100, epochs=30)
    job = train.start(**seg.job_arguments(options, seed=0), pool=pool)
    try:
        assert wait_for(lambda: job.rows >= 2, timeout=60)
        job.stop()
        assert job.wait(30) == "stopped"
    finally:
        if not job.finished:
            job.stop()
    history = job.history
    assert {"train_loss", "val_acc", "miou"} <= set(history.columns)
    assert 2 <= len(history) < 31
    masks = seg.job_masks(job)
    assert masks[0]["masks"].shape == (seg.SHOWN, 48, 48) and masks[0]["masks"].max() <= 4
    assert seg.job_baseline(job)["pixel_accuracy"] > 0.85
    net = seg.job_model(job)
    assert net(torch.zeros(1, 3, 48, 48)).shape == (1, 5, 48, 48)
