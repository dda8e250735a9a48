"""Take a network out of the playground: a standalone PyTorch script, safetensors weights, an ONNX file.

`script(spec, dataset_ref, config)` writes a Python file that needs only torch and numpy (plus
scikit-learn for digits, torchvision for MNIST-like sets, Pillow for image uploads). It defines the
same network module for module, so the playground's weights load into it, makes the same data with
the same split, and trains with the same optimizer, learning rate, batches, epochs and seed: the
same steps the playground's worker takes. Datasets a user uploaded cannot travel inside a script;
theirs reads the user's own file and says what it expects.

`safetensors_bytes` is the checkpoint format of `playground.checkpoints` (the spec rides in the
metadata); `onnx_bytes` exports the network with `torch.onnx.export` for Netron, onnxruntime and
other tools.
"""

from __future__ import annotations

import inspect
import json
import textwrap

import torch
from torch import nn

from playground import data as data_lib
from playground.jobs.train import Config, ConfigError
from playground.layers import Branches, Embedding, FlattenLinear, Recurrent, Residual, SpecError, Unflatten
from playground.models import build, validate
from playground.optimizers import optimizer_code

__all__ = ["ExportError", "dataset_task", "module_code", "onnx_bytes", "safetensors_bytes", "script",
           "script_file_name"]


class ExportError(ValueError):
    """A network or dataset that cannot be exported, with the reason."""


# ---------------------------------------------------------------------------------------------------------
# The network as code


def _conv_code(m: nn.Conv2d) -> str:
    """nn.Conv2d(...) with the settings that differ from torch's defaults."""
    settings = {"stride": (m.stride[0], 1), "padding": (m.padding[0], 0), "dilation": (m.dilation[0], 1),
                "groups": (m.groups, 1), "bias": (m.bias is not None, True), "padding_mode": (m.padding_mode, "zeros")}
    extra = "".join(f", {key}={value!r}" for key, (value, default) in settings.items() if value != default)
    return f"nn.Conv2d({m.in_channels}, {m.out_channels}, {m.kernel_size[0]}{extra})"


def _plain_code(m: nn.Module) -> str | None:
    """Code for a module without children, or None for a type the exporter does not know."""
    kind = type(m)
    if kind in (nn.Linear, FlattenLinear):
        return f"{kind.__name__ if kind is FlattenLinear else 'nn.Linear'}({m.in_features}, {m.out_features}, " \
               f"bias={m.bias is not None})"
    if kind is nn.Conv2d:
        return _conv_code(m)
    if kind is nn.ConvTranspose2d:
        return (f"nn.ConvTranspose2d({m.in_channels}, {m.out_channels}, {m.kernel_size[0]}, stride={m.stride[0]}, "
                f"padding={m.padding[0]}, output_padding={m.output_padding[0]}, bias={m.bias is not None})")
    if kind in (nn.MaxPool2d, nn.AvgPool2d):
        return f"nn.{kind.__name__}({m.kernel_size}, {m.stride}, {m.padding})"
    if kind is nn.Upsample:
        return f"nn.Upsample(scale_factor={m.scale_factor}, mode={m.mode!r}, align_corners={m.align_corners})"
    if kind in (nn.BatchNorm1d, nn.BatchNorm2d):
        return f"nn.{kind.__name__}({m.num_features})"
    if kind is nn.Dropout:
        return f"nn.Dropout({m.p})"
    if kind is Unflatten:
        return f"Unflatten({tuple(m.shape)})"
    if kind is Embedding:
        return f"Embedding({m.num_embeddings}, {m.embedding_dim})"
    if kind is nn.Softmax:
        return f"nn.Softmax(dim={m.dim})"
    if kind is nn.LeakyReLU:
        return f"nn.LeakyReLU({m.negative_slope})"
    if kind is nn.PReLU:
        return f"nn.PReLU({m.num_parameters})"
    if kind in (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.Identity, nn.Flatten):
        return f"nn.{kind.__name__}()"
    return None


