"""Convolution and pooling worked out one window at a time, with the sizes and parameter counts they imply.

Everything here is plain numpy on float64 arrays: a 2-D image is (H, W), a multi-channel one (C, H, W),
a kernel (kH, kW), a filter bank (K, C, kH, kW). Results match `torch.nn.functional.conv2d`,
`max_pool2d` and `avg_pool2d` (the tests check this), but each output value also comes with the
`Step` that produced it, so a page can show which pixels were multiplied by which weights.

Like PyTorch, `correlate` computes cross-correlation (the kernel is not flipped); `flip=True` gives
the convolution of the signal-processing textbooks, where the kernel is turned by 180° first.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from playground.registry import Registry

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_PAD_ALIASES = {"constant": "zeros"}  # the name torch.nn.functional.pad uses for zero padding
POOL_MODES = ("max", "avg")
PHOTOS = ("china.jpg", "flower.jpg")  # the pictures bundled with scikit-learn


# ---------------------------------------------------------------------------------------------
# Output sizes
# ---------------------------------------------------------------------------------------------


def _check_sizes(size: int, kernel: int, stride: int, padding: int, dilation: int) -> None:
    for name, value, low in (("size", size, 1), ("kernel", kernel, 1), ("stride", stride, 1),
                             ("padding", padding, 0), ("dilation", dilation, 1)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be a whole number of at least {low}, got {value}")


def kernel_span(kernel: int, dilation: int = 1) -> int:
    """How many pixels a `kernel`-tap kernel covers when its taps are `dilation` pixels apart."""
    return dilation * (kernel - 1) + 1


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length along one axis: floor((size + 2·padding − span) / stride) + 1, as PyTorch computes it.

    `span` = dilation·(kernel − 1) + 1 is the width the kernel covers. Raises ValueError for a
    setting below its minimum, or when the (dilated) kernel does not fit in the padded input.
    """
    _check_sizes(size, kernel, stride, padding, dilation)
    span = kernel_span(kernel, dilation)
    padded = size + 2 * padding
    if span > padded:
        spread = f" (dilation {dilation} spreads its {kernel} taps over {span} pixels)" if dilation > 1 else ""
        raise ValueError(f"a kernel of width {span}{spread} does not fit in an input of {size} "
                         f"with padding {padding}: {size} + 2·{padding} = {padded} < {span}")
    return (padded - span) // stride + 1


def fits_evenly(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> bool:
    """Whether the last window ends exactly on the padded input's edge, so nothing is left over.

    False as well when the kernel does not fit at all.
    """
    _check_sizes(size, kernel, stride, padding, dilation)
    room = size + 2 * padding - kernel_span(kernel, dilation)
    return room >= 0 and room % stride == 0


def _number(value: Fraction) -> str:
    """A fraction as a short decimal, with "≈" in front when two decimals do not say it exactly."""
    if value.denominator == 1:
        return f"= {value.numerator}"
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return ("= " if Fraction(text) == value else "≈ ") + text


def explain_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1, *,
                        unit: str = "column") -> str:
    """One sentence working out the output size with the user's numbers, and saying what is left over.

    `unit` names one line of pixels along this axis ("column" for widths, "row" for heights).
    Example: (8 + 2·1 − 3) / 2 + 1 = 4.5 → 4: the last column is never visited, but it is padding, ...
    """
    _check_sizes(size, kernel, stride, padding, dilation)
    span = kernel_span(kernel, dilation)
    padded = size + 2 * padding
    spread = (f"With dilation {dilation} the kernel spans {dilation}·({kernel} − 1) + 1 = {span} pixels. "
              if dilation > 1 else "")
    if span > padded:
        return (f"{spread}The kernel is {span} wide but the padded input is only {size} + 2·{padding} = {padded}: "
                f"it does not fit, so there is no output. Add padding or choose a smaller kernel.")
    exact = Fraction(padded - span, stride) + 1
    formula = f"({size} + 2·{padding} − {span}) / {stride} + 1 {_number(exact)}"
    out = (padded - span) // stride + 1
    if exact.denominator == 1:
        return f"{spread}{formula}: the windows fit exactly."
    left_over = (padded - span) % stride  # lines past the last window, at the right (or bottom) edge
    lines = f"the last {unit}" if left_over == 1 else f"the last {left_over} {unit}s"
    verb = "is" if left_over == 1 else "are"
    image_lines = left_over - padding
    if image_lines <= 0:
        what = "it is padding" if left_over == 1 else "they are padding"
        tail = f", but {what}, so no pixel is lost."
    elif padding == 0:
        tail = "."
    else:
        tail = f": {image_lines} of the image and {padding} of padding."
    return f"{spread}{formula} → {out}: {lines} {verb} never visited{tail}"


