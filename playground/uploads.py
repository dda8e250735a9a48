"""A user's own data: a CSV table or a zip of images in one folder per class, turned into a `Dataset`.

Uploads arrive as bytes and are only ever parsed: the CSV by pandas, each image by Pillow. Nothing
is unpickled or executed, nothing is written to disk, and every limit (`Settings.upload_*`: size,
rows, columns, cells, zip entries, unpacked megabytes, pixels) is checked before the work it guards,
by checks that take time in proportion to the file, so no file a form accepts keeps a core busy for
more than a second or two. A problem a user can fix raises `UploadError` (a
`DatasetError`) with a message that names the file, column or folder at fault.

Reading (`read_table`, `table_arrays`, `read_image_zip`) gives `UploadedArrays`, which
`to_dataset(seed)` splits into train and test like the built-in sets, so the seed on every page
works for uploads too.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import io
import posixpath
import zipfile

import numpy as np
import pandas as pd

from playground.data import Dataset, DatasetError, _shuffle_split, _split_dataset, _stratified_split
from playground.settings import get_settings

__all__ = ["IMAGE_SUFFIXES", "MAX_CLASSES", "MIN_ROWS", "UploadError", "UploadedArrays", "csv_dataset",
           "image_zip_dataset", "numeric_columns", "read_image_zip", "read_table", "suggest_task",
           "table_arrays"]

MIN_ROWS = 10  # fewer rows leave too little to both train and test on
# A label with more distinct values than this is almost surely a number to predict, not a class.
MAX_CLASSES = 100
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
# Files operating systems leave in folders; skipped without a word.
_SYSTEM_FILES = {"thumbs.db", "desktop.ini"}
# Images compress only a little more in a zip; an entry that unpacks to this many times its
# packed size is a zip bomb, not a picture.
_MAX_RATIO = 100


class UploadError(DatasetError):
    """An upload that cannot become a dataset, with what to change."""


@dataclasses.dataclass
class UploadedArrays:
    """An upload read and checked, before it is split: everything needed to make a `Dataset`.

    x: float32 (N, features) for tables, (N, C, H, W) in [0, 1] for images. y: int64 class
    indices (N,) or float32 targets (N,). `params` describes the upload (JSON-able); `notes` say
    what was done to it (resized images, skipped files) for the page to show.
    """

    name: str
    kind: str  # "table" or "image"
    task: str  # "classification" or "regression"
    x: np.ndarray
    y: np.ndarray
    classes: list[str]
    params: dict
    notes: list[str]

    @property
    def description(self) -> str:
        if self.kind == "image":
            return f"Your images: {len(self.x):,} pictures in {len(self.classes)} classes."
        what = f"{len(self.classes)} classes" if self.task == "classification" else "a number to predict"
        return (f"Your table: {len(self.x):,} rows, {self.x.shape[1]} numeric features, "
                f"{what} in column '{self.params['label']}'.")

    def to_dataset(self, *, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
        """Split into train and test with `seed` (stratified for classes), as the built-in sets are.

        Table features are standardized with the training part's mean and standard deviation (so
        columns in metres and in millimetres weigh alike), and regression targets likewise; the
        numbers used are in `params`.
        """
        rng = np.random.default_rng(seed)
        if self.task == "classification":
            train, test = _stratified_split(self.y, test_fraction, rng)
        else:
            train, test = _shuffle_split(len(self.y), test_fraction, rng)
        x, y = self.x, np.array(self.y)  # a copy: pandas may hand out read-only arrays
        params = {**self.params, "test_fraction": test_fraction}
        if self.kind == "table":
            mean, std = _mean_std(x[train])
            x = (x - mean) / std
            params.update(feature_mean=mean.tolist(), feature_std=std.tolist())
            if self.task == "regression":
                y_mean, y_std = _mean_std(y[train])
                y = (y - y_mean) / y_std
                params.update(target_mean=float(y_mean), target_std=float(y_std))
        return _split_dataset(self.name, x.astype(np.float32), y, train, test, classes=list(self.classes),
                                 task=self.task, params=params, seed=seed, description=self.description)


def _mean_std(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation; a constant column gets 1 so it is left at 0."""
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)


def _check_size(raw: bytes, filename: str) -> None:
    limit = get_settings().upload_max_mb
    if len(raw) > limit * 2**20:
        raise UploadError(f"{filename} is {len(raw) / 2**20:.1f} MB; uploads may be at most {limit:g} MB.")
    if not raw:
        raise UploadError(f"{filename} is empty.")


# ---------------------------------------------------------------------------------------------------------
# Tables