def module_code(module: nn.Module, indent: int = 0) -> str:
    """Python source that constructs `module` again: same types, same order, same state-dict keys.

    Modules are constructed in the order `playground.models.build` makes them, so after the same
    `torch.manual_seed` both start from the same random weights. ExportError for an unknown type.
    """
    pad = " " * (indent + 4)
    if isinstance(module, nn.Sequential):  # the built Network is a Sequential too
        items = "".join(f"{pad}{module_code(child, indent + 4)},\n" for child in module)
        return f"nn.Sequential(\n{items}{' ' * indent})"
    if isinstance(module, Residual):
        return (f"Residual(\n{pad}{module_code(module.body, indent + 4)},\n"
                f"{pad}{module_code(module.shortcut, indent + 4)},\n{' ' * indent})")
    if isinstance(module, Recurrent):
        rnn = module.rnn
        extra = f", nonlinearity={rnn.nonlinearity!r}" if isinstance(rnn, nn.RNN) else ""
        return (f"Recurrent(nn.{type(rnn).__name__}({rnn.input_size}, {rnn.hidden_size}, "
                f"num_layers={rnn.num_layers}, batch_first=True, bidirectional={rnn.bidirectional}{extra}), "
                f"{module.keep!r})")
    if isinstance(module, Branches):
        items = "".join(f"{pad}    {module_code(b, indent + 8)},\n" for b in module.branches)
        return f"Branches([\n{items}{pad}]\n{' ' * indent})"
    code = _plain_code(module)
    if code is None:
        raise ExportError(f"A {type(module).__name__} layer cannot be written as a script yet.")
    return code


def _used_types(module: nn.Module) -> set[type]:
    return {type(m) for m in module.modules()}


_HELPERS = {
    FlattenLinear: '''
class FlattenLinear(nn.Linear):
    """A linear layer that flattens an image-shaped input first."""

    def forward(self, x):
        return super().forward(x.flatten(1))
''',
    Residual: '''
class Residual(nn.Module):
    """body(x) + shortcut(x): a skip connection (the shortcut projects when shapes differ)."""

    def __init__(self, body, shortcut):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + self.shortcut(x)
''',
    Branches: '''
class Branches(nn.Module):
    """Parallel stacks on the same input, concatenated along channels (or features)."""

    def __init__(self, branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1)
''',
    Embedding: "\n" + inspect.getsource(Embedding),
    Recurrent: "\n" + inspect.getsource(Recurrent),
    Unflatten: '''
class Unflatten(nn.Module):
    """Reshape flat features back to (C, H, W)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)
''',
}


# ---------------------------------------------------------------------------------------------------------
# The data as code


def _source(*functions) -> str:
    return "\n\n".join(textwrap.dedent(inspect.getsource(f)).strip() for f in functions) + "\n"


_SPLITS = _source(data_lib._test_count, data_lib._shuffle_split, data_lib._stratified_split)


def _digits_code(ref: dict) -> str:
    fraction = ref["params"].get("test_fraction", 0.2)
    return f'''
def load_data():
    """scikit-learn's 8x8 digits: x (N, 1, 8, 8) in [0, 1], labels 0..9, a stratified split."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = bunch.images[:, None, :, :] / 16.0  # pixel values are counts from 0 to 16
    y = bunch.target.astype(np.int64)
    train, test = _stratified_split(y, {fraction!r}, np.random.default_rng(SEED))
    return x[train], y[train], x[test], y[test]
'''


def _toy_code(ref: dict, info) -> str:
    generate = inspect.getclosurevars(info.loader).nonlocals.get("generate")
    if generate is None:
        raise ExportError(f"The data set {ref['name']} cannot be written as a script.")
    params = {**info.defaults, **ref.get("params", {})}
    constants = (f"TOY_EXTENT = {data_lib.TOY_EXTENT!r}\nMAX_TOY_NOISE = {data_lib.MAX_TOY_NOISE!r}\n"
                 f"_BUMPS = np.array({data_lib._BUMPS.tolist()!r})\n_BUMP_WIDTH = {data_lib._BUMP_WIDTH!r}\n")
    return f'''
{constants}

{_source(generate)}

def load_data():
    """The 2-D set {ref['name']!r}: points (N, 2) and their labels, a random split."""
    n, noise, test_fraction = {params['n']!r}, {params['noise']!r}, {params['test_fraction']!r}
    rng = np.random.default_rng(SEED)
    x, y = {generate.__name__}(n, noise, rng)
    train, test = _shuffle_split(n, test_fraction, rng)
    return x[train], y[train], x[test], y[test]
'''


