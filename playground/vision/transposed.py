"""Transposed convolution worked out one input value at a time: each value stamps the kernel into the output.

A convolution reads a window of the input to make one output value; a transposed convolution runs the
other way: each input value x[i, j] *writes* x[i, j]·kernel into a window of the output whose top-left
corner is (i·stride, j·stride), and where windows overlap the stamps add up. Padding then *crops*
`padding` rows and columns from every side of that stamped canvas, and `output_padding` adds rows and
columns back at the bottom and right. The result equals `torch.nn.functional.conv_transpose2d` (the
tests check every example); the steps show where each value went.

Arrays are plain numpy float64: an input (H, W), a kernel (kH, kW). Output size along one axis:
(H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.

Where stamps overlap unevenly (kernel size not divisible by the stride) some output pixels receive
more stamps than their neighbours: the checkerboard pattern of Odena, Dumoulin & Olah, "Deconvolution
and Checkerboard Artifacts", Distill 2016. `overlap_counts` counts them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from playground.registry import Registry

# ---------------------------------------------------------------------------------------------
# Output size
# ---------------------------------------------------------------------------------------------


def _check_whole(**values: tuple[int, int]) -> None:
    """Each keyword is (value, lowest allowed); ValueError naming the first one out of range."""
    for name, (value, low) in values.items():
        if int(value) != value or value < low:
            raise ValueError(f"{name.replace('_', ' ')} must be a whole number of at least {low}, got {value}")


def check_output_padding(output_padding: int, stride: int, dilation: int = 1) -> None:
    """ValueError, with the reason, when torch refuses `output_padding` (it must be below the stride or dilation).

    A stride-s convolution maps s neighbouring input sizes to the same output size (the division rounds
    down), so going back there are s sizes to choose from: output_padding 0 … s − 1 picks one. Any more
    would add rows no stamp can reach, so PyTorch refuses it.
    """
    if output_padding < max(stride, dilation):
        return
    limit = max(stride, dilation) - 1
    raise ValueError(
        f"Output padding {output_padding} is not allowed with stride {stride}: it must be smaller than the "
        f"stride (or the dilation), so at most {limit} here. A stride-{stride} convolution sends {stride} "
        f"neighbouring input sizes to the same output size, and output padding only says which of those "
        f"{stride} sizes to give back (0 to {stride - 1} extra rows at the bottom and columns at the right); "
        f"torch.nn.functional.conv_transpose2d refuses anything larger. Lower the output padding or raise the "
        f"stride.")


def stamped_size(size: int, kernel: int, stride: int = 1, *, dilation: int = 1) -> int:
    """Length of the stamped canvas along one axis before cropping: (size − 1)·stride + dilation·(kernel − 1) + 1."""
    return (size - 1) * stride + dilation * (kernel - 1) + 1


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, *, dilation: int = 1,
                output_padding: int = 0) -> int:
    """(size − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1, as PyTorch computes it.

    Raises ValueError, saying why and what to change, for a setting below its minimum, an output padding
    torch refuses, or padding that would crop the whole output away.
    """
    _check_whole(size=(size, 1), kernel=(kernel, 1), stride=(stride, 1), padding=(padding, 0),
                 dilation=(dilation, 1), output_padding=(output_padding, 0))
    check_output_padding(output_padding, stride, dilation)
    full = stamped_size(size, kernel, stride, dilation=dilation)
    out = full - 2 * padding + output_padding
    if out < 1:
        most = (full + output_padding - 1) // 2
        raise ValueError(
            f"Padding {padding} crops {padding} from each side, 2·{padding} = {2 * padding} in all, but the "
            f"stamps only cover {full}" + (f" (+ {output_padding} of output padding)" if output_padding else "")
            + f": nothing would be left (the formula gives {out}). Choose padding {most} or less, a larger "
            f"input or a larger kernel.")
    return out


def explain_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, *, dilation: int = 1,
                        output_padding: int = 0) -> str:
    """The output-size formula written out with these numbers, e.g. "(3 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 6".

    Never raises for whole numbers: a size below 1 is written as it comes out ("= −1"); `output_size`
    says why such a setting fails.
    """
    value = stamped_size(size, kernel, stride, dilation=dilation) - 2 * padding + output_padding
    shown = f"{value}" if value >= 0 else f"−{-value}"
    return (f"({size} − 1)·{stride} − 2·{padding} + {dilation}·({kernel} − 1) + {output_padding} + 1 "
            f"= {shown}")


# ---------------------------------------------------------------------------------------------
# The stamping walk
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)  # eq=False: arrays have no single answer to ==
class Stamp:
    """One input value written into the output.

    `row`, `col`: the input position; `value`: the input value there. `top`, `left`: the top-left corner
    of the window it writes in the *uncropped* canvas (row·stride, col·stride). `scaled`: value × kernel
    (kH, kW), what is added there (at every `dilation`-th pixel). `running`: the whole canvas after this
    stamp, before cropping.
    """

    row: int
    col: int
    value: float
    top: int
    left: int
    scaled: np.ndarray
    running: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class Walkthrough:
    """One transposed convolution of a 2-D input, ready to step through.

    `image` (H, W) and `kernel` (kH, kW) as given; `stamps` in reading order, one per input value;
    `canvas` the stamped canvas before cropping (`stamped_size` per axis, plus any output padding that
    reaches past the stamps); `output` the final cropped output (H', W'); `crop` = (top, left, H', W')
    of the output inside the canvas; `span` = the (height, width) one stamp covers.
    """

    image: np.ndarray
    kernel: np.ndarray
    stride: int
    padding: int
    output_padding: int
    dilation: int
    stamps: list[Stamp]
    canvas: np.ndarray
    output: np.ndarray
    crop: tuple[int, int, int, int]
    span: tuple[int, int]

    def window(self, position: int) -> tuple[int, int, int, int]:
        """(top, left, height, width) in the canvas of the window stamp `position` (1-based) writes in."""
        stamp = self.stamps[position - 1]
        return stamp.top, stamp.left, self.span[0], self.span[1]

    def cropped(self) -> np.ndarray:
        """A bool mask over the canvas: True where a cell is padding that cropping removes."""
        top, left, height, width = self.crop
        mask = np.ones(self.canvas.shape, dtype=bool)
        mask[top:top + height, left:left + width] = False
        return mask

    def explain(self, position: int) -> str:
        """One sentence on stamp `position` (1-based): which value, scaled how, written where."""
        stamp = self.stamps[position - 1]
        top, left, height, width = self.window(position)
        return (f"Input row {stamp.row}, column {stamp.col} holds {_fmt(stamp.value)}: it adds "
                f"{_fmt(stamp.value)} × kernel to canvas rows {top}–{top + height - 1}, columns "
                f"{left}–{left + width - 1} (its corner is row {stamp.row}·{self.stride}, column "
                f"{stamp.col}·{self.stride}).")


def _fmt(value: float) -> str:
    return f"{value:g}"


def _as_grid(values, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"the {what} must be a non-empty (H, W) grid, got shape {array.shape}")
    return array


def walk(image, kernel, *, stride: int = 1, padding: int = 0, output_padding: int = 0,
         dilation: int = 1) -> Walkthrough:
    """Transposed-convolve `image` (H, W) with `kernel` (kH, kW), keeping the canvas after every stamp.

    Raises ValueError with a sentence for a student when the setting cannot work (see `output_size`).
    """
    image = _as_grid(image, "input")
    kernel = _as_grid(kernel, "kernel")
    sizes = [output_size(n, k, stride, padding, dilation=dilation, output_padding=output_padding)
             for n, k in zip(image.shape, kernel.shape)]
    span = tuple(dilation * (k - 1) + 1 for k in kernel.shape)
    # Output padding past the cropped border reaches beyond the last stamp: those rows stay zero.
    extra = max(0, output_padding - padding)
    canvas = np.zeros([stamped_size(n, k, stride, dilation=dilation) + extra
                       for n, k in zip(image.shape, kernel.shape)])
    stamps = []
    for row in range(image.shape[0]):
        for col in range(image.shape[1]):
            value = float(image[row, col])
            scaled = value * kernel
            top, left = row * stride, col * stride
            canvas[top:top + span[0]:dilation, left:left + span[1]:dilation] += scaled
            stamps.append(Stamp(row, col, value, top, left, scaled, canvas.copy()))
    crop = (padding, padding, sizes[0], sizes[1])
    output = canvas[padding:padding + sizes[0], padding:padding + sizes[1]].copy()
    return Walkthrough(image, kernel, stride, padding, output_padding, dilation, stamps, canvas, output, crop,
                       (span[0], span[1]))


def transposed_convolve(image, kernel, *, stride: int = 1, padding: int = 0, output_padding: int = 0,
                        dilation: int = 1) -> np.ndarray:
    """The output (H', W') of the transposed convolution: `walk(...).output` without keeping the steps."""
    return walk(image, kernel, stride=stride, padding=padding, output_padding=output_padding,
                dilation=dilation).output


def torch_output(image, kernel, *, stride: int = 1, padding: int = 0, output_padding: int = 0,
                 dilation: int = 1) -> np.ndarray:
    """The same transposed convolution computed by `torch.nn.functional.conv_transpose2d`, as (H', W') float64."""
    import torch
    import torch.nn.functional as F

    x = torch.tensor(np.asarray(image, dtype=np.float64))[None, None]
    w = torch.tensor(np.asarray(kernel, dtype=np.float64))[None, None]
    y = F.conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    return y[0, 0].numpy()


# ---------------------------------------------------------------------------------------------
# Uneven overlap: the checkerboard
# ---------------------------------------------------------------------------------------------


def overlap_counts(shape: tuple[int, int], kernel_size: int, stride: int = 1, padding: int = 0, *,
                   output_padding: int = 0, dilation: int = 1) -> np.ndarray:
    """How many stamps land on each output pixel (H', W') for an input of `shape` and a square kernel.

    This is the transposed convolution of an all-ones input with an all-ones kernel: where the kernel
    size is not a multiple of the stride, neighbouring pixels get different counts in a repeating
    pattern (a checkerboard in 2-D).
    """
    return transposed_convolve(np.ones(shape), np.ones((kernel_size, kernel_size)), stride=stride,
                               padding=padding, output_padding=output_padding, dilation=dilation)


def overlaps_evenly(kernel_size: int, stride: int) -> bool:
    """Whether every output pixel away from the border gets the same number of stamps: kernel % stride == 0."""
    return kernel_size % stride == 0


def explain_overlap(kernel_size: int, stride: int) -> str:
    """One sentence on whether kernel `kernel_size` with `stride` overlaps evenly, and what that draws."""
    if overlaps_evenly(kernel_size, stride):
        per_axis = kernel_size // stride
        return (f"Kernel {kernel_size} with stride {stride}: {kernel_size} is a multiple of {stride}, so away from "
                f"the border every pixel gets {per_axis} stamps along each axis ({per_axis ** 2} in all). Even "
                f"coverage, no pattern.")
    low, high = kernel_size // stride, kernel_size // stride + 1
    return (f"Kernel {kernel_size} with stride {stride}: {kernel_size} is not a multiple of {stride}, so along "
            f"each axis pixels get {low} or {high} stamps in turn ({low ** 2}, {low * high} or {high ** 2} in "
            f"2-D). Even a flat input comes out striped in a checkerboard.")


# ---------------------------------------------------------------------------------------------
# Example inputs and kernels
# ---------------------------------------------------------------------------------------------

INPUTS: Registry[np.ndarray] = Registry("transposed-convolution input")
KERNELS: Registry[np.ndarray] = Registry("transposed-convolution kernel")


def _read_only(values) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    array.setflags(write=False)  # shared by every caller: nobody may edit an example in place
    return array


def _bilinear(size: int) -> np.ndarray:
    """The kernel that makes a stride-(size // 2) transposed convolution a bilinear upsampling (as in FCN):
    a tent of weights 1 − |x − centre| / factor along each axis, for an even `size` = 2·factor."""
    factor = size // 2
    centre = factor - 0.5
    tent = 1 - np.abs(np.arange(size) - centre) / factor
    return np.outer(tent, tent)


INPUTS.add("a single 1", _read_only([[1]]),
           description="One value of 1: the output is the kernel itself, stamped once.")
INPUTS.add("2×2 ramp", _read_only([[1, 2], [3, 4]]),
           description="Four different values, so each stamp is a differently scaled copy of the kernel.")
INPUTS.add("3×3 of ones", _read_only(np.ones((3, 3))),
           description="A flat input: every stamp is the same, so any pattern in the output comes from how the "
                       "stamps overlap.")
INPUTS.add("2×2 of ±1", _read_only([[1, -1], [-1, 1]]),
           description="Signs that alternate: where stamps overlap they cancel.")

KERNELS.add("a single 1", _read_only([[1]]),
            description="1×1: each value is copied to its corner and the stride leaves zeros between them "
                        "(the 'bed of nails').")
KERNELS.add("2×2 ramp", _read_only([[1, 2], [3, 4]]),
            description="2×2 with four different weights, so you can see which weight lands where.")
KERNELS.add("3×3 of ones", _read_only(np.ones((3, 3))),
            description="3×3 of ones: with stride 2 neighbouring stamps overlap by one row and column, and "
                        "those pixels add up twice.")
KERNELS.add("bilinear 4×4", _read_only(_bilinear(4)),
            description="The tent weights of bilinear interpolation: with stride 2 and padding 1 it doubles "
                        "the size, blending neighbours smoothly (the usual starting point in FCN).")

INPUT_NAMES = tuple(INPUTS)
KERNEL_NAMES = tuple(KERNELS)
