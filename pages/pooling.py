import numpy as np
import pandas as pd
import streamlit as st

from playground import conv
from playground.figures.conv import grid_figure
from playground.ui.boot import ensure_navigation
from playground.ui.urlstate import Field, PageState

ensure_navigation()

state = PageState("pool", {
    "mode": Field("max", check=lambda v: v in ("max", "avg")),
    "kernel": Field(2, int, check=lambda v: 1 <= v <= 4),
    "stride": Field(2, int, check=lambda v: 1 <= v <= 4),
    "step": Field(1, int, check=lambda v: v >= 1),
    "digit": Field(0, int, check=lambda v: 0 <= v < 1797),
    "inputs": Field(7, int, check=lambda v: 2 <= v <= 64),
    "window": Field(3, int, check=lambda v: 1 <= v <= 64),
    "hop": Field(2, int, check=lambda v: 1 <= v <= 8),
    "fh": Field(7, int, check=lambda v: 1 <= v <= 15),
    "fc": Field(3, int, check=lambda v: 1 <= v <= 512),
    "fk": Field(64, int, check=lambda v: 1 <= v <= 1024),
})
for problem in state.restore():
    st.warning(problem)

st.title("Pooling & parameters")

# ---- Pooling, step by step -------------------------------------------------------------------
st.subheader("Pooling, step by step")
st.caption("Pooling shrinks a feature map by summarising each window: its largest value (max) or its mean "
           "(average). It has no weights to learn.")
c1, c2, c3, c4 = st.columns(4)
c1.radio("Keep", ["max", "avg"], key=state.key("mode"), horizontal=True,
         format_func={"max": "the maximum", "avg": "the average"}.get)
c2.number_input("Window", 1, 4, key=state.key("kernel"))
c3.number_input("Stride", 1, 4, key=state.key("stride"))
c4.number_input("Digit (0–1796)", 0, 1796, key=state.key("digit"))
image = conv.digit(state["digit"])
try:
    output, steps = conv.pool(image, state["kernel"], state["stride"], mode=state["mode"])
except ValueError as e:
    st.error(str(e))
    state.save()
    st.stop()
if state["step"] > len(steps):
    state["step"] = 1


def move(delta: int) -> None:
    state["step"] = min(max(state["step"] + delta, 1), len(steps))


b1, b2, b3 = st.columns([1, 1, 6], vertical_alignment="bottom")
b1.button("◀ Back", on_click=move, args=(-1,), key="pool.back", width="stretch")
b2.button("Next ▶", on_click=move, args=(1,), key="pool.next", width="stretch")
b3.slider("Position", 1, len(steps), key=state.key("step"))
step = steps[state["step"] - 1]
done = np.ones(output.shape, dtype=bool)
done.flat[: state["step"]] = False
k = state["kernel"]
left, right = st.columns(2)
left.plotly_chart(grid_figure(image, title=f"input {image.shape[0]}×{image.shape[1]}",
                              window=(step.top, step.left, k, k)), key="pool.fig.input")
right.plotly_chart(grid_figure(output, title=f"output {output.shape[0]}×{output.shape[1]}", blank=done),
                   key="pool.fig.output")
what = "largest" if state["mode"] == "max" else "mean"
st.markdown(f"Position {state['step']} of {len(steps)}: the window holds "
            f"{', '.join(f'{v:g}' for v in np.asarray(step.window).ravel())}; its {what} is **{step.total:g}**.")

# ---- Counting parameters -----------------------------------------------------------------------
st.subheader("Why convolutions need so few weights")
st.caption("The same layer wired three ways on a row of inputs: every hidden unit sees every input (fully "
           "connected); each sees only its own window, with weights of its own (locally connected); or all "
           "windows share one set of weights (a convolution). Biases are left out, as in the usual count.")
p1, p2, p3 = st.columns(3)
p1.number_input("Inputs", 2, 64, key=state.key("inputs"))
p2.number_input("Window", 1, 64, key=state.key("window"))
p3.number_input("Stride", 1, 8, key=state.key("hop"))
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
f1.number_input("Filter size (height = width)", 1, 15, key=state.key("fh"))
f2.number_input("Input channels", 1, 512, key=state.key("fc"))
f3.number_input("Filters", 1, 1024, key=state.key("fk"))
size, channels, filters = state["fh"], state["fc"], state["fk"]
total = conv.filter_bank_params(size, size, channels, filters)
st.markdown(f"{filters} filters of {size}×{size}×{channels}: {filters} × ({size}·{size}·{channels} weights + 1 bias) "
            f"= **{total:,} parameters**, however large the image.")
state.save()