def _shapes_code(ref: dict, info) -> str:
    params = {**info.defaults, **ref.get("params", {})}
    masks = _source(data_lib._square_mask, data_lib._circle_mask, data_lib._triangle_mask, data_lib._cross_mask)
    return f'''
SHAPE_CLASSES = {data_lib.SHAPE_CLASSES!r}

{masks}
_SHAPE_MASKS = [_square_mask, _circle_mask, _triangle_mask, _cross_mask]


{_source(data_lib.draw_shapes)}

def load_data():
    """Generated images of squares, circles, triangles and crosses: x (N, 1, size, size) in [0, 1]."""
    n, size = {params['n']!r}, {params['size']!r}
    noise, test_fraction = {params['noise']!r}, {params['test_fraction']!r}
    rng = np.random.default_rng(SEED)
    y = rng.permutation(np.arange(n) % len(SHAPE_CLASSES)).astype(np.int64)
    masks = draw_shapes(y, size, rng)
    brightness = rng.uniform(0.8, 1.0, n).astype(np.float32)
    images = np.where(masks, brightness[:, None, None], np.float32(0.0))
    images += noise * rng.standard_normal(images.shape, dtype=np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    train, test = _stratified_split(y, test_fraction, rng)
    x = images[:, None]
    return x[train], y[train], x[test], y[test]
'''


def _torchvision_code(ref: dict, info) -> str:
    class_name = inspect.getclosurevars(info.loader).nonlocals.get("class_name")
    if class_name is None:
        raise ExportError(f"The data set {ref['name']} cannot be written as a script.")
    params = {**info.defaults, **ref.get("params", {})}
    return f'''
DATA_DIR = "data"  # torchvision downloads {class_name} here on the first run


def _pick(count, n, rng):
    return np.arange(count) if n is None else rng.permutation(count)[:n]


def _images(ds, index):
    pixels = np.asarray(ds.data)[index]
    pixels = pixels.transpose(0, 3, 1, 2) if pixels.ndim == 4 else pixels[:, None]
    return pixels.astype(np.float32) / 255.0, np.asarray(ds.targets, dtype=np.int64)[index]


def load_data():
    """torchvision's {class_name}: images (N, C, H, W) in [0, 1], a random subset of its own split."""
    import torchvision

    train_ds = torchvision.datasets.{class_name}(DATA_DIR, train=True, download=True)
    test_ds = torchvision.datasets.{class_name}(DATA_DIR, train=False, download=True)
    rng = np.random.default_rng(SEED)
    train = _pick(len(train_ds), {params['n_train']!r}, rng)
    test = _pick(len(test_ds), {params['n_test']!r}, rng)
    return (*_images(train_ds, train), *_images(test_ds, test))
'''


def _table_code(ref: dict) -> str:
    p = ref["params"]
    classes = p.get("classes", [])
    task = p["task"]
    target = ("y = np.array([CLASSES.index(_class_name(row[LABEL])) for row in rows], dtype=np.int64)"
              if task == "classification" else
              f"y = (np.array([float(row[LABEL]) for row in rows]) - {p['target_mean']!r}) / {p['target_std']!r}")
    what = "class indices" if task == "classification" else "standardized targets"
    split = "_stratified_split(y" if task == "classification" else "_shuffle_split(len(y)"
    return f'''
# Your own table: the playground cannot put your data into this file. Save it beside this script
# under this name (the same CSV you uploaded) and the script reads it as the playground did.
DATA_FILE = {p['file']!r}
LABEL = {p['label']!r}  # the column to predict ({task})
FEATURES = {p['features']!r}
CLASSES = {classes!r}
# Each feature is standardized with the training part's mean and standard deviation.
FEATURE_MEAN = np.array({p['feature_mean']!r})
FEATURE_STD = np.array({p['feature_std']!r})


def _class_name(text):
    """A label as the playground names its class: 3.0 reads as "3"."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else str(number)


def load_data():
    """Rows of DATA_FILE: x (N, features) standardized, y {what}."""
    import csv

    with open(DATA_FILE, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\\t|").delimiter
        except csv.Error:
            delimiter = ","
        rows = list(csv.DictReader(handle, delimiter=delimiter))
    x = (np.array([[float(row[f]) for f in FEATURES] for row in rows]) - FEATURE_MEAN) / FEATURE_STD
    {target}
    train, test = {split}, {p['test_fraction']!r}, np.random.default_rng(SEED))
    return x[train], y[train], x[test], y[test]
'''


