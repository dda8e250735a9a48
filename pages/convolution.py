import numpy as np
import pandas as pd
import streamlit as st

from playground import conv
from playground.figures.conv import grid_figure, maps_figure, step_figure
from playground.ui.boot import ensure_navigation
from playground.ui.urlstate import Field, PageState, bool_field

ensure_navigation()

OWN = "type your own"
DIGIT, PHOTO = "a handwritten digit", "a photo"
INPUTS = [*conv.EXAMPLES, DIGIT, PHOTO, OWN]
KERNEL_CHOICES = [*conv.KERNELS, OWN]
PADDING_MODES = ["zeros", "reflect", "replicate", "circular"]

state = PageState("cx", {
    "input": Field(next(iter(conv.EXAMPLES)), check=lambda v: v in INPUTS),
    "kernel": Field("", check=lambda v: v == "" or v in KERNEL_CHOICES),
    "stride": Field(1, int, check=lambda v: 1 <= v <= 4),
    "padding": Field(0, int, check=lambda v: 0 <= v <= 3),
    "mode": Field("zeros", check=lambda v: v in PADDING_MODES),
    "dilation": Field(1, int, check=lambda v: 1 <= v <= 3),
    "flip": bool_field(False),
    "step": Field(1, int, check=lambda v: v >= 1),
    "digit": Field(0, int, check=lambda v: 0 <= v < 1797),
    "photo": Field("china.jpg", check=lambda v: v in ("china.jpg", "flower.jpg")),
    "rgb": bool_field(False),
})
for problem in state.restore():
    st.warning(problem)

st.title("Convolution explorer")
st.caption("A convolution slides a small grid of weights (the kernel) over the image; at each position it "
           "multiplies the numbers under it by the weights and adds them up. Step through it, then change "
           "the kernel, the stride or the padding and see what comes out.")


def on_input_change() -> None:
    example = conv.EXAMPLES.get(state["input"])
    state["kernel"] = example.kernel_name if example is not None else ""
    state["step"] = 1


# ---- The input -------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.selectbox("Input", INPUTS, key=state.key("input"), on_change=on_input_change)
    choice = state["input"]
    if choice in conv.EXAMPLES:
        example = conv.EXAMPLES[choice]
        image = np.asarray(example.image, dtype=float)
        st.caption(example.description)
    elif choice == DIGIT:
        st.number_input("Digit number (0–1796)", 0, 1796, key=state.key("digit"))
        image = conv.digit(state["digit"])
    elif choice == PHOTO:
        st.radio("Photo", ["china.jpg", "flower.jpg"], key=state.key("photo"), horizontal=True)
        st.toggle("In colour (three channels)", key=state.key("rgb"))
        image = conv.photo(state["photo"], size=48, gray=not state["rgb"])
    else:
        size = st.slider("Size", 3, 12, 6, key="cx.own_size")
        start = st.session_state.get("cx.own_grid")
        if start is None or start.shape != (size, size):
            start = np.eye(size)
        edited = st.data_editor(pd.DataFrame(start), key=f"cx.own_editor.{size}", hide_index=True)
        image = edited.to_numpy(dtype=float)
        st.session_state["cx.own_grid"] = image