# ---------------------------------------------------------------------------------------------
# Padding and sliding windows
# ---------------------------------------------------------------------------------------------


def pad(image: np.ndarray, padding: int, mode: str = "zeros") -> np.ndarray:
    """Add `padding` pixels on every side of the last two axes of `image` ((H, W) or (C, H, W)).

    Modes, named as `nn.Conv2d`'s `padding_mode` ("constant" is accepted for "zeros", as F.pad calls it):
    zeros: 0 | reflect: mirror without repeating the edge (d c b | a b c d | c b a) |
    replicate: repeat the edge (a a | a b c d | d d) | circular: wrap around (c d | a b c d | a b).
    Returns a float64 array of shape (..., H + 2·padding, W + 2·padding).
    """
    image = np.asarray(image, dtype=np.float64)
    mode = _PAD_ALIASES.get(mode, mode)
    if mode not in PADDING_MODES:
        raise ValueError(f"unknown padding mode {mode!r}; choose one of {', '.join(PADDING_MODES)}")
    if image.ndim not in (2, 3):
        raise ValueError(f"pad expects an (H, W) or (C, H, W) image, got shape {image.shape}")
    if int(padding) != padding or padding < 0:
        raise ValueError(f"padding must be a whole number of at least 0, got {padding}")
    height, width = image.shape[-2:]
    # The same limits as torch.nn.functional.pad: a reflection needs a pixel beyond the edge to mirror,
    # and wrapping around more than once is refused.
    if mode == "reflect" and padding >= min(height, width):
        raise ValueError(f"reflect padding must be smaller than the image ({height}×{width}), got {padding}")
    if mode == "circular" and padding > min(height, width):
        raise ValueError(f"circular padding must not exceed the image ({height}×{width}), got {padding}")
    widths = [(0, 0)] * (image.ndim - 2) + [(padding, padding)] * 2
    return np.pad(image, widths, mode=_NUMPY_PAD_MODES[mode])


def _windows(padded: np.ndarray, kernel_shape: tuple[int, int], stride: int, dilation: int) -> np.ndarray:
    """Every window the kernel visits: (..., H', W', kH, kW) read-only views into `padded` (..., Hp, Wp)."""
    spans = tuple(kernel_span(k, dilation) for k in kernel_shape)
    views = sliding_window_view(padded, spans, axis=(-2, -1))
    return views[..., ::stride, ::stride, ::dilation, ::dilation]


def _as_image(image, ndim: int, what: str) -> np.ndarray:
    array = np.asarray(image, dtype=np.float64)
    if array.ndim != ndim or 0 in array.shape:
        shape = "(H, W)" if ndim == 2 else "(C, H, W)" if ndim == 3 else "(K, C, kH, kW)"
        raise ValueError(f"{what} must be a non-empty {shape} array, got shape {array.shape}")
    return array


def _check_fit(image_shape: tuple[int, ...], kernel_shape: tuple[int, ...], stride: int, padding: int,
               dilation: int) -> tuple[int, int]:
    """The output's (H', W'); raises ValueError, naming the axis, when the kernel does not fit."""
    sizes = []
    for axis, size, kernel in zip(("height", "width"), image_shape[-2:], kernel_shape[-2:]):
        try:
            sizes.append(output_size(size, kernel, stride, padding, dilation))
        except ValueError as e:
            raise ValueError(f"{axis}: {e}") from None
    return sizes[0], sizes[1]