def _image_folder_code(ref: dict) -> str:
    p = ref["params"]
    channels, height, width = p["size"]
    return f'''
# Your own images: the playground cannot put them into this file. Unzip the zip you uploaded beside
# this script, so that DATA_DIR holds one folder per class. Files are read in sorted order here, so
# the train/test split may differ from the playground's.
DATA_DIR = {p['file'].rsplit('.', 1)[0]!r}
CLASSES = {p['classes']!r}
CHANNELS, HEIGHT, WIDTH = {channels}, {height}, {width}  # every picture is resized to this


def load_data():
    """Pictures in DATA_DIR/<class>/: x (N, C, H, W) in [0, 1], y class indices, a stratified split."""
    from pathlib import Path

    from PIL import Image

    root = Path(DATA_DIR)
    if not root.is_dir():
        raise SystemExit(f"Put your class folders in {{root.resolve()}} first.")
    inner = [p for p in root.iterdir() if p.is_dir()]
    if len(inner) == 1 and inner[0].name not in CLASSES:  # the zip held one folder around the classes
        root = inner[0]
    pictures, labels = [], []
    for label, name in enumerate(CLASSES):
        for path in sorted((root / name).iterdir()):
            try:
                picture = Image.open(path).convert("L" if CHANNELS == 1 else "RGB")
            except OSError:
                continue  # not a picture
            array = np.asarray(picture.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
            pictures.append(array[None] if CHANNELS == 1 else array.transpose(2, 0, 1))
            labels.append(label)
    x, y = np.stack(pictures), np.array(labels, dtype=np.int64)
    train, test = _stratified_split(y, {p.get('test_fraction', 0.2)!r}, np.random.default_rng(SEED))
    return x[train], y[train], x[test], y[test]
'''


# The sequence sets: the generator the playground uses, then the same split.
_SEQUENCE_DATA = {
    "sine": (data_lib.sine_arrays, "x, y = sine_arrays(p['n'], p['length'], p['noise'], rng)",
             "_shuffle_split(p['n']"),
    "adding": (data_lib.adding_arrays, "x, y = adding_arrays(p['n'], p['length'], rng)", "_shuffle_split(p['n']"),
    "recall": (data_lib.recall_arrays,
               f"x, y = recall_arrays(p['n'], p['length'], {len(data_lib.RECALL_SYMBOLS)}, rng)",
               "_stratified_split(y"),
    "characters": (data_lib.character_arrays,
                   "x, y, classes = character_arrays(default_text(SEED, p['chars']), p['n'], p['length'], rng)",
                   "_shuffle_split(p['n']"),
}


def _text_code() -> str:
    """The project's text grammar (`playground.text.default_text` and what it uses), as source."""
    from playground import text

    source = inspect.getsource(text)
    start = source.index("# ----", source.index("def check_text"))
    return "import random\n\n" + source[start:]


def _sequence_code(ref: dict, info) -> str:
    if ref["name"] not in _SEQUENCE_DATA:
        raise ExportError(f"The data set {ref['name']!r} cannot be written as a script yet.")
    make, call, split = _SEQUENCE_DATA[ref["name"]]
    params = {**info.defaults, **ref.get("params", {})}
    grammar = _text_code() if ref["name"] == "characters" else ""
    return f'''
{grammar}

{_source(make)}

def load_data():
    """The sequence set {ref['name']!r}: inputs (N, *input_shape) and targets, split as the playground does."""
    p = {params!r}
    rng = np.random.default_rng(SEED)
    {call}
    train, test = {split}, p['test_fraction'], rng)
    return x[train], y[train], x[test], y[test]
'''


def _data_code(ref: dict) -> str:
    """The `load_data()` function (and what it needs) for the dataset `ref` names."""
    name, params = ref.get("name"), ref.get("params", {})
    source = params.get("source")
    if name not in data_lib.DATASETS and source == "csv":
        return _table_code(ref)
    if name not in data_lib.DATASETS and source == "zip":
        return _image_folder_code(ref)
    if name not in data_lib.DATASETS:
        raise ExportError(f"The playground does not know the data set {name!r}, so it cannot write its loader.")
    info = data_lib.DATASETS[name]
    if name == "digits":
        return _digits_code(ref)
    if name == "shapes":
        return _shapes_code(ref, info)
    if info.kind == "toy2d":
        return _toy_code(ref, info)
    if not info.offline:
        return _torchvision_code(ref, info)
    if info.kind == "sequence":
        return _sequence_code(ref, info)
    raise ExportError(f"The data set {name!r} cannot be written as a script yet.")


