import pandas as pd
import streamlit as st

from playground.cnn_lab import conv
from playground.figures.cnn_lab.conv import grid_figure
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.stepper import step_through
from playground.ui.urlstate import PageState, choice, number

ensure_navigation()

state = PageState("pool", {
    "mode": choice("max", conv.POOL_MODES),
    "kernel": number(2, 1, 4),
    "stride": number(2, 1, 4),
    "step": number(1, 1),
    "digit": number(0, 0, conv.DIGIT_COUNT - 1),
    "inputs": number(7, 2, 64),
    "window": number(3, 1, 64),
    "hop": number(2, 1, 8),
    "fh": number(7, 1, 15),
    "fc": number(3, 1, 512),
    "fk": number(64, 1, 1024),
})
for problem in state.restore():
    st.warning(problem)

st.title("Pooling & parameters")

# ---- Pooling, step by step -------------------------------------------------------------------
st.subheader("Pooling, step by step")
st.caption("Pooling shrinks a feature map by summarising each window: its largest value (max) or its mean "
           "(average). It has no weights to learn.")
c1, c2, c3, c4 = st.columns(4)
state.radio("mode", "Keep", container=c1, horizontal=True,
            format_func={"max": "the maximum", "avg": "the average"}.get)
state.number_input("kernel", "Window", container=c2)
state.number_input("stride", "Stride", container=c3)
state.number_input("digit", f"Digit (0–{conv.DIGIT_COUNT - 1})", container=c4)
image = conv.digit(state["digit"])
try:
    output, steps = conv.pool(image, state["kernel"], state["stride"], mode=state["mode"])
except ValueError as e:
    st.error(str(e))
    state.save()
    st.stop()
at = step_through(state, "step", len(steps), key="pool", single="The window covers the whole image: one output.")
step = steps[at - 1]
k = state["kernel"]
left, right = st.columns(2)
chart(grid_figure(image, title=f"input {image.shape[0]}×{image.shape[1]}",
                  window=(step.top, step.left, k, k)), key="pool.fig.input", container=left)
chart(grid_figure(output, title=f"output {output.shape[0]}×{output.shape[1]}",
                  blank=conv.pooled_not_yet(output, at)), key="pool.fig.output", container=right)
what = "largest" if state["mode"] == "max" else "mean"
st.markdown(f"Position {at} of {len(steps)}: the window holds "
            f"{', '.join(f'{v:g}' for v in step.window.ravel())}; its {what} is **{step.total:g}**.")

# ---- Counting parameters -----------------------------------------------------------------------
st.subheader("Why convolutions need so few weights")
st.caption("The same layer wired three ways on a row of inputs: every hidden unit sees every input (fully "
           "connected); each sees only its own window, with weights of its own (locally connected); or all "
           "windows share one set of weights (a convolution). Biases are left out, as in the usual count.")
p1, p2, p3 = st.columns(3)
state.number_input("inputs", "Inputs", container=p1)
state.number_input("window", "Window", container=p2)
state.number_input("hop", "Stride", container=p3)
try:
    counts = conv.connectivity_params(state["inputs"], state["window"], state["hop"])
    hidden = conv.output_size(state["inputs"], state["window"], state["hop"])
    st.markdown(f"{state['inputs']} inputs, windows of {state['window']} every {state['hop']}: "
                f"**{hidden} hidden units**.")
    st.dataframe(pd.DataFrame({"wiring": list(counts), "weights": list(counts.values())}), hide_index=True)
except ValueError as e:
    st.error(str(e))

st.subheader("A bank of filters")
f1, f2, f3 = st.columns(3)
state.number_input("fh", "Filter size (height = width)", container=f1)
state.number_input("fc", "Input channels", container=f2)
state.number_input("fk", "Filters", container=f3)
size, channels, filters = state["fh"], state["fc"], state["fk"]
total = conv.filter_bank_params(size, size, channels, filters)
st.markdown(f"{filters} filters of {size}×{size}×{channels}: {filters} × ({size}·{size}·{channels} weights + 1 bias) "
            f"= **{total:,} parameters**, however large the image.")
state.save()
