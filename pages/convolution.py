import streamlit as st

from playground.cnn_lab import conv
from playground.figures.cnn_lab.conv import grid_figure, maps_figure, step_figure
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.stepper import grid_editor, step_through
from playground.ui.urlstate import PageState, choice, flag, number

ensure_navigation()

state = PageState("cx", {
    "input": choice(conv.INPUTS[0], conv.INPUTS),
    "kernel": choice(conv.FOR_THE_INPUT, (conv.FOR_THE_INPUT, *conv.KERNEL_CHOICES)),
    "stride": number(1, 1, 4),
    "padding": number(0, 0, 3),
    "mode": choice("zeros", conv.PADDING_MODES),
    "dilation": number(1, 1, 3),
    "flip": flag(False),
    "step": number(1, 1),
    "digit": number(0, 0, conv.DIGIT_COUNT - 1),
    "photo": choice(conv.PHOTOS[0], conv.PHOTOS),
    "rgb": flag(False),
    "size": number(6, 3, 12),
    "ksize": choice(3, (3, 5, 7)),
    "w": number(32, 1, 4096), "f": number(5, 1, 64), "s": number(1, 1, 64), "p": number(0, 0, 64),
})
for problem in state.restore():
    st.warning(problem)

st.title("Convolution explorer")
st.caption("A convolution slides a small grid of weights (the kernel) over the image; at each position it "
           "multiplies the numbers under it by the weights and adds them up. Step through it, then change "
           "the kernel, the stride or the padding and see what comes out.")


def on_input_change() -> None:
    state["kernel"] = conv.kernel_for(state["input"])
    state["step"] = 1


# ---- The input and the kernel ------------------------------------------------------------------
if state["kernel"] == conv.FOR_THE_INPUT:  # a fresh page or a link without a kernel
    state["kernel"] = conv.kernel_for(state["input"])
left, right = st.columns(2)
with left:
    source = state.selectbox("input", "Input", on_change=on_input_change)
    if source in conv.EXAMPLES:
        image = conv.EXAMPLES[source].image
        st.caption(conv.EXAMPLES[source].description)
    elif source == conv.DIGIT_INPUT:
        image = conv.digit(state.number_input("digit", f"Digit number (0–{conv.DIGIT_COUNT - 1})"))
    elif source == conv.PHOTO_INPUT:
        state.radio("photo", "Photo", horizontal=True)
        state.toggle("rgb", "In colour (three channels)")
        image = conv.photo(state["photo"], size=48, gray=not state["rgb"])
    else:
        size = state.slider("size", "Size")
        image = grid_editor("cx.own_grid", conv.diagonal_image(size))
        st.caption("Type numbers into the cells; an emptied cell counts as 0.")
with right:
    kernel_name = state.selectbox("kernel", "Kernel", options=conv.KERNEL_CHOICES)
    if kernel_name == conv.OWN:
        k = state.radio("ksize", "Kernel size", horizontal=True)
        kernel = grid_editor("cx.own_kernel", conv.centre_kernel(k))
    else:
        kernel = conv.KERNELS[kernel_name]
        st.caption(conv.KERNEL_DESCRIPTIONS[kernel_name])
        chart(grid_figure(kernel, title="kernel", signed=None), key="cx.fig.kernel")

# ---- Settings and the output size ------------------------------------------------------------
s1, s2, s3, s4, s5 = st.columns(5)
state.number_input("stride", "Stride", container=s1)
state.number_input("padding", "Padding", container=s2)
state.selectbox("mode", "Padding fills with", container=s3)
state.number_input("dilation", "Dilation", container=s4)
state.toggle("flip", "Flip the kernel (true convolution)", container=s5,
             help="Off: cross-correlation, what deep-learning libraries call convolution. On: the kernel is "
                  "rotated by 180° first, as in the mathematical definition.")
settings = {"stride": state["stride"], "padding": state["padding"], "dilation": state["dilation"]}

gray = conv.grayscale(image)
for axis, unit, length, taps in (("height", "row", gray.shape[0], kernel.shape[0]),
                                 ("width", "column", gray.shape[1], kernel.shape[1])):
    st.markdown(f"**Output {axis}:** " + conv.explain_output_size(length, taps, **settings, unit=unit))
try:
    walk = conv.walk(image, kernel, **settings, padding_mode=state["mode"], flip=state["flip"])
except ValueError as e:
    walk = None
    st.error(str(e), icon=":material/block:")

# ---- Step by step ----------------------------------------------------------------------------
if walk is not None:
    st.subheader("Step by step")
    count = len(walk.steps)
    at = step_through(state, "step", count, key="cx", single="The kernel fits in only one position, so the "
                      "output is a single number.")
    step = walk.steps[at - 1]
    c1, c2 = st.columns(2)
    chart(grid_figure(walk.padded, title="input (with padding)", window=walk.window(at)),
          key="cx.fig.input", container=c1)
    chart(grid_figure(walk.output, title="output so far", signed=None, blank=walk.not_yet(at)),
          key="cx.fig.partial", container=c2)
    chart(step_figure(step.window, walk.kernel, step.products, step.total), key="cx.fig.step")
    st.markdown(f"Position {at} of {count}: output row {step.row}, column {step.col} = "
                f"**{step.total:,g}**, the sum of the {step.products.size} products.")
    st.subheader("The whole output")
    chart(grid_figure(walk.output, title=f"output {walk.output.shape[0]}×{walk.output.shape[1]}",
                      signed=None), key="cx.fig.output")

    # ---- Colour images: channels add up; a bank of filters -------------------------------------
    if image.ndim == 3:
        st.subheader("Three channels, one filter")
        st.caption("On a colour image the kernel has one slice per channel; each slice filters its own channel "
                   "and the three results are added into one output map.")
        chart(maps_figure(conv.channel_maps(image, kernel, **settings), ["red", "green", "blue", "sum"]),
              key="cx.fig.channels")
    st.subheader("A bank of filters")
    bank_names = st.multiselect("Filters", list(conv.KERNELS), default=list(conv.KERNELS)[:4], key="cx.bank",
                                max_selections=8)
    if bank_names:
        try:
            maps = conv.bank_maps(image, bank_names, **settings)
            st.caption(f"{len(bank_names)} filters make {len(bank_names)} output channels, one map each.")
            chart(maps_figure(maps, bank_names), key="cx.fig.bank_maps")
        except ValueError as e:
            st.error(f"The bank: {e}", icon=":material/block:")

# ---- Output size calculator ------------------------------------------------------------------
st.subheader("Output size: (W + 2P − F) / S + 1")


def alexnet() -> None:
    for name, value in {"w": 227, "f": 11, "s": 4, "p": 0}.items():
        state[name] = value


w1, w2, w3, w4, w5 = st.columns([1, 1, 1, 1, 2], vertical_alignment="bottom")
for column, name, label in ((w1, "w", "Input width W"), (w2, "f", "Kernel F"), (w3, "s", "Stride S"),
                            (w4, "p", "Padding P")):
    state.number_input(name, label, container=column)
w5.button("AlexNet's first layer", on_click=alexnet, key="cx.alexnet")
st.markdown(conv.explain_output_size(state["w"], state["f"], stride=state["s"], padding=state["p"]))

state.save()