# ---------------------------------------------------------------------------------------------------------
# Training as code


def _optimizer_code(config: Config) -> str:
    return optimizer_code(config.optimizer, weight_decay=config.weight_decay, momentum=config.momentum)


def _loss_code(task: str, loss: str) -> str:
    if loss == "auto":
        loss = "cross_entropy" if task == "classification" else "mse"
    if loss == "cross_entropy":
        if task != "classification":
            raise ExportError("Cross-entropy needs classes; use MSE for regression.")
        return "F.cross_entropy(out, target)"
    if task == "classification":  # squared error between the softmax and one-hot targets
        return "F.mse_loss(out.softmax(1), F.one_hot(target, out.shape[1]).to(out.dtype))"
    return "F.mse_loss(out, target)"


_TRAINING = '''
def loss_fn(out, target):
    return {loss}


@torch.no_grad()
def evaluate(model, x, y):
    """Mean loss and accuracy (None for regression) on (x, y), in eval mode."""
    model.eval()
    total, correct = 0.0, 0
    for i in range(0, len(x), 2048):
        out, target = model(x[i:i + 2048]), y[i:i + 2048]
        total += loss_fn(out, target).item() * len(target)
        if TASK == "classification":
            correct += (out.argmax(1) == target).sum().item()
    model.train()
    n = max(len(x), 1)
    return total / n, (correct / n if TASK == "classification" else None)


def batches(n, generator):
    """Shuffled index batches; a last batch of one example joins the one before (batch norm needs two)."""
    order = torch.randperm(n, generator=generator)
    starts = list(range(0, n, BATCH_SIZE))
    if len(starts) > 1 and n - starts[-1] == 1:
        starts.pop()
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else n
        yield order[start:end]


def as_tensors(x, y):
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    if TASK == "classification":
        return x, torch.as_tensor(np.asarray(y), dtype=torch.int64)
    return x, torch.as_tensor(np.asarray(y), dtype=torch.float32).reshape(-1, 1)


def main():
    x_train, y_train, x_test, y_test = load_data()
    x_train, y_train = as_tensors(x_train, y_train)
    x_test, y_test = as_tensors(x_test, y_test)
    torch.manual_seed(SEED)  # the same starting weights as the playground's run with this seed
    model = build_network()
    optimizer = {optimizer}
    shuffler = torch.Generator().manual_seed(SEED)  # the same batch order as well
    print(f"{{len(x_train)}} training and {{len(x_test)}} test examples; "
          f"{{sum(p.numel() for p in model.parameters()):,}} parameters")
    model.train()
    for epoch in range(1, EPOCHS + 1):
        for index in batches(len(x_train), shuffler):
            loss = loss_fn(model(x_train[index]), y_train[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        test_loss, test_acc = evaluate(model, x_test, y_test)
        accuracy = f", test accuracy {{test_acc:.2%}}" if test_acc is not None else ""
        print(f"epoch {{epoch}}/{{EPOCHS}}: test loss {{test_loss:.4f}}{{accuracy}}", flush=True)
    if test_acc is not None:
        print(f"final test accuracy {{test_acc:.4f}}")
    print(f"final test loss {{test_loss:.6f}}")
    torch.save(model.state_dict(), "model_weights.pt")
    print("weights saved to model_weights.pt")


if __name__ == "__main__":
    main()
'''


def dataset_task(ref: dict) -> str:
    """"classification" or "regression": what the dataset `ref` names asks a network to do."""
    name, params = ref.get("name"), ref.get("params", {})
    if name in data_lib.DATASETS:
        return data_lib.DATASETS[name].task
    if params.get("source") == "zip":
        return "classification"
    if params.get("source") == "csv":
        return params["task"]
    raise ExportError(f"The playground does not know the data set {name!r}, so it cannot write its loader.")