with right:
    if state["kernel"] == "":
        example = conv.EXAMPLES.get(choice)
        state["kernel"] = example.kernel_name if example is not None else next(iter(conv.KERNELS))
    st.selectbox("Kernel", KERNEL_CHOICES, key=state.key("kernel"))
    if state["kernel"] == OWN:
        k = st.radio("Kernel size", [3, 5, 7], horizontal=True, key="cx.own_k")
        start = st.session_state.get("cx.own_kernel")
        if start is None or start.shape != (k, k):
            start = np.zeros((k, k))
            start[k // 2, k // 2] = 1.0
        kernel = st.data_editor(pd.DataFrame(start), key=f"cx.kernel_editor.{k}", hide_index=True).to_numpy(
            dtype=float)
        st.session_state["cx.own_kernel"] = kernel
    else:
        kernel = np.asarray(conv.KERNELS[state["kernel"]], dtype=float)
        st.plotly_chart(grid_figure(kernel, title="kernel", signed=bool((kernel < 0).any())), key="cx.fig.kernel")

# ---- Settings and the output size ------------------------------------------------------------
s1, s2, s3, s4, s5 = st.columns(5)
s1.number_input("Stride", 1, 4, key=state.key("stride"))
s2.number_input("Padding", 0, 3, key=state.key("padding"))
s3.selectbox("Padding fills with", PADDING_MODES, key=state.key("mode"))
s4.number_input("Dilation", 1, 3, key=state.key("dilation"))
s5.toggle("Flip the kernel (true convolution)", key=state.key("flip"),
          help="Off: cross-correlation, what deep-learning libraries call convolution. On: the kernel is "
               "rotated by 180° first, as in the mathematical definition.")
settings = {"stride": state["stride"], "padding": state["padding"], "dilation": state["dilation"]}

gray = image if image.ndim == 2 else image.mean(axis=0)
k = kernel.shape[0]
try:
    for axis, unit, size in (("height", "row", gray.shape[0]), ("width", "column", gray.shape[1])):
        st.markdown(f"**Output {axis}:** " + conv.explain_output_size(size, k, **settings, unit=unit))
    output, steps = conv.correlate(gray, kernel, **settings, padding_mode=state["mode"], flip=state["flip"])
except ValueError as e:
    st.error(str(e))
    state.save()
    st.stop()

# ---- Step by step ----------------------------------------------------------------------------
st.subheader("Step by step")
count = len(steps)
if state["step"] > count:
    state["step"] = 1


def move(delta: int) -> None:
    state["step"] = min(max(state["step"] + delta, 1), count)


b1, b2, b3 = st.columns([1, 1, 6], vertical_alignment="bottom")
b1.button("◀ Back", on_click=move, args=(-1,), key="cx.back", width="stretch")
b2.button("Next ▶", on_click=move, args=(1,), key="cx.next", width="stretch")
b3.slider("Position", 1, count, key=state.key("step"))
step = steps[state["step"] - 1]
padded = conv.pad(gray, state["padding"], state["mode"])
reach = state["dilation"] * (k - 1) + 1
done = np.ones(output.shape, dtype=bool)
done.flat[: state["step"]] = False
c1, c2 = st.columns(2)
c1.plotly_chart(grid_figure(padded, title="input (with padding)", window=(step.top, step.left, reach, reach)),
                key="cx.fig.input")
c2.plotly_chart(grid_figure(output, title="output so far", signed=bool((output < 0).any()), blank=done),
                key="cx.fig.partial")
used = np.rot90(kernel, 2) if state["flip"] else kernel
st.plotly_chart(step_figure(step.window, used, step.products, step.total), key="cx.fig.step")
st.markdown(f"Position {state['step']} of {count}: output row {step.row}, column {step.col} = "
            f"**{step.total:g}**, the sum of the {step.products.size} products.")

st.subheader("The whole output")
st.plotly_chart(grid_figure(output, title=f"output {output.shape[0]}×{output.shape[1]}",
                            signed=bool((output < 0).any())), key="cx.fig.output")

# ---- Colour images: channels add up; a bank of filters -----------------------------------------
if image.ndim == 3:
    st.subheader("Three channels, one filter")
    st.caption("On a colour image the kernel has one slice per channel; each slice filters its own channel and "
               "the three results are added into one output map.")
    kernels = np.stack([kernel] * image.shape[0])
    total, per_channel = conv.correlate_channels(image, kernels, **settings)
    st.plotly_chart(maps_figure(np.concatenate([per_channel, total[None]]), ["red", "green", "blue", "sum"]),
                    key="cx.fig.channels")
st.subheader("A bank of filters")
bank_names = st.multiselect("Filters", list(conv.KERNELS), default=list(conv.KERNELS)[:4], key="cx.bank",
                            max_selections=8)
if bank_names:
    size = max(conv.KERNELS[n].shape[0] for n in bank_names)
    bank = np.stack([np.pad(conv.KERNELS[n], (size - conv.KERNELS[n].shape[0]) // 2) for n in bank_names])
    stack = image if image.ndim == 3 else image[None]
    maps = conv.filter_bank(stack, np.repeat(bank[:, None], stack.shape[0], axis=1), **settings)
    st.caption(f"{len(bank_names)} filters make {len(bank_names)} output channels, one map each.")
    st.plotly_chart(maps_figure(maps, bank_names), key="cx.fig.bank_maps")

# ---- Output size calculator ------------------------------------------------------------------
st.subheader("Output size: (W + 2P − F) / S + 1")


def alexnet() -> None:
    st.session_state.update({"cx.calc_w": 227, "cx.calc_f": 11, "cx.calc_s": 4, "cx.calc_p": 0})


w1, w2, w3, w4, w5 = st.columns([1, 1, 1, 1, 2], vertical_alignment="bottom")
w = w1.number_input("Input width W", 1, 4096, 32, key="cx.calc_w")
f = w2.number_input("Kernel F", 1, 64, 5, key="cx.calc_f")
s = w3.number_input("Stride S", 1, 64, 1, key="cx.calc_s")
p = w4.number_input("Padding P", 0, 64, 0, key="cx.calc_p")
w5.button("AlexNet's first layer", on_click=alexnet, key="cx.alexnet")
try:
    st.markdown(conv.explain_output_size(w, f, stride=s, padding=p))
except ValueError as e:
    st.error(str(e))

state.save()