def read_table(raw: bytes, *, filename: str = "data.csv") -> pd.DataFrame:
    """Parse CSV bytes (comma, semicolon, tab or bar separated, with a header row) into a table.

    UploadError when the file is too large, not text, not a table, or has too few or too many rows.
    """
    _check_size(raw, filename)
    if b"\x00" in raw[:8192]:
        raise UploadError(f"{filename} is not a text file. Upload a CSV table (values separated by commas, "
                          "one row per line, column names in the first line).")
    text = _decode(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
        separator = dialect.delimiter
    except csv.Error:
        separator = ","
    _check_shape(text, separator, filename)
    limit = get_settings().upload_max_rows
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, nrows=limit + 1)
    except pd.errors.EmptyDataError:
        raise UploadError(f"{filename} has no table in it.") from None
    except (pd.errors.ParserError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UploadError(f"{filename} could not be read as a CSV table ({first}).") from None
    if len(frame) > limit:
        raise UploadError(f"{filename} has more than {limit:,} rows, the most an upload may have. "
                          "Upload a random sample of it.")
    if frame.shape[1] < 2:
        raise UploadError(f"{filename} has only one column. A table needs a column to predict and at least "
                          "one column to predict it from (values separated by commas, names in the first line).")
    if len(frame) < MIN_ROWS:
        raise UploadError(f"{filename} has {len(frame)} rows; at least {MIN_ROWS} are needed to train and test.")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _check_shape(text: str, separator: str, filename: str) -> None:
    """Refuse a table with more columns or cells than the settings allow, before pandas parses it.

    Columns are counted in the header line; cells as lines × columns (a quoted value spanning lines
    counts a line more, so the estimate errs on the side of refusing). Time linear in the text.
    """
    settings = get_settings()
    end = text.find("\n")
    header = text if end < 0 else text[:end]
    try:
        columns = len(next(csv.reader([header], delimiter=separator), []))
    except csv.Error:
        columns = header.count(separator) + 1
    if columns > settings.upload_max_columns:
        raise UploadError(f"{filename} has {columns:,} columns; a table may have at most "
                          f"{settings.upload_max_columns:,}. Keep the columns to learn from and the one to predict.")
    lines = text.count("\n") + (0 if text.endswith("\n") else 1) - 1  # lines after the header
    rows = min(lines, settings.upload_max_rows)
    if rows * columns > settings.upload_max_cells:
        raise UploadError(f"{filename} has {rows:,} rows × {columns:,} columns = {rows * columns:,} cells; a table may "
                          f"have at most {settings.upload_max_cells:,}. Upload fewer rows or fewer columns.")


def _decode(raw: bytes) -> str:
    """UTF-8 text (a byte-order mark dropped), or Latin-1, which reads any bytes, for older exports."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding only numbers (true/false counts as 1/0), in table order (one pass over the types)."""
    return [c for c, dtype in frame.dtypes.items() if pd.api.types.is_numeric_dtype(dtype)]


def suggest_task(frame: pd.DataFrame, label: str) -> str:
    """Classification for text labels and for whole numbers with few values; regression otherwise."""
    column = frame[label].dropna()
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return "classification"
    whole = bool(np.all(np.mod(column.to_numpy(dtype=np.float64), 1) == 0))
    return "classification" if whole and column.nunique() <= 20 else "regression"


def table_arrays(frame: pd.DataFrame, *, label: str, features: list[str] | None = None, task: str = "auto",
                 filename: str = "data.csv") -> UploadedArrays:
    """Features and labels of a table: predict column `label` from `features` (default: all others).

    `task` "auto" follows `suggest_task`. Classes are the label's distinct values in sorted order.
    UploadError names the column at fault: a missing or non-numeric feature, empty cells, a
    label with a single class or too many classes, or a non-numeric regression target.
    Every check takes time linear in the table (one pass over the columns' types, one over the cells).
    """
    if label not in frame.columns:
        raise UploadError(f"{filename} has no column '{label}'.")
    features = [c for c in frame.columns if c != label] if features is None else list(features)
    limit = get_settings().upload_max_columns
    if len(features) > limit:
        raise UploadError(f"{len(features):,} feature columns are chosen; at most {limit:,} may be.")
    present = set(frame.columns)
    missing = [c for c in features if c not in present]
    if missing:
        raise UploadError(f"{filename} has no column '{missing[0]}'.")
    if label in features:
        raise UploadError(f"'{label}' is the column to predict, so it cannot also be a feature.")
    if not features:
        raise UploadError("Choose at least one feature column to predict from.")
    if len(set(features)) < len(features):
        twice = next(c for c, n in collections.Counter(features).items() if n > 1)
        raise UploadError(f"Column '{twice}' is chosen twice as a feature.")
    numeric = set(numeric_columns(frame))
    text = [c for c in features if c not in numeric]
    if text:
        raise UploadError(f"{_columns(text)} {'holds' if len(text) == 1 else 'hold'} text, not numbers, so "
                          f"{'it' if len(text) == 1 else 'they'} cannot be a feature. Leave "
                          f"{'it' if len(text) == 1 else 'them'} out, or turn categories into number columns "
                          "(one 0/1 column per category) before uploading.")
    used = [*features, label]
    counts = frame[used].isna().sum()  # one vectorized pass over the cells
    empty = {c: int(n) for c, n in counts.items() if n}
    if empty:
        listed = ", ".join(f"'{c}' ({n})" for c, n in list(empty.items())[:5])
        listed += f" and {len(empty) - 5:,} more columns" if len(empty) > 5 else ""
        raise UploadError(f"Some cells are empty in {listed}. Fill them in, or delete those rows, before "
                          "uploading.")
    task = suggest_task(frame, label) if task == "auto" else task
    x = frame[features].to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        bad = [c for c, finite in zip(features, np.isfinite(x).all(axis=0)) if not finite]
        raise UploadError(f"{_columns(bad)} {'holds' if len(bad) == 1 else 'hold'} infinite values.")
    params = {"source": "csv", "file": filename, "label": label, "features": features, "task": task,
              "rows": len(frame)}
    if task == "classification":
        values = frame[label]
        classes = sorted(values.unique().tolist(), key=lambda v: (str(type(v)), v))
        if len(classes) < 2:
            raise UploadError(f"Every row has the same '{label}' ({classes[0]!r}): a classifier needs at least "
                              "two classes to tell apart.")
        if len(classes) > MAX_CLASSES:
            raise UploadError(f"'{label}' has {len(classes):,} different values, too many classes (at most "
                              f"{MAX_CLASSES}). If it is a number to predict, choose regression.")
        index = {value: i for i, value in enumerate(classes)}
        y = values.map(index).to_numpy(dtype=np.int64)
        names = [_class_name(v) for v in classes]
        params["classes"] = names
    elif task == "regression":
        if label not in numeric:
            raise UploadError(f"'{label}' holds text, so it cannot be a number to predict: choose classification.")
        y, names = frame[label].to_numpy(dtype=np.float64), []
    else:
        raise UploadError(f"task must be classification or regression, got {task!r}")
    notes = [f"Features are standardized (mean 0, standard deviation 1 on the training part): "
             f"{len(features)} column{'s' if len(features) > 1 else ''}."]
    if task == "regression":
        notes.append(f"'{label}' is standardized too, so the loss is in units of its standard deviation.")
    return UploadedArrays(name=filename, kind="table", task=task, x=x, y=y, classes=names, params=params, notes=notes)


def _columns(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names[:5]] + ([f"{len(names) - 5} more"] if len(names) > 5 else [])
    return ("Column " if len(names) == 1 else "Columns ") + ", ".join(quoted)


def _class_name(value) -> str:
    """A class value as a name: 3.0 reads as "3"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_dataset(raw: bytes, *, label: str, features: list[str] | None = None, task: str = "auto",
                filename: str = "data.csv", seed: int = 0) -> tuple[Dataset, list[str]]:
    """A Dataset from CSV bytes in one call (`read_table`, `table_arrays`, `to_dataset`), with notes."""
    arrays = table_arrays(read_table(raw, filename=filename), label=label, features=features, task=task,
                          filename=filename)
    return arrays.to_dataset(seed=seed), arrays.notes


# ---------------------------------------------------------------------------------------------------------
# Images


def _entry_parts(name: str, filename: str) -> list[str] | None:
    """The folders and file name of a zip entry; None for system clutter; UploadError for unsafe paths."""
    # Zips made on Windows may use backslashes; a drive letter or a leading slash is an absolute path.
    cleaned = name.replace("\\", "/")
    parts = [p for p in cleaned.split("/") if p not in ("", ".")]
    if cleaned.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        raise UploadError(f"{filename} was refused: its entry '{name}' points outside the zip's own folders. "
                          "Zip the class folders again and upload that.")
    if not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
        return None
    if parts[-1].lower() in _SYSTEM_FILES:
        return None
    return parts


def _image_entries(archive: zipfile.ZipFile, filename: str) -> tuple[list[tuple[zipfile.ZipInfo, str]], list[str]]:
    """(entry, class folder) of each image file, and the names of files skipped as not images.

    Images sit in `class/picture.png`, or in `top/class/picture.png` when one folder was zipped.
    """
    settings = get_settings()
    if len(archive.infolist()) > settings.upload_max_zip_entries:
        raise UploadError(f"{filename} holds {len(archive.infolist()):,} files and folders; a zip may hold at most "
                          f"{settings.upload_max_zip_entries:,}. Upload a sample of each class.")
    infos = [i for i in archive.infolist() if not i.is_dir()]
    unpacked_limit = settings.upload_max_unpacked_mb * 2**20
    if sum(i.file_size for i in infos) > unpacked_limit:
        raise UploadError(f"{filename} unpacks to {sum(i.file_size for i in infos) / 2**20:,.0f} MB; a zip may "
                          f"unpack to at most {settings.upload_max_unpacked_mb:,g} MB.")
    images, skipped = [], []
    for info in infos:
        parts = _entry_parts(info.filename, filename)
        if parts is None:
            continue
        if info.file_size > _MAX_RATIO * max(info.compress_size, 1) and info.file_size > 2**20:
            raise UploadError(f"{filename} was refused: '{info.filename}' unpacks to {info.file_size / 2**20:,.0f} MB "
                              "from almost nothing (a zip bomb).")
        if not parts[-1].lower().endswith(IMAGE_SUFFIXES):
            skipped.append("/".join(parts))
            continue
        images.append((info, parts))
    if not images:
        raise UploadError(f"{filename} has no images in it. Put pictures (PNG, JPEG, ...) in one folder per class, "
                          "zip the folders and upload the zip.")
    tops = {parts[0] for _, parts in images}
    strip = len(tops) == 1 and all(len(parts) == 3 for _, parts in images)
    placed = []
    for info, parts in images:
        inner = parts[1:] if strip else parts
        if len(inner) == 1:
            skipped.append("/".join(parts))  # a picture beside the class folders has no class
        elif len(inner) > 2:
            raise UploadError(f"{filename} has folders inside the class folders ('{'/'.join(parts)}'). Put the "
                              "pictures of each class directly in one folder named after the class.")
        else:
            placed.append((info, inner[0]))
    if len(placed) > settings.upload_max_images:
        raise UploadError(f"{filename} holds {len(placed):,} images; at most {settings.upload_max_images:,} may be "
                          "uploaded. Upload a sample of each class.")
    return placed, skipped


def _check_entry_count(raw: bytes, filename: str) -> None:
    """Refuse a zip whose end record counts more entries than the settings allow, before `zipfile`
    reads its whole directory. Zip64 archives and unreadable records are left to `zipfile`."""
    limit = get_settings().upload_max_zip_entries
    end = raw.rfind(b"PK\x05\x06", max(0, len(raw) - 65_557))  # the end record: 22 bytes and a comment
    if end < 0 or len(raw) < end + 22:
        return
    count = int.from_bytes(raw[end + 10:end + 12], "little")  # entries in the whole archive
    if limit < count < 0xFFFF:
        raise UploadError(f"{filename} holds {count:,} files and folders; a zip may hold at most {limit:,}. "
                          "Upload a sample of each class.")


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str) -> bytes:
    """An entry's bytes, read no further than its declared size (a lying header cannot flood memory)."""
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile, OSError) as e:
        # RuntimeError: encrypted entries; NotImplementedError: a compression zipfile cannot read.
        raise UploadError(f"{filename}: '{info.filename}' could not be unpacked ({e}).") from None
    if len(data) > info.file_size:
        raise UploadError(f"{filename} was refused: '{info.filename}' is larger than its zip entry says.")
    return data


_GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}


def read_image_zip(raw: bytes, *, filename: str = "images.zip") -> UploadedArrays:
    """Images from a zip with one folder per class (the folder name is the class name).

    All images are brought to one size: the most common one, shrunk to fit
    `Settings.upload_image_side`; greyscale when every picture is grey, RGB otherwise. Files that
    are not images, or that cannot be decoded, are skipped and listed in the notes.
    """
    from PIL import Image, UnidentifiedImageError

    from playground.images import ImageError, image_from_bytes, max_pixels, reduce_jpeg

    _check_size(raw, filename)
    settings = get_settings()
    _check_entry_count(raw, filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError):
        raise UploadError(f"{filename} is not a zip file. Zip one folder per class and upload the zip.") from None
    side = settings.upload_image_side
    with archive:
        entries, skipped = _image_entries(archive, filename)
        headers, unreadable, decoded = [], [], 0
        for info, folder in entries:
            data = _read_entry(archive, info, filename)
            try:
                with Image.open(io.BytesIO(data)) as picture:  # reads the header only
                    size, mode = picture.size, picture.mode
                    if size[0] * size[1] <= max_pixels():
                        reduce_jpeg(picture, (side, side))  # the most a picture is decoded at
                        decoded += picture.size[0] * picture.size[1]
            except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
                unreadable.append(info.filename)  # a header past Pillow's own bomb bound is refused at open
                continue
            if size[0] * size[1] > max_pixels():
                unreadable.append(info.filename)
                continue
            if decoded > settings.upload_max_zip_pixels:
                raise UploadError(f"The pictures in {filename} hold more than {settings.upload_max_zip_pixels:,} "
                                  "pixels together, more than an upload may. Upload smaller pictures, or fewer.")
            headers.append((data, folder, size, mode, info.filename))
    if not headers:
        raise UploadError(f"None of the images in {filename} could be read.")
    classes = sorted({folder for _, folder, _, _, _ in headers})
    if len(classes) < 2:
        raise UploadError(f"{filename} has only one class folder ('{classes[0]}'): a classifier needs at least two "
                          "folders of pictures to tell apart.")
    if len(classes) > MAX_CLASSES:
        raise UploadError(f"{filename} has {len(classes):,} class folders; at most {MAX_CLASSES} classes may be "
                          "told apart. Put the pictures of each class in one folder named after it.")
    sizes = collections.Counter(size for _, _, size, _, _ in headers)
    width, height = _fit(sizes.most_common(1)[0][0], side)
    channels = 1 if all(mode in _GREY_MODES for _, _, _, mode, _ in headers) else 3
    index = {folder: i for i, folder in enumerate(classes)}
    pictures, labels = [], []
    for data, folder, _, _, name in headers:
        try:
            x, _ = image_from_bytes(data, (channels, height, width), reduce=True)
        except (ImageError, OSError, ValueError):
            unreadable.append(name)
            continue
        pictures.append(x.numpy())
        labels.append(index[folder])
    counts = collections.Counter(labels)
    if len(counts) < 2:
        raise UploadError(f"Only one class of {filename} has readable images: a classifier needs two.")
    notes = [f"{len(pictures):,} images in {len(classes)} classes: "
             + ", ".join(f"{c} ({counts[i]})" for i, c in enumerate(classes)) + "."]
    if len(sizes) > 1:
        notes.append(f"The images had {len(sizes)} different sizes; all were resized to {width} × {height} pixels "
                     "(the most common size" + (", shrunk" if (width, height) != sizes.most_common(1)[0][0] else "")
                     + ").")
    elif (width, height) != next(iter(sizes)):
        notes.append(f"The images were shrunk to {width} × {height} pixels.")
    notes.append("Greyscale images (one channel)." if channels == 1 else "Colour images (three channels, RGB).")
    if unreadable:
        notes.append(f"Skipped {len(unreadable)} file{'s' if len(unreadable) > 1 else ''} that could not be read "
                     f"as images: {_some(unreadable)}.")
    if skipped:
        many = len(skipped) > 1
        notes.append(f"Skipped {len(skipped)} file{'s' if many else ''} that {'are' if many else 'is'} not "
                     f"{'pictures' if many else 'a picture'} in a class folder: {_some(skipped)}.")
    lonely = [c for i, c in enumerate(classes) if counts[i] < 2]
    if lonely:
        notes.append(f"{_some(lonely)} {'has' if len(lonely) == 1 else 'have'} a single image: too few to both "
                     "train and test on.")
    params = {"source": "zip", "file": filename, "classes": classes, "size": [channels, height, width],
              "images": len(pictures)}
    return UploadedArrays(name=filename, kind="image", task="classification", x=np.stack(pictures),
                          y=np.asarray(labels, dtype=np.int64), classes=classes, params=params, notes=notes)


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """(width, height) shrunk, keeping its shape, so that neither side exceeds `side`."""
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _some(names: list[str], count: int = 5) -> str:
    shown = ", ".join(posixpath.basename(n.rstrip("/")) or n for n in names[:count])
    return shown + (f" and {len(names) - count} more" if len(names) > count else "")


def image_zip_dataset(raw: bytes, *, filename: str = "images.zip", seed: int = 0) -> tuple[Dataset, list[str]]:
    """A Dataset from zip bytes in one call (`read_image_zip`, `to_dataset`), with notes."""
    arrays = read_image_zip(raw, filename=filename)
    return arrays.to_dataset(seed=seed), arrays.notes
