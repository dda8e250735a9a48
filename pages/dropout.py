import streamlit as st

from playground.figures.training_lab.variants import (
    averaging_figure,
    boundaries_figure,
    dropout_mask_figure,
    variant_curves_figure,
)
from playground.jobs import train
from playground.models import build
from playground.training_lab import dropout, regularization
from playground.training_lab.regularization import Variant
from playground.ui import jobs, session
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.urlstate import PageState, choice, number

ensure_navigation()

JOB = "do.job"
PLAIN, DROPPED = "without dropout", "with dropout"
DATA = {"n": 200, "noise": 0.4}  # 100 noisy points to train on: a wide network memorizes them

state = PageState("do", {
    "p": choice(0.5, dropout.RATES),
    "epochs": choice(100, dropout.EPOCH_CHOICES),
    "seed": number(0, 0, 2**31 - 1),
    "point": number(0, 0),
    "passes": number(200, *dropout.PASSES_RANGE, step=10),
})
for problem in state.restore():
    st.warning(problem)

st.title("Dropout")
st.caption("While training, dropout switches off each hidden unit at random (with probability p) and scales up "
           "the rest, so no unit can rely on any other being there. At test time every unit is on. Below, the "
           "same network (two hidden layers of 128 ReLU units) is trained with and without dropout on 100 noisy "
           "XOR points: few enough to memorize, noise included.")

c1, c2, c3 = st.columns(3)
state.select_slider("p", "Dropout probability p", container=c1)
state.select_slider("epochs", "Epochs", container=c2)
state.number_input("seed", "Seed", container=c3)

data = session.dataset("xor", params=DATA)
plain_spec = regularization.mlp_spec((128, 128), input_shape=(2,), outputs=2)
dropped_spec = dropout.add_dropout(plain_spec, state["p"])


def start_training() -> None:
    config = train.Config(optimizer="adam", lr=0.01, batch_size=16, epochs=state["epochs"], seed=state["seed"])
    st.session_state["do.error"] = jobs.start_variants(
        JOB, [Variant(PLAIN, plain_spec), Variant(DROPPED, dropped_spec)], data, config,
        name=f"dropout p={state['p']}")


st.button("Train both", key="do.train", on_click=start_training, type="primary")
if st.session_state.get("do.error"):
    st.error(st.session_state.pop("do.error"))


def gaps(tables: dict) -> dict[str, str]:
    return {f"Training − validation accuracy, {name}": f"{dropout.gap(table):.1%}" for name, table in tables.items()}


def show_training(job) -> None:
    tables = regularization.histories(job.series("rows"))
    if not tables:
        st.caption("Starting…")
        return
    columns = st.columns(len(tables))
    for column, (label, text) in zip(columns, gaps(tables).items()):
        column.metric(label, text, help="the gap between seen and new examples, over the last 5 epochs")
    left, right = st.columns(2)
    chart(variant_curves_figure(tables, metric="acc"), key="do.fig.accuracy", container=left)
    chart(variant_curves_figure(tables, metric="loss"), key="do.fig.loss", container=right)


jobs.job_panel(JOB, show_training, live=jobs.variants_board(
    JOB, gaps, [f"Training − validation accuracy, {name}" for name in (PLAIN, DROPPED)], caption=None))
st.caption("Dashed lines: training set (measured with every unit on); solid: validation. Without dropout the "
           "network learns the noise too: near-perfect on its training points, worse on new ones. Dropout keeps "
           "the two closer.")

trained = jobs.variant_models(JOB)
if trained:
    grids = {name: dropout.probability_grid(model) for name, model in trained.items()}
    chart(boundaries_figure(grids, data.x_train.numpy(), data.y_train.numpy()), key="do.fig.boundaries")
    st.caption("What each network learned: without dropout the boundary bends around single noisy points.")

# ---- One input, one mask ----------------------------------------------------------------------
st.subheader("One input, one random mask")
model = trained.get(DROPPED)
if model is None:
    model = build(dropped_spec).eval()
    st.caption("Untrained network with dropout (train it above to use the trained one).")
if "do.mask_seed" not in st.session_state:
    st.session_state["do.mask_seed"] = 0


def new_mask() -> None:
    st.session_state["do.mask_seed"] += 1


count = len(data.x_test)
m1, m2 = st.columns([2, 1])
state.slider("point", "Test point", high=count - 1, container=m1)
m2.button("🎲 Draw a new mask", key="do.resample", on_click=new_mask)
point = data.x_test[state["point"]]
masks = dropout.dropout_masks(model, point, seed=st.session_state["do.mask_seed"])
off, units = dropout.switched_off(masks)
st.markdown(f"Point ({point[0]:.2f}, {point[1]:.2f}), mask number {st.session_state['do.mask_seed'] + 1}: "
            f"**{off} of {units}** hidden units switched off (p = {state['p']}).")
chart(dropout_mask_figure(masks), key="do.fig.mask")

# ---- Dropout as averaging ---------------------------------------------------------------------
st.subheader("Dropout as averaging many networks")
st.caption("Each mask picks a thinned network. Running the same input through many of them (train mode) gives "
           "many predictions; eval mode runs the full network once, every unit on and nothing rescaled, which "
           "gives about their average. That works because PyTorch scales in training instead (inverted dropout): "
           "each unit a mask keeps is multiplied by 1/(1 − p), so a unit's expected output is the same in both modes.")
state.slider("passes", "Train-mode passes")
averaging = dropout.average_predictions(model, point, passes=state["passes"], seed=st.session_state["do.mask_seed"])
a1, a2 = st.columns(2)
a1.metric("Spread of P(orange) over the passes", f"±{averaging.spread[1]:.1%}", help="standard deviation")
a2.metric("Mean of the passes vs eval mode", f"{averaging.difference:.1%} apart",
          help="largest difference over the classes")
chart(averaging_figure(averaging, data.classes), key="do.fig.averaging")
state.save()
