import streamlit as st

from playground.figures.training_lab.variants import (
    before_after_figure,
    mode_outputs_figure,
    running_statistics_figure,
    variant_curves_figure,
)
from playground.jobs import train
from playground.models import build
from playground.training_lab import batchnorm, regularization
from playground.training_lab.regularization import Variant
from playground.ui import jobs, session
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.urlstate import PageState, choice, number

ensure_navigation()

JOB = "bn.job"
PLAIN, NORMED = "without batch norm", "with batch norm"

state = PageState("bn", {
    "depth": number(6, *batchnorm.DEPTH_RANGE),
    "activation": choice("sigmoid", batchnorm.ACTIVATIONS),
    "lr": choice(0.1, batchnorm.RATES),
    "epochs": choice(10, batchnorm.EPOCH_CHOICES),
    "seed": number(0, 0, 2**31 - 1),
    "layer": number(1, 1),
    "example": number(0, 0),
})
for problem in state.restore():
    st.warning(problem)

st.title("Batch normalization")
st.caption("A batch-norm layer standardizes each unit over the current batch (mean 0, variance 1), then scales and "
           "shifts it by two learned numbers. Deep networks whose signals would shrink or saturate keep training. "
           "Below, the same network is trained with and without it, on the same digits, from the same seed.")

c1, c2, c3, c4, c5 = st.columns(5)
state.slider("depth", "Hidden layers", container=c1)
state.radio("activation", "Activation", container=c2, horizontal=True)
state.select_slider("lr", "Learning rate (SGD)", container=c3)
state.select_slider("epochs", "Epochs", container=c4)
state.number_input("seed", "Seed", container=c5)

digits = session.dataset("digits")
plain_spec = regularization.mlp_spec((64,) * state["depth"], state["activation"])
normed_spec = batchnorm.add_batchnorm(plain_spec)


def start_training() -> None:
    config = train.Config(optimizer="sgd", lr=state["lr"], epochs=state["epochs"], seed=state["seed"])
    st.session_state["bn.error"] = jobs.start_variants(
        JOB, [Variant(PLAIN, plain_spec), Variant(NORMED, normed_spec)], digits, config,
        name=f"batch norm, {state['depth']} × {state['activation']}")


st.button("Train both", key="bn.train", on_click=start_training, type="primary")
if st.session_state.get("bn.error"):
    st.error(st.session_state.pop("bn.error"))


def accuracies(tables: dict) -> dict[str, str]:
    return {f"Validation accuracy, {name}": f"{table['val_acc'].iloc[-1]:.0%}" for name, table in tables.items()}


def show_training(job) -> None:
    tables = regularization.histories(job.series("rows"))
    if not tables:
        st.caption("Starting…")
        return
    columns = st.columns(len(tables))
    shown = accuracies(tables)
    for column, (name, table) in zip(columns, tables.items()):
        label = f"Validation accuracy, {name}"
        column.metric(label, shown[label], help=f"after epoch {int(table['epoch'].iloc[-1])}")
    left, right = st.columns(2)
    chart(variant_curves_figure(tables, metric="acc"), key="bn.fig.accuracy", container=left)
    chart(variant_curves_figure(tables, metric="loss"), key="bn.fig.loss", container=right)


jobs.job_panel(JOB, show_training, live=jobs.variants_board(
    JOB, accuracies, [f"Validation accuracy, {name}" for name in (PLAIN, NORMED)]))

# ---- Inside the batch-norm layers -------------------------------------------------------------
st.subheader("Inside the batch-norm layers")
trained = jobs.variant_models(JOB)
model = trained.get(NORMED)
if model is None:
    model = build(normed_spec).eval()
    st.caption("This is the untrained network (train it above to see the trained one): its running mean starts at "
               "0 and its running variance at 1, far from what the batches really hold.")
else:
    st.caption("This is the trained network with batch norm.")
count = len(batchnorm.norm_layers(model))
batch = digits.x_test[:128]
st.markdown("**Before and after normalization** (a batch of 128 test digits, train mode): each layer's values "
            "come in with their own centre and spread and leave centred on 0 with spread about 1, then are "
            "scaled and shifted by the layer's two learned numbers.")
chart(before_after_figure(batchnorm.normalization_values(model, batch)), key="bn.fig.before_after")

st.markdown("**Train mode vs eval mode.** In training, a batch-norm layer uses the mean and variance of the batch "
            "in front of it and updates running averages of them. In eval mode it uses those running averages, "
            "so an example's answer no longer depends on which other examples share its batch.")
if state["layer"] > count:  # fewer layers than the link or the last run asked for
    state["layer"] = count
state.slider("layer", "Batch-norm layer", high=count)
stats = batchnorm.batch_statistics(model, batch, layer=state["layer"])
chart(running_statistics_figure(stats), key="bn.fig.running")
gap = batchnorm.mean_gap(stats)
st.caption(f"Layer {state['layer']}: on average a unit's batch mean is {gap:.3g} away from its running mean "
           "(first 16 units drawn).")

total = len(digits.x_test)
state.number_input("example", f"Test digit (0–{total - 1})", high=total - 1)
example = state["example"]
outputs = batchnorm.mode_outputs(model, digits.x_test[example], digits.x_test[200:231], digits.x_test[300:331])
chart(mode_outputs_figure(outputs, digits.classes), key="bn.fig.modes")
spread = outputs.batch_effect
st.caption(f"Test digit {example} is a {digits.classes[int(digits.y_test[example])]}. In train mode its predicted "
           f"probabilities change by up to {spread:.1%} when its 31 batch-mates change; in eval mode they are fixed.")
state.save()
