import streamlit as st

from playground import initialization, models
from playground.figures.training_lab import layer_distributions_figure, layer_norms_figure
from playground.ui import session
from playground.ui.boot import ensure_navigation
from playground.ui.urlstate import Field, PageState

ensure_navigation()

ACTIVATIONS = ["relu", "tanh", "sigmoid"]

state = PageState("init", {
    "depth": Field(10, int, check=lambda v: 2 <= v <= 20),
    "width": Field(64, int, check=lambda v: v in (16, 32, 64, 128, 256)),
    "activation": Field("relu", check=lambda v: v in ACTIVATIONS),
    "scheme": Field("he", check=lambda v: v in initialization.INITS),
    "seed": Field(0, int, check=lambda v: v >= 0),
})
for problem in state.restore():
    st.warning(problem)

st.title("Initialization and vanishing gradients")
st.caption("Before any training, the starting weights decide whether a signal survives the trip through a deep "
           "network: too small and it fades layer by layer, too large and it blows up or saturates. Xavier "
           "(Glorot) and He (Kaiming) scale each layer's weights to its width to keep the spread steady.")

c1, c2, c3, c4 = st.columns(4)
c1.slider("Hidden layers", 2, 20, key=state.key("depth"))
c2.select_slider("Width", [16, 32, 64, 128, 256], key=state.key("width"))
c3.radio("Activation", ACTIVATIONS, key=state.key("activation"), horizontal=True)
c4.number_input("Seed", 0, 2**31 - 1, key=state.key("seed"))
st.radio("Initialization", list(initialization.INITS), key=state.key("scheme"), horizontal=True,
         format_func=lambda s: s.replace("_", " "))
st.caption(initialization.DESCRIPTIONS[state["scheme"]])

digits = session.dataset("digits")
x = digits.x_train[:256].flatten(1)
x = (x - x.mean(0)) / (x.std(0) + 1e-6)  # standardized pixels, as a network's inputs usually are
y = digits.y_train[:256]
spec = initialization.deep_mlp_spec(state["depth"], state["width"], state["activation"], inputs=64, outputs=10)
model = models.build(spec)
initialization.initialize(model, state["scheme"], seed=state["seed"])
table = initialization.layer_statistics(model, x, y)

hidden = table[table["layer"] <= state["depth"]]  # the last row is the output layer's logits
first, last = hidden["activation_std"].iloc[0], hidden["activation_std"].iloc[-1]
ratio = last / first if first else float("nan")
m1, m2, m3 = st.columns(3)
m1.metric("Activation spread, first hidden layer", f"{first:.3g}")
m2.metric(f"… last hidden layer ({state['depth']})", f"{last:.3g}", delta=f"×{ratio:.2g}" if ratio == ratio else None,
          delta_color="off")
g_first, g_last = table["grad_norm"].iloc[0], table["grad_norm"].iloc[-1]
m3.metric("Gradient norm, first layer ÷ output layer", f"{g_first / g_last:.2g}" if g_last else "—")

left, right = st.columns(2)
left.plotly_chart(layer_distributions_figure(initialization.activation_values(model, x),
                                             title="Activations, layer by layer", value_title="activation"),
                  key="init.fig.activations")
right.plotly_chart(layer_distributions_figure(initialization.gradient_values(model, x, y),
                                              title="Weight gradients, layer by layer", value_title="gradient"),
                   key="init.fig.gradients")
st.plotly_chart(layer_norms_figure(table, column="grad_norm", title="Gradient norm of each layer's weights"),
                key="init.fig.norms")
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "saturated": st.column_config.NumberColumn("saturated or dead", format="percent")})
st.caption("Try sigmoid with small normal weights: the gradient shrinks at every layer on its way back, so the "
           "first layers hardly learn. Then ReLU with He: the spread stays about the same at every depth.")
state.save()