def script(spec: dict, dataset_ref: dict, config: Config | dict, *, title: str = "network") -> str:
    """A standalone, runnable training script for `spec` on the dataset `dataset_ref` names.

    `dataset_ref` is a `Dataset.ref()` (or a run's `dataset`); `config` a training `Config` (or its
    dict). ExportError for a layer or dataset that cannot be written out, a spec or setting the
    playground refuses, or a network over the parameter cap.
    """
    try:
        config = Config.from_dict(config) if isinstance(config, dict) else config.validate()
        spec = validate(spec)
        module = build(spec)  # over the parameter cap: the playground could not train it either
    except (SpecError, ConfigError) as e:
        raise ExportError(f"No script for this network: {e}") from None
    task = dataset_task(dataset_ref)
    helpers = "".join(_HELPERS[t] + "\n" for t in (FlattenLinear, Residual, Branches, Unflatten, Embedding, Recurrent)
                      if t in _used_types(module))
    spec_text = "\n".join([f"    input_shape {spec['input_shape']}"]
                          + [f"    {i}: {json.dumps(layer)}" for i, layer in enumerate(spec["layers"])])
    header = f'''"""{title}: trains the network built on Neural Playground, outside it.

Needs torch and numpy{_extra_needs(dataset_ref)}. Run it with `python {script_file_name(title)}`.
It makes the same data, the same network and the same training steps as the playground's run
with seed {config.seed}, so it reaches the same accuracy (within the rounding of your machine).

The network's spec, as the playground wrote it:
{spec_text}
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

TASK = {task!r}
SEED = {config.seed}
EPOCHS = {config.epochs}
BATCH_SIZE = {config.batch_size}
LR = {config.lr!r}
OPTIMIZER = {config.optimizer!r}
DATASET = {json.dumps(dataset_ref)!r}  # what the playground calls this data
'''
    network = f'''

def build_network():
    """The network: {len(spec["layers"])} layers, input shape {spec["input_shape"]}."""
    return {module_code(module, 4)}
'''
    training = _TRAINING.format(loss=_loss_code(task, config.loss), optimizer=_optimizer_code(config))
    return (header + "\n" + helpers + "\n# Splitting data into training and test parts.\n\n" + _SPLITS
            + _data_code(dataset_ref) + network + training)


def _extra_needs(ref: dict) -> str:
    name, source = ref.get("name"), ref.get("params", {}).get("source")
    if name == "digits":
        return ", plus scikit-learn for the digits"
    if name in data_lib.DATASETS and not data_lib.DATASETS[name].offline:
        return ", plus torchvision to download the images"
    if name not in data_lib.DATASETS and source == "zip":
        return ", plus Pillow to read your pictures"
    return ""


def script_file_name(title: str) -> str:
    """A file name for the script: letters, digits and underscores, ending in .py."""
    stem = "".join(c if c.isalnum() else "_" for c in title.lower()).strip("_") or "network"
    while "__" in stem:
        stem = stem.replace("__", "_")
    return f"train_{stem[:60]}.py"


# ---------------------------------------------------------------------------------------------------------
# Weights


def safetensors_bytes(module: nn.Module, spec: dict, *, extra: dict | None = None) -> bytes:
    """The weights as a playground checkpoint: safetensors with the spec (and `extra`) in its metadata."""
    from playground.checkpoints import checkpoint_bytes

    return checkpoint_bytes(module, validate(spec), extra=extra)


def onnx_bytes(module: nn.Module, input_shape: list[int] | tuple[int, ...]) -> bytes:
    """The network as an ONNX model with input "input" (batch, *input_shape) and output "output".

    The batch size is free. Exported in eval mode (batch norm uses its running statistics, dropout
    is off) with `torch.onnx.export`; the module itself is left as it was.
    """
    import copy

    model = copy.deepcopy(module).to("cpu").eval()
    example = torch.zeros(2, *input_shape)  # two, so the batch size is not fixed at 1
    try:
        program = torch.onnx.export(model, (example,), input_names=["input"], output_names=["output"],
                                    dynamic_shapes=({0: torch.export.Dim("batch")},), dynamo=True, verbose=False)
        # Serialized in memory with the weights inside: nothing is written to disk.
        return program.model_proto.SerializeToString()
    except Exception as e:  # the exporter raises many kinds of error; the user needs to know it failed
        raise ExportError(f"This network could not be exported to ONNX ({type(e).__name__}: "
                          f"{str(e).strip().splitlines()[0] if str(e).strip() else 'no details'}).") from None
