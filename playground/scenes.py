"""Pictures holding several objects, with a box and a class per object and a class per pixel.

The one data source of the "Beyond classification" section: detection reads `boxes` and `labels`,
segmentation reads `masks`. Generated scenes (`make_scenes`) are offline and deterministic by seed;
Pascal VOC (`load_voc`) is the real thing, read through torchvision from files on disk.

Coordinates: pixel (row i, column j) covers x from j to j + 1 and y from i to i + 1, y growing
downwards, so a box (x1, y1, x2, y2) in pixels holds the pixels x1 <= j < x2, y1 <= i < y2, and its
area is (x2 - x1) · (y2 - y1) pixels. A generated object's box is the tightest box round its own
pixels.

Masks: 0 is background and c + 1 is class c. Later objects are drawn over earlier ones, but two
objects' boxes overlap by at most a quarter of the smaller box (`MAX_OVERLAP`), so every object stays
mostly visible; an occluded object's box is still its whole box, as a person would draw it.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from playground.data import SHAPE_CLASSES, DatasetError, draw_shapes

SCENE_CLASSES: tuple[str, ...] = tuple(SHAPE_CLASSES)  # square, circle, triangle, cross
# The 20 classes of Pascal VOC, in the order of its mask values 1..20.
VOC_CLASSES: tuple[str, ...] = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
    "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor")
VOC_VOID = -1  # VOC's border pixels (255 in its PNGs): ignore them in a loss (ignore_index=-1)

MIN_SIZE, MAX_SIZE = 32, 128
MAX_SCENES = 20_000
MAX_SCENE_PIXELS = 40_000_000  # n × size²: 480 MB of float32 RGB at most
MAX_OBJECTS = 6
MAX_OVERLAP = 0.25  # the most two boxes may share, as a fraction of the smaller box's area
MAX_VOC_SIZE = 512
MAX_SEED = 2**63 - 1
# An object is drawn on a square canvas of side fraction × size; `draw_shapes` makes the shape 30–70%
# of its canvas, so objects span about 9% to 42% of the picture.
_CANVAS = (0.3, 0.6)
_PLACEMENT_TRIES = 200


@dataclass
class Scenes:
    """N pictures with their objects.

    images: float32 (N, 3, S, S) in [0, 1]. boxes[i]: float32 (k_i, 4), pixel (x1, y1, x2, y2).
    labels[i]: int64 (k_i,), indices into `classes`. masks: int64 (N, S, S), 0 = background,
    c + 1 = class c (and VOC_VOID on VOC's object borders).
    """

    images: torch.Tensor
    boxes: list[torch.Tensor]
    labels: list[torch.Tensor]
    masks: torch.Tensor
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> int:
        """The pictures' side in pixels."""
        return int(self.images.shape[-1])

    def subset(self, indices) -> Scenes:
        """The scenes at `indices` (a sequence of ints), in that order."""
        index = [int(i) for i in indices]
        return Scenes(images=self.images[index], boxes=[self.boxes[i] for i in index],
                      labels=[self.labels[i] for i in index], masks=self.masks[index], classes=self.classes)


def _check_int(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DatasetError(f"{name} must be a whole number, got {value!r:.40}")
    if not low <= int(value) <= high:
        raise DatasetError(f"{name} must be between {low:,} and {high:,}, got {int(value):,}")
    return int(value)


def _background(size: int, rng: np.random.Generator) -> np.ndarray:
    """A low-contrast textured background (3, size, size): a base colour, smooth blotches and faint stripes."""
    base = rng.uniform(0.3, 0.7, 3)
    coarse = torch.from_numpy(rng.uniform(-1.0, 1.0, (1, 3, 5, 5)))
    blotches = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=True)[0].numpy()
    angle, period = rng.uniform(0, math.pi), rng.uniform(4.0, 10.0)
    grid = np.arange(size, dtype=np.float64)
    stripes = np.sin(2 * math.pi * (grid[None, :] * math.cos(angle) + grid[:, None] * math.sin(angle)) / period)
    picture = base[:, None, None] + 0.08 * blotches + 0.04 * stripes[None]
    return np.clip(picture, 0.0, 1.0)


def _object_colour(background: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random RGB colour that stands out from the background's mean colour."""
    mean = background.reshape(3, -1).mean(axis=1)
    while True:
        colour = rng.uniform(0.0, 1.0, 3)
        if np.abs(colour - mean).max() >= 0.35:
            return colour


def _overlap_ok(box: np.ndarray, placed: list[np.ndarray]) -> bool:
    """Whether `box` shares at most MAX_OVERLAP of the smaller box's area with each placed box."""
    for other in placed:
        w = min(box[2], other[2]) - max(box[0], other[0])
        h = min(box[3], other[3]) - max(box[1], other[1])
        if w > 0 and h > 0:
            smaller = min((box[2] - box[0]) * (box[3] - box[1]), (other[2] - other[0]) * (other[3] - other[1]))
            if w * h > MAX_OVERLAP * smaller:
                return False
    return True


def _make_scene(size: int, count: int, rng: np.random.Generator):
    """One picture (3, S, S), its boxes (k, 4), labels (k,) and mask (S, S)."""
    picture = _background(size, rng)
    mask = np.zeros((size, size), dtype=np.int64)
    boxes: list[np.ndarray] = []
    labels: list[int] = []
    for _ in range(_PLACEMENT_TRIES):
        if len(boxes) == count:
            break
        label = int(rng.integers(len(SCENE_CLASSES)))
        side = int(rng.integers(round(_CANVAS[0] * size), round(_CANVAS[1] * size) + 1))
        shape = draw_shapes(np.array([label]), side, rng)[0]  # (side, side) bool
        top, left = (int(v) for v in rng.integers(0, size - side + 1, 2))
        rows, cols = np.nonzero(shape)
        box = np.array([left + cols.min(), top + rows.min(), left + cols.max() + 1, top + rows.max() + 1], float)
        if not _overlap_ok(box, boxes):
            continue
        colour = _object_colour(picture, rng)
        region = (slice(top, top + side), slice(left, left + side))
        picture[(slice(None), *region)][:, shape] = colour[:, None]
        mask[region][shape] = label + 1
        boxes.append(box)
        labels.append(label)
    return picture, np.array(boxes, dtype=np.float32).reshape(-1, 4), np.array(labels, dtype=np.int64), mask


def make_scenes(n: int, *, size: int = 64, seed: int = 0, min_objects: int = 1, max_objects: int = 4) -> Scenes:
    """`n` generated scenes of `size`×`size` pixels, each with min_objects..max_objects shapes of
    SCENE_CLASSES at random sizes, places and colours on a textured background; the same seed gives
    the same scenes. Scene i depends only on (seed, i, size and the object counts), so the first
    scenes of a longer call are those of a shorter one."""
    n = _check_int("n", n, 1, MAX_SCENES)
    size = _check_int("size", size, MIN_SIZE, MAX_SIZE)
    seed = _check_int("seed", seed, 0, MAX_SEED)
    max_objects = _check_int("max_objects", max_objects, 1, MAX_OBJECTS)
    min_objects = _check_int("min_objects", min_objects, 1, max_objects)
    if n * size * size > MAX_SCENE_PIXELS:
        raise DatasetError(f"n × size² must be at most {MAX_SCENE_PIXELS:,} pixels, got {n:,} × {size}² = "
                           f"{n * size * size:,}")
    images = np.empty((n, 3, size, size), dtype=np.float32)
    masks = np.empty((n, size, size), dtype=np.int64)
    boxes, labels = [], []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        count = int(rng.integers(min_objects, max_objects + 1))
        picture, scene_boxes, scene_labels, masks[i] = _make_scene(size, count, rng)
        images[i] = picture
        boxes.append(torch.from_numpy(scene_boxes))
        labels.append(torch.from_numpy(scene_labels))
    return Scenes(images=torch.from_numpy(images), boxes=boxes, labels=labels, masks=torch.from_numpy(masks),
                  classes=SCENE_CLASSES)


def split_scenes(scenes: Scenes, test_fraction: float = 0.2) -> tuple[Scenes, Scenes]:
    """(train, test): the last round(N · test_fraction) scenes (at least one, leaving at least one) are the
    test set. Generated scenes are independent draws, so no shuffling is needed."""
    if not isinstance(test_fraction, (int, float)) or not 0.0 < test_fraction < 1.0:
        raise DatasetError(f"test_fraction must be between 0 and 1 (both excluded), got {test_fraction!r:.40}")
    if len(scenes) < 2:
        raise DatasetError(f"splitting needs at least 2 scenes, got {len(scenes)}")
    n_test = min(max(int(len(scenes) * test_fraction + 0.5), 1), len(scenes) - 1)
    cut = len(scenes) - n_test
    return scenes.subset(range(cut)), scenes.subset(range(cut, len(scenes)))


def make_scene_split(n_train: int, n_test: int, *, size: int = 64, seed: int = 0, min_objects: int = 1,
                     max_objects: int = 4) -> tuple[Scenes, Scenes]:
    """(train, test) generated scenes: the first n_train and the next n_test scenes of one seed."""
    n_train = _check_int("n_train", n_train, 1, MAX_SCENES)
    n_test = _check_int("n_test", n_test, 1, MAX_SCENES)
    every = make_scenes(n_train + n_test, size=size, seed=seed, min_objects=min_objects, max_objects=max_objects)
    return every.subset(range(n_train)), every.subset(range(n_train, n_train + n_test))


# ---------------------------------------------------------------------------------------------------------
# Pascal VOC (Everingham et al., 2010), read through torchvision.


def voc_folder(root, year: str = "2012") -> Path:
    """Where torchvision looks for VOC `year` under `root`."""
    return Path(root).expanduser() / "VOCdevkit" / f"VOC{year}"


def _voc_missing(root, year: str, image_set: str, error: Exception) -> DatasetError:
    folder = voc_folder(root, year)
    return DatasetError(
        f"Pascal VOC {year} ({image_set}) could not be read from {folder} ({type(error).__name__}: {error}). "
        f"It needs JPEGImages/<id>.jpg, Annotations/<id>.xml and SegmentationClass/<id>.png for every id listed "
        f"in ImageSets/Segmentation/{image_set}.txt and ImageSets/Main/{image_set}.txt. Copy the unpacked "
        f"VOCtrainval archive there, or call load_voc(..., download=True) once with internet access (about 2 GB).")


def _voc_objects(annotation: Path) -> tuple[list[list[float]], list[int], tuple[int, int]]:
    """Boxes (pixel xyxy), class indices and (width, height) from one VOC XML file."""
    tree = ElementTree.parse(annotation).getroot()
    width, height = int(tree.findtext("size/width")), int(tree.findtext("size/height"))
    boxes, labels = [], []
    for obj in tree.iter("object"):
        bndbox = obj.find("bndbox")
        x1, y1, x2, y2 = (float(bndbox.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
        # VOC counts pixels from 1, both ends included: pixel columns xmin..xmax are [xmin - 1, xmax).
        boxes.append([x1 - 1, y1 - 1, x2, y2])
        labels.append(VOC_CLASSES.index(obj.findtext("name").strip()))
    return boxes, labels, (width, height)


def load_voc(root, *, year: str = "2012", image_set: str = "val", n: int | None = None, size: int = 128,
             download: bool = False) -> Scenes:
    """Pascal VOC's segmentation images as Scenes: each picture squashed to `size`×`size` (bilinear; the
    mask nearest-neighbour, boxes scaled alike), the first `n` of `image_set` (all when None).

    Objects VOC marks "difficult" are kept as ordinary ones. Reads files only, unless `download`.
    """
    import torchvision  # imported on use: only real data needs it

    size = _check_int("size", size, MIN_SIZE, MAX_VOC_SIZE)
    if n is not None:
        n = _check_int("n", n, 1, MAX_SCENES)
    try:
        segmentation = torchvision.datasets.VOCSegmentation(root, year=year, image_set=image_set,
                                                            download=download)
        detection = torchvision.datasets.VOCDetection(root, year=year, image_set=image_set, download=False)
    except ValueError as e:  # torchvision's check of year and image_set
        raise DatasetError(f"Pascal VOC: {e}") from e
    except (RuntimeError, OSError) as e:
        raise _voc_missing(root, year, image_set, e) from e
    annotations = {Path(p).stem: Path(p) for p in detection.annotations}
    chosen = [i for i, p in enumerate(segmentation.images) if Path(p).stem in annotations][:n]
    if not chosen:
        raise _voc_missing(root, year, image_set, FileNotFoundError("no image with both a mask and an annotation"))
    images = torch.empty((len(chosen), 3, size, size), dtype=torch.float32)
    masks = torch.empty((len(chosen), size, size), dtype=torch.int64)
    boxes, labels = [], []
    for row, i in enumerate(chosen):
        try:
            picture, mask = segmentation[i]
            found, classes, (width, height) = _voc_objects(annotations[Path(segmentation.images[i]).stem])
        except (OSError, ValueError, AttributeError, TypeError, ElementTree.ParseError) as e:
            raise DatasetError(f"Pascal VOC file for {Path(segmentation.images[i]).stem} is damaged: {e}") from e
        pixels = torch.from_numpy(np.asarray(picture.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)
        images[row] = F.interpolate(pixels[None], size=(size, size), mode="bilinear", antialias=True,
                                    align_corners=False)[0].clamp(0, 1)
        values = torch.from_numpy(np.asarray(mask, dtype=np.int64).copy())
        values[values == 255] = VOC_VOID
        masks[row] = F.interpolate(values[None, None].float(), size=(size, size), mode="nearest")[0, 0].long()
        scale = torch.tensor([size / width, size / height, size / width, size / height])
        boxes.append(torch.tensor(found, dtype=torch.float32).reshape(-1, 4) * scale)
        labels.append(torch.tensor(classes, dtype=torch.int64))
    return Scenes(images=images, boxes=boxes, labels=labels, masks=masks, classes=VOC_CLASSES)