# ---------------------------------------------------------------------------------------------
# Convolution, one step at a time
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)  # eq=False: comparing arrays field by field has no single answer
class Step:
    """One output value and how it was made.

    `row`, `col`: position in the output. `top`, `left`: the window's top-left corner in the *padded*
    input (subtract the padding for image coordinates). `window`: the (kH, kW) input values under the
    kernel's taps (every `dilation`-th pixel). `products`: window × kernel, element by element (for
    pooling, the window itself). `total`: sum of the products plus the bias (for pooling, max or mean).
    """

    row: int
    col: int
    top: int
    left: int
    window: np.ndarray
    products: np.ndarray
    total: float


def correlate(image, kernel, stride: int = 1, padding: int = 0, dilation: int = 1, *, bias: float = 0.0,
              padding_mode: str = "zeros", flip: bool = False) -> tuple[np.ndarray, list[Step]]:
    """Slide `kernel` (kH, kW) over `image` (H, W): multiply the pixels under it and add them up, plus `bias`.

    This is what a convolutional layer computes (cross-correlation, as in PyTorch). `flip=True` turns the
    kernel by 180° first, which is convolution in the mathematical sense; the steps then show the
    flipped kernel's products. Returns the output (H', W') and its H'·W' steps in reading order.
    """
    image = _as_image(image, 2, "image")
    kernel = _as_image(kernel, 2, "kernel")
    if flip:
        kernel = kernel[::-1, ::-1]
    _check_fit(image.shape, kernel.shape, stride, padding, dilation)
    padded = pad(image, padding, padding_mode)
    windows = _windows(padded, kernel.shape, stride, dilation)  # (H', W', kH, kW)
    products = windows * kernel
    output = products.sum(axis=(-2, -1)) + bias
    steps = [Step(row, col, row * stride, col * stride, windows[row, col], products[row, col],
                  float(output[row, col]))
             for row in range(output.shape[0]) for col in range(output.shape[1])]
    return output, steps


