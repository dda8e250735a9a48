import streamlit as st
from safetensors.torch import save

from playground import figures, models
from playground.figures.training_lab.race import (
    layer_distributions_figure,
    layer_norms_figure,
    norms_over_training_figure,
)
from playground.jobs import train
from playground.training_lab import initialization
from playground.ui import jobs, session
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.urlstate import PageState, choice, number

ensure_navigation()

JOB = "init.job"
# Columns that can be vanishingly small, in scientific notation (1.20e-17, never 0.0000…); weights' spreads read as is.
SCIENTIFIC = {column: st.column_config.NumberColumn(format="%.2e") for column in initialization.SMALL_COLUMNS}


@st.cache_resource(show_spinner=False)
def standardized_digits():
    return initialization.standardize(session.dataset("digits"))


state = PageState("init", {
    "depth": number(10, *initialization.DEPTH_RANGE),
    "width": choice(64, initialization.WIDTHS),
    "activation": choice("relu", initialization.ACTIVATIONS),
    "scheme": choice("he", initialization.INITS),
    "seed": number(0, 0, 2**31 - 1),
    "epochs": choice(8, initialization.EPOCH_CHOICES),
    "lr": choice(0.02, initialization.LEARNING_RATES),
})
for problem in state.restore():
    st.warning(problem)

st.title("Initialization and vanishing gradients")
st.caption("Before any training, the starting weights decide whether a signal survives the trip through a deep "
           "network: too small and it fades layer by layer, too large and it blows up or saturates. Xavier "
           "(Glorot) and He (Kaiming) scale each layer's weights to its width to keep the spread steady.")

c1, c2, c3, c4 = st.columns(4)
state.slider("depth", "Hidden layers", container=c1)
state.select_slider("width", "Width", container=c2)
state.radio("activation", "Activation", container=c3, horizontal=True)
state.number_input("seed", "Seed", container=c4)
state.radio("scheme", "Initialization", horizontal=True, format_func=lambda s: s.replace("_", " "))
st.caption(initialization.DESCRIPTIONS[state["scheme"]])

digits = standardized_digits()  # standardized pixels, as a network's inputs usually are
x = digits.x_train[:initialization.SNAPSHOT_EXAMPLES]
y = digits.y_train[:initialization.SNAPSHOT_EXAMPLES]
spec = initialization.deep_mlp_spec(state["depth"], state["width"], state["activation"], input_shape=(1, 8, 8))
model = models.build(spec)
initialization.initialize(model, state["scheme"], seed=state["seed"])
table = initialization.layer_statistics(model, x, y)

first, last, gradient_ratio = initialization.spread_and_gradients(table, state["depth"])
change, arrow = initialization.describe_change(first, last)
m1, m2, m3 = st.columns(3)
m1.metric("Activation spread, first hidden layer", f"{first:.3g}")
m2.metric(f"… last hidden layer ({state['depth']})", f"{last:.3g}", delta=change, delta_color="off",
          delta_arrow=arrow, delta_description="than the first layer's spread" if change else None)
m3.metric("Gradient norm, first layer ÷ output layer",
          f"{gradient_ratio:.2g}" if gradient_ratio == gradient_ratio else "—")

left, right = st.columns(2)
chart(layer_distributions_figure(initialization.activation_values(model, x),
                                 title="Activations, layer by layer", value_title="activation"),
      key="init.fig.activations", container=left)
chart(layer_distributions_figure(initialization.gradient_values(model, x, y),
                                 title="Weight gradients, layer by layer", value_title="gradient"),
      key="init.fig.gradients", container=right)
chart(layer_norms_figure(table, column="grad_norm", title="Gradient norm of each layer's weights"),
      key="init.fig.norms")
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "saturated": st.column_config.NumberColumn("saturated or dead", format="percent"),
    "weight_std": st.column_config.NumberColumn(format="%.3g"), **SCIENTIFIC})
st.caption("Try sigmoid with small normal weights: the gradient shrinks at every layer on its way back, so the "
           "first layers hardly learn. Then ReLU with He: the spread stays about the same at every depth.")

st.subheader("As training proceeds")
st.caption("Train this network for a few epochs on the digits (SGD with momentum) and watch the same charts "
           "change, measured on the same 256 examples after every epoch. With sigmoid and small normal weights "
           "the gradients stay tiny and accuracy stays at chance (10 %); ReLU with He learns within a few epochs.")
t1, t2 = st.columns(2)
state.select_slider("epochs", "Epochs", container=t1)
state.select_slider("lr", "Learning rate", container=t2)


def start_training() -> None:
    spec = initialization.deep_mlp_spec(state["depth"], state["width"], state["activation"], input_shape=(1, 8, 8))
    start = initialization.initialize(models.build(spec), state["scheme"], seed=state["seed"])
    weights = save({k: v.contiguous() for k, v in start.state_dict().items()})
    name = f"{state['depth']} × {state['activation']}, {state['scheme'].replace('_', ' ')}"
    config = train.Config(optimizer="momentum", lr=state["lr"], epochs=state["epochs"], seed=state["seed"])
    st.session_state["init.error"] = jobs.start_job(JOB, spec, session.dataset("digits"), config,
                                                    trainer="layer_snapshots", init_weights=weights,
                                                    options={"standardize": True}, name=name)


st.button("Train a few epochs", key="init.train", on_click=start_training, type="primary")
if st.session_state.get("init.error"):
    st.error(st.session_state.pop("init.error"))


def show_training(job) -> None:
    snapshots = job.series("snapshots")
    if not snapshots:
        st.caption("Measuring the untrained network…")
        return
    if job.finished and len(snapshots) > 1:
        last = snapshots[-1]["epoch"]
        epoch = st.slider("Show the layers after epoch", 0, last, value=last, key=f"init.epoch.{job.id}")
        snap = next(s for s in snapshots if s["epoch"] == epoch)
    else:
        snap = snapshots[-1]
    history = job.history
    row = history[history["epoch"] == snap["epoch"]]
    table = initialization.snapshot_table(snap)
    s1, s2, s3 = st.columns(3)
    s1.metric("Epoch shown", snap["epoch"])
    s2.metric("Validation accuracy then", f"{row['val_acc'].iloc[0]:.0%}" if len(row) else "—")
    s3.metric("Gradient norm, first layer then", f"{table['grad_norm'].iloc[0]:.2g}")
    a, b = st.columns(2)
    chart(layer_distributions_figure(snap["activations"], title=f"Activations after epoch {snap['epoch']}",
                                     value_title="activation"), key="init.fig.train.activations", container=a)
    chart(layer_distributions_figure(snap["gradients"], title=f"Weight gradients after epoch {snap['epoch']}",
                                     value_title="gradient"), key="init.fig.train.gradients", container=b)
    c, d = st.columns(2)
    chart(norms_over_training_figure(initialization.norms_over_training(snapshots),
                                     title="Each layer's gradient norm, epoch by epoch",
                                     current=snap["epoch"]), key="init.fig.train.norms", container=c)
    chart(figures.curves_figure(history), key="init.fig.train.curves", container=d)


jobs.job_panel(JOB, show_training)
state.save()