def correlate_channels(image, kernels, stride: int = 1, padding: int = 0, dilation: int = 1, *,
                       bias: float = 0.0, padding_mode: str = "zeros",
                       flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One filter on a multi-channel image: each channel meets its own kernel slice, and the results add up.

    `image` (C, H, W), `kernels` (C, kH, kW). Returns the output (H', W') and the per-channel
    correlations (C, H', W'); output = per_channel.sum(axis=0) + bias.
    """
    image = _as_image(image, 3, "image")
    kernels = _as_image(kernels, 3, "kernels")
    if kernels.shape[0] != image.shape[0]:
        raise ValueError(f"the image has {image.shape[0]} channels but there are {kernels.shape[0]} kernel slices")
    if flip:
        kernels = kernels[:, ::-1, ::-1]
    _check_fit(image.shape, kernels.shape, stride, padding, dilation)
    windows = _windows(pad(image, padding, padding_mode), kernels.shape[-2:], stride, dilation)  # (C, H', W', kH, kW)
    per_channel = np.einsum("chwij,cij->chw", windows, kernels)
    return per_channel.sum(axis=0) + bias, per_channel


def filter_bank(image, bank, stride: int = 1, padding: int = 0, dilation: int = 1, *, bias=None,
                padding_mode: str = "zeros", flip: bool = False) -> np.ndarray:
    """K filters on a multi-channel image, as one convolutional layer computes them.

    `image` (C, H, W), `bank` (K, C, kH, kW), `bias` (K,) or None. Returns (K, H', W'): one feature
    map per filter.
    """
    image = _as_image(image, 3, "image")
    bank = _as_image(bank, 4, "bank")
    if bank.shape[1] != image.shape[0]:
        raise ValueError(f"the image has {image.shape[0]} channels but each filter has {bank.shape[1]}")
    if flip:
        bank = bank[..., ::-1, ::-1]
    _check_fit(image.shape, bank.shape, stride, padding, dilation)
    windows = _windows(pad(image, padding, padding_mode), bank.shape[-2:], stride, dilation)  # (C, H', W', kH, kW)
    maps = np.einsum("chwij,kcij->khw", windows, bank)
    if bias is not None:
        maps = maps + np.asarray(bias, dtype=np.float64).reshape(-1, 1, 1)
    return maps


def pool(image, kernel: int, stride: int | None = None, padding: int = 0, *,
         mode: str = "max") -> tuple[np.ndarray, list[Step]]:
    """Summarise each `kernel`×`kernel` window of `image` (H, W) by its maximum or its mean.

    `stride` defaults to `kernel` (windows side by side), as in PyTorch. Padding follows
    `max_pool2d` / `avg_pool2d`: max pooling pads with −inf so padding never wins; average pooling pads
    with zeros and always divides by kernel² (torch's default `count_include_pad=True`), and padding
    may be at most kernel // 2. Returns the output (H', W') and its steps, where `products` is the
    window and `total` its max or mean.
    """
    if mode not in POOL_MODES:
        raise ValueError(f"unknown pooling mode {mode!r}; choose one of {', '.join(POOL_MODES)}")
    image = _as_image(image, 2, "image")
    stride = kernel if stride is None else stride
    _check_fit(image.shape, (kernel, kernel), stride, padding, 1)
    if padding > kernel // 2:
        raise ValueError(f"pooling padding may be at most half the kernel ({kernel} // 2 = {kernel // 2}), "
                         f"got {padding}")
    fill = -np.inf if mode == "max" else 0.0
    padded = np.pad(image, padding, mode="constant", constant_values=fill)
    windows = _windows(padded, (kernel, kernel), stride, 1)  # (H', W', k, k)
    output = windows.max(axis=(-2, -1)) if mode == "max" else windows.mean(axis=(-2, -1))
    steps = [Step(row, col, row * stride, col * stride, windows[row, col], windows[row, col],
                  float(output[row, col]))
             for row in range(output.shape[0]) for col in range(output.shape[1])]
    return output, steps


# ---------------------------------------------------------------------------------------------
# Counting parameters
# ---------------------------------------------------------------------------------------------


def _as_tuple(value: int | tuple[int, ...]) -> tuple[int, ...]:
    return (value,) if isinstance(value, int) else tuple(value)


def fully_connected_params(in_units: int, out_units: int, *, bias: bool = True) -> int:
    """Weights (and biases) of a layer where every output unit sees every input unit: in·out (+ out)."""
    return in_units * out_units + (out_units if bias else 0)


def locally_connected_params(in_size: int | tuple[int, ...], kernel: int | tuple[int, ...], *, stride: int = 1,
                             padding: int = 0, in_channels: int = 1, out_channels: int = 1,
                             bias: bool = True) -> int:
    """Weights of a layer where each output unit sees only its own window, with weights of its own.

    `in_size` and `kernel` are ints for a 1-D input or (H, W) tuples for an image. Every output
    position keeps a private copy of a (in_channels × kernel) weight block per output channel, and
    (with `bias`) a private bias: positions · out_channels · (in_channels · kernel area + 1).
    """
    in_size, kernel = _as_tuple(in_size), _as_tuple(kernel)
    if len(in_size) != len(kernel):
        raise ValueError(f"in_size {in_size} and kernel {kernel} have different numbers of axes")
    positions = math.prod(output_size(n, k, stride, padding) for n, k in zip(in_size, kernel))
    per_unit = in_channels * math.prod(kernel) + (1 if bias else 0)
    return positions * out_channels * per_unit


def convolution_params(kernel: int | tuple[int, ...], *, in_channels: int = 1, out_channels: int = 1,
                       bias: bool = True) -> int:
    """Weights of a convolutional layer: one kernel per output channel, shared by every position.

    kernel area · in_channels · out_channels (+ out_channels biases), whatever the input size;
    equal to the parameter count of `nn.Conv1d` / `nn.Conv2d` with the same settings.
    """
    return math.prod(_as_tuple(kernel)) * in_channels * out_channels + (out_channels if bias else 0)


def filter_bank_params(height: int, width: int, channels: int, filters: int, *, bias: bool = True) -> int:
    """Parameters of `filters` filters, each height × width × channels (+ one bias each)."""
    return convolution_params((height, width), in_channels=channels, out_channels=filters, bias=bias)


def connectivity_params(in_units: int, kernel: int, stride: int = 1, padding: int = 0, *,
                        bias: bool = False) -> dict[str, int]:
    """The same 1-D layer wired three ways, from most to fewest parameters.

    The hidden layer has output_size(in_units, kernel, stride, padding) units in each case:
    fully connected (each sees all inputs), locally connected (each sees its own window with its own
    weights) and convolutional (the window's weights are shared). Biases are left out by default, as
    the usual textbook count does. 7 inputs, kernel 3, stride 2 gives 21, 9 and 3.
    """
    hidden = output_size(in_units, kernel, stride, padding)
    return {
        "fully connected": fully_connected_params(in_units, hidden, bias=bias),
        "locally connected": locally_connected_params(in_units, kernel, stride=stride, padding=padding, bias=bias),
        "convolution (shared weights)": convolution_params(kernel, bias=bias),
    }


# ---------------------------------------------------------------------------------------------
# Kernel presets
# ---------------------------------------------------------------------------------------------

KERNELS: Registry[np.ndarray] = Registry("kernel")
KERNEL_DESCRIPTIONS: dict[str, str] = {}


def _register_kernel(name: str, values, description: str) -> None:
    """Add a read-only kernel preset under `name`; duplicates are refused."""
    kernel = np.array(values, dtype=np.float64)
    kernel.setflags(write=False)  # shared by every caller: nobody may edit a preset in place
    KERNELS.add(name, kernel, description=description)
    KERNEL_DESCRIPTIONS[name] = description


_BINOMIAL_5 = np.array([1.0, 4.0, 6.0, 4.0, 1.0])
_CURVE = [  # a curve drawn in 30s: up the middle, then bending to the top right
    [0, 0, 0, 0, 0, 30, 0],
    [0, 0, 0, 0, 30, 0, 0],
    [0, 0, 0, 30, 0, 0, 0],
    [0, 0, 0, 30, 0, 0, 0],
    [0, 0, 0, 30, 0, 0, 0],
    [0, 0, 0, 30, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
]

_register_kernel("identity 3×3", [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
                 "Copies each pixel: the output is the input, minus the border a 3×3 window cannot centre on.")
_register_kernel("box blur 3×3", np.full((3, 3), 1 / 9),
                 "The mean of the 3×3 neighbourhood: a moving average that smooths noise and softens edges.")
_register_kernel("box blur 5×5", np.full((5, 5), 1 / 25),
                 "The mean of the 5×5 neighbourhood: a stronger blur than 3×3.")
_register_kernel("Gaussian 3×3", np.outer([1, 2, 1], [1, 2, 1]) / 16,
                 "A weighted average that trusts the centre most; blurs without the box filter's blocky look.")
_register_kernel("Gaussian 5×5", np.outer(_BINOMIAL_5, _BINOMIAL_5) / 256,
                 "A wider weighted average (binomial weights 1 4 6 4 1 in each direction).")
_register_kernel("sharpen 3×3", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
                 "The pixel plus how much it differs from its four neighbours: boosts edges and fine detail.")
_register_kernel("vertical line 3×3", [[-1, 1, -1], [-1, 1, -1], [-1, 1, -1]],
                 "Responds to a bright line one pixel wide running up and down, darker on both sides.")
_register_kernel("horizontal line 3×3", [[-1, -1, -1], [1, 1, 1], [-1, -1, -1]],
                 "Responds to a bright line one pixel high running left to right.")
_register_kernel("corner 3×3", [[-1, -1, -1], [-1, 1, 1], [-1, 1, 1]],
                 "Responds to a bright block whose top-left corner sits at the window's centre.")
_register_kernel("vertical edge 3×3", [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
                 "Right minus left: positive where brightness rises to the right, negative where it falls.")
_register_kernel("horizontal edge 3×3", [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
                 "Bottom minus top: positive where brightness rises downwards.")
_register_kernel("Sobel x 3×3", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
                 "A vertical edge detector that weights the middle row double, so it is less sensitive to noise.")
_register_kernel("Sobel y 3×3", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                 "The horizontal-edge twin of Sobel x.")
_register_kernel("diagonal line 3×3", [[1, -1, -1], [-1, 1, -1], [-1, -1, 1]],
                 "+1 on the diagonal from top left to bottom right, −1 elsewhere: a template for one stroke of "
                 "an X. Dividing the output by 9 gives a match score from −1 to 1.")
_register_kernel("X template 3×3", [[1, -1, 1], [-1, 1, -1], [1, -1, 1]],
                 "+1 on both diagonals, −1 elsewhere: a template for the crossing at the centre of an X.")
_register_kernel("X of ones 3×3", [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
                 "Adds up the five pixels on the window's diagonals; on a 0/1 image it counts the lit ones.")
_register_kernel("curve detector 7×7", _CURVE,
                 "Weights of 30 along a curve: a patch with a bright matching curve scores high, anything else "
                 "scores near zero.")


# ---------------------------------------------------------------------------------------------
# Example inputs
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Example:
    """An input image worth stepping through, with the kernel it is meant for and what to look for."""

    image: np.ndarray  # (H, W), read-only
    kernel_name: str  # a key of KERNELS
    description: str


def _read_only(values) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    array.setflags(write=False)
    return array


def _square_with_holes() -> np.ndarray:
    """A 5×5 block of 90s on a 10×10 black image, with one dark pixel inside and one stray bright pixel."""
    image = np.zeros((10, 10))
    image[2:7, 3:8] = 90
    image[5, 4] = 0
    image[8, 2] = 90
    return image


def _x_image() -> np.ndarray:
    """A 9×9 X drawn in +1 on a background of −1."""
    image = -np.ones((9, 9))
    for i in range(1, 8):
        image[i, i] = image[i, 8 - i] = 1
    return image


EXAMPLES: dict[str, Example] = {
    "blurring a square": Example(
        _read_only(_square_with_holes()), "box blur 3×3",
        "A bright square with a dark hole and a stray bright pixel. Each output is the mean of nine pixels, "
        "so edges ramp through 30 and 60, the hole fills in and the stray pixel spreads into a faint 10."),
    "finding an X": Example(
        _read_only(_x_image()), "diagonal line 3×3",
        "An X in ±1 pixels. The diagonal template matches perfectly (9, or 1.00 after dividing by 9) wherever "
        "it sits on the X's top-left to bottom-right stroke, and poorly everywhere else."),
    "binary image": Example(
        _read_only([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]),
        "X of ones 3×3",
        "A 5×5 picture of 0s and 1s. In the top-left window four of the five diagonal pixels are lit, so the "
        "first output is 4; the whole output is 3×3."),
    "curve patch: match": Example(
        _read_only([[0, 0, 0, 0, 0, 0, 30], [0, 0, 0, 0, 50, 50, 50], [0, 0, 0, 20, 50, 0, 0],
                    [0, 0, 0, 50, 50, 0, 0], [0, 0, 0, 50, 50, 0, 0], [0, 0, 0, 50, 50, 0, 0],
                    [0, 0, 0, 50, 50, 0, 0]]),
        "curve detector 7×7",
        "A 7×7 patch with a bright stroke that bends like the detector's curve: five of the detector's six "
        "weights land on bright pixels, 4 × (50 × 30) + 20 × 30 = 6,600."),
    "curve patch: no match": Example(
        _read_only([[0, 0, 0, 0, 0, 0, 0], [0, 40, 0, 0, 0, 0, 0], [40, 0, 40, 0, 0, 0, 0],
                    [40, 20, 0, 0, 0, 0, 0], [0, 50, 0, 0, 0, 0, 0], [0, 0, 50, 0, 0, 0, 0],
                    [25, 25, 0, 50, 0, 0, 0]]),
        "curve detector 7×7",
        "A 7×7 patch whose bright pixels all lie where the detector's weights are zero: the score is 0."),
    "edge in a 3×3 patch": Example(
        _read_only([[3, 2, 1], [1, 2, 3], [1, 1, 1]]), "Sobel x 3×3",
        "One window, one output: (−3 + 1) + (−2 + 6) + (−1 + 1) = 2, a weak edge brightening to the right."),
}


def digit(index: int) -> np.ndarray:
    """Handwritten digit number `index` (0–1796) from scikit-learn's digits, as an (8, 8) array in [0, 1].

    The raw images hold whole numbers 0..16; they are divided by 16 so kernels act on the same 0..1
    scale as `photo`.
    """
    images = _digit_images()
    if not 0 <= index < len(images):
        raise ValueError(f"digit index must be between 0 and {len(images) - 1}, got {index}")
    return images[index] / 16.0


@lru_cache(maxsize=1)
def _digit_images() -> np.ndarray:
    from sklearn.datasets import load_digits  # imported on first use: scikit-learn is slow to import

    return load_digits().images


def photo(name: str, size: int = 64, *, gray: bool = True) -> np.ndarray:
    """One of scikit-learn's sample photos, cropped to a centred square and shrunk to `size` × `size`.

    `name` is "china.jpg" or "flower.jpg". Returns values in [0, 1]: (size, size) when `gray`
    (ITU-R 601 luma), else (3, size, size) with channels first, ready for `correlate_channels`.
    """
    from PIL import Image

    if name not in PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose one of {', '.join(PHOTOS)}")
    pixels = _sample_photo(name)  # (H, W, 3) uint8
    side = min(pixels.shape[:2])
    if not 1 <= size <= side:
        raise ValueError(f"size must be between 1 and {side}, got {size}")
    top, left = (pixels.shape[0] - side) // 2, (pixels.shape[1] - side) // 2
    picture = Image.fromarray(pixels[top:top + side, left:left + side])
    if gray:
        picture = picture.convert("L")
    # Resampling with a box filter averages every source pixel into the smaller image: no aliasing.
    array = np.asarray(picture.resize((size, size), Image.Resampling.BOX), dtype=np.float64) / 255.0
    return array if gray else array.transpose(2, 0, 1).copy()


@lru_cache(maxsize=len(PHOTOS))
def _sample_photo(name: str) -> np.ndarray:
    from sklearn.datasets import load_sample_image

    return load_sample_image(name)


# ---------------------------------------------------------------------------------------------
# The explorer's inputs and one walk through a convolution
# ---------------------------------------------------------------------------------------------

DIGIT_INPUT, PHOTO_INPUT, OWN = "a handwritten digit", "a photo", "type your own"
INPUTS = (*EXAMPLES, DIGIT_INPUT, PHOTO_INPUT, OWN)  # what the explorer can slide a kernel over
KERNEL_CHOICES = (*KERNELS, OWN)
FOR_THE_INPUT = ""  # a kernel choice meaning "the kernel the chosen input was made for"
DEFAULT_KERNEL = "vertical edge 3×3"  # for inputs not made for one kernel: digits, photos, your own grid
DIGIT_COUNT = 1797  # images in scikit-learn's digits


def kernel_for(input_name: str) -> str:
    """The kernel preset an input is meant for: its example's, else `DEFAULT_KERNEL`."""
    example = EXAMPLES.get(input_name)
    return example.kernel_name if example is not None else DEFAULT_KERNEL


def grayscale(image) -> np.ndarray:
    """(H, W) as it is; (C, H, W) averaged over its channels."""
    image = np.asarray(image, dtype=np.float64)
    return image if image.ndim == 2 else image.mean(axis=0)


def diagonal_image(size: int) -> np.ndarray:
    """A size × size grid of zeros with ones on the diagonal: a starting point for typing your own."""
    return np.eye(size)


def centre_kernel(size: int) -> np.ndarray:
    """A size × size kernel with a single 1 at its centre (it copies the input)."""
    kernel = np.zeros((size, size))
    kernel[size // 2, size // 2] = 1.0
    return kernel


def _fit_message(image_shape: tuple[int, int], kernel_shape: tuple[int, int], padding: int, dilation: int) -> str:
    """Why a kernel does not fit, and the smallest padding that would make it fit."""
    spans = [kernel_span(k, dilation) for k in kernel_shape]
    need = max(math.ceil((span - size) / 2) for span, size in zip(spans, image_shape))
    spread = f" (dilation {dilation} spreads it over {spans[0]}×{spans[1]} pixels)" if dilation > 1 else ""
    return (f"The {kernel_shape[0]}×{kernel_shape[1]} kernel{spread} does not fit in the "
            f"{image_shape[0]}×{image_shape[1]} input with padding {padding}, so there is no output. "
            f"Choose padding {need} or more, a smaller kernel or a larger input.")


@dataclasses.dataclass(frozen=True, eq=False)
class Walkthrough:
    """One convolution of a 2-D image, ready to step through.

    `padded`: the input with its padding (Hp, Wp). `kernel`: the kernel as applied (flipped when
    asked). `output` (H', W') and its `steps` in reading order. `reach`: the pixels one window covers.
    """

    padded: np.ndarray
    kernel: np.ndarray
    output: np.ndarray
    steps: list[Step]
    reach: int

    def window(self, position: int) -> tuple[int, int, int, int]:
        """(top, left, height, width) in the padded input of the window at `position` (1-based)."""
        step = self.steps[position - 1]
        return step.top, step.left, self.reach, self.reach

    def not_yet(self, position: int) -> np.ndarray:
        """A (H', W') mask of the outputs still to come once `position` (1-based) is done."""
        return _not_yet(self.output.shape, position)


def _not_yet(shape: tuple[int, int], position: int) -> np.ndarray:
    mask = np.ones(shape, dtype=bool)
    mask.flat[:position] = False
    return mask


def pooled_not_yet(output: np.ndarray, position: int) -> np.ndarray:
    """For pooling's output: the mask of values still to come once `position` (1-based) is done."""
    return _not_yet(output.shape, position)


def walk(image, kernel, *, stride: int = 1, padding: int = 0, dilation: int = 1, padding_mode: str = "zeros",
         flip: bool = False) -> Walkthrough:
    """Convolve `image` ((H, W), or (C, H, W) averaged to gray) with `kernel`, keeping every step.

    Raises ValueError with a sentence for a student when the setting cannot work (the kernel does not
    fit, or the padding is too wide for its mode), saying what to change.
    """
    gray = grayscale(image)
    kernel = np.asarray(kernel, dtype=np.float64)
    if gray.ndim != 2 or kernel.ndim != 2 or 0 in gray.shape or 0 in kernel.shape:
        raise ValueError(f"the input ({gray.shape}) and the kernel ({kernel.shape}) must both be non-empty grids")
    try:
        _check_fit(gray.shape, kernel.shape, stride, padding, dilation)
    except ValueError:
        raise ValueError(_fit_message(gray.shape, kernel.shape, padding, dilation)) from None
    output, steps = correlate(gray, kernel, stride, padding, dilation, padding_mode=padding_mode, flip=flip)
    used = kernel[::-1, ::-1] if flip else kernel
    return Walkthrough(pad(gray, padding, padding_mode), used, output, steps, kernel_span(kernel.shape[0], dilation))


def kernel_bank(names) -> np.ndarray:
    """The named presets as one (K, k, k) bank, smaller kernels padded with zeros to the largest size."""
    kernels = [KERNELS[name] for name in names]
    size = max(k.shape[0] for k in kernels)
    return np.stack([np.pad(k, (size - k.shape[0]) // 2) for k in kernels])


def bank_maps(image, names, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    """One feature map (K, H', W') per named preset on `image` (H, W) or (C, H, W), each slice the same kernel.

    Raises ValueError, saying what to change, when the bank's largest kernel does not fit.
    """
    stack = np.asarray(image, dtype=np.float64)
    stack = stack if stack.ndim == 3 else stack[None]
    bank = kernel_bank(names)
    try:
        _check_fit(stack.shape, bank.shape, stride, padding, dilation)
    except ValueError:
        raise ValueError(_fit_message(stack.shape[-2:], bank.shape[-2:], padding, dilation)) from None
    return filter_bank(stack, np.repeat(bank[:, None], stack.shape[0], axis=1), stride, padding, dilation)


def channel_maps(image, kernel, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    """The same kernel on each channel of `image` (C, H, W): the C per-channel maps, then their sum (C + 1, H', W')."""
    image = _as_image(image, 3, "image")
    kernels = np.stack([np.asarray(kernel, dtype=np.float64)] * image.shape[0])
    total, per_channel = correlate_channels(image, kernels, stride, padding, dilation)
    return np.concatenate([per_channel, total[None]])
