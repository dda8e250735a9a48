import streamlit as st

from playground.basics import playground2d as p2
from playground.basics.tinynet import ACTIVATIONS, LOSSES, OPTIMIZERS
from playground.data import DATASETS
from playground.jobs import train
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import memo
from playground.ui.jobs import current_job
from playground.ui.playground2d_run import JOB, RUN_EPOCHS, PlaygroundRun
from playground.ui.playground2d_view import Board, click_controls, weight_editor
from playground.ui.transport import transport
from playground.ui.urlstate import Field, PageState, choice, flag, json_field, number

ensure_navigation()

fields = {
    "data": choice("circle", p2.DATASETS),
    "noise": number(0, 0, 50, step=5),
    "train_pct": number(50, 10, 90, step=10),
    "batch": number(10, 1, 30),
    "show_test": flag(False),
    "seed": number(0, 0, 2**31 - 1),
    "features": Field(["x1", "x2"], parse=lambda t: t.split(","), format=",".join,
                      check=lambda v: isinstance(v, list) and all(f in p2.FEATURES for f in v)),
    "depth": number(2, 0, p2.MAX_HIDDEN_LAYERS),
    "advanced": flag(False),
    "lr": choice(0.03, p2.LEARNING_RATES),
    "optimizer": choice("sgd", OPTIMIZERS),
    "loss": choice("cross_entropy", LOSSES),
    "reg": choice("none", p2.REGULARIZATIONS),
    "rate": choice(0.0, p2.REG_RATES),
    "speed": choice(0, p2.SPEEDS),
    "points": json_field({"added": [], "removed": []}, check=lambda v: p2.PointEdits.from_dict(v) is not None),
}
for i in range(1, p2.MAX_HIDDEN_LAYERS + 1):
    fields[f"n{i}"] = number(4 if i == 1 else 2, 1, p2.MAX_NEURONS_ADVANCED)
    fields[f"a{i}"] = choice("tanh", ACTIVATIONS)
state = PageState("pg", fields)
for problem in state.restore():
    st.warning(problem)
name = p2.NAMES.get

st.title("2-D Playground")
st.caption("A small network learns to tell blue points from orange ones (or a regression set's values). "
           "Each small picture is one neuron's output over the plane. Press Play.")

bar = st.columns([3, 1.6, 1.4, 1.6], vertical_alignment="bottom")
controls = bar[0].container()  # Reset, Play and Step, drawn once the run is known
state.select_slider("speed", "Speed (epochs a second)", container=bar[1],
                    format_func=lambda v: "full" if v == 0 else str(v),
                    help="Slow motion: at most this many epochs a second, to watch each one move the boundary.")
state.select_slider("lr", "Learning rate", container=bar[2])
state.selectbox("data", "Dataset", container=bar[3], format_func=name)
task = DATASETS[state["data"]].task
if task == "regression":
    state["loss"] = "mse"  # the only loss for numbers

net_col, out_col = st.columns([1.25, 1])
st.markdown("**Data and training**")
more = st.columns(9, vertical_alignment="bottom")
state.slider("train_pct", "Training data (%)", container=more[0])
state.slider("noise", "Noise (%)", container=more[1])
state.slider("batch", "Batch size", container=more[2])
state.number_input("seed", "Seed", container=more[3], help="The seed of the data and of the first weights")
state.checkbox("show_test", "Show test data", container=more[4])
state.selectbox("optimizer", "Optimizer", container=more[5], format_func=name)
state.selectbox("loss", "Loss", container=more[6], format_func=name,
                options=LOSSES if task == "classification" else ["mse"],
                help="Cross-entropy scores the predicted probability of the right class; squared error the "
                     "distance of the output from the label (0 or 1) or value.")
state.selectbox("reg", "Regularization", container=more[7], format_func=name,
                help="L1 adds rate·Σ|w| to the loss (pushes weights to exactly 0), L2 adds ½·rate·Σw² "
                     "(keeps all weights small). Biases are not penalized.")
state.select_slider("rate", "Reg. rate", container=more[8], disabled=state["reg"] == "none")
with net_col:
    diagram = st.container()  # the network's picture, above the controls that shape it
    state.pills("features", "Inputs", options=list(p2.FEATURES), selection_mode="multi",
                format_func=lambda f: p2.FEATURES[f][0])
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    state.number_input("depth", "Hidden layers", container=c1)
    state.toggle("advanced", f"Up to {p2.MAX_NEURONS_ADVANCED} neurons a layer", container=c2)
    limit = p2.MAX_NEURONS_ADVANCED if state["advanced"] else p2.MAX_NEURONS
    depth = state["depth"]
    for i, column in enumerate(st.columns(depth) if depth else [], 1):
        state.number_input(f"n{i}", f"Layer {i}", high=limit, container=column, help="neurons in this layer")
        state.selectbox(f"a{i}", f"Activation {i}", container=column, format_func=name, label_visibility="collapsed")

features = [f for f in p2.FEATURES if f in (state["features"] or [])]
hidden = [state[f"n{i}"] for i in range(1, depth + 1)]
activations = [state[f"a{i}"] for i in range(1, depth + 1)]
if not features:
    diagram.info("Choose at least one input (x₁ and x₂ to start).")
    state.save()
    st.stop()
try:
    edits = p2.PointEdits.from_dict(state["points"])
    points = memo(("pg.points", state["data"], state["noise"], state["train_pct"], state["seed"], edits),
                  lambda: p2.make_points(state["data"], noise=state["noise"] / 100, n=p2.N_POINTS, seed=state["seed"],
                                         test_fraction=1 - state["train_pct"] / 100, edits=edits))
except ValueError as e:
    st.error(str(e))
    state.save()
    st.stop()

loss = state["loss"]
rate = {kind: state["rate"] if state["reg"] == kind else 0.0 for kind in ("l1", "l2")}
run = PlaygroundRun(
    spec=p2.network_spec(len(features), hidden, activations), task=task, seed=state["seed"],
    dataset=memo(("pg.features", id(points), tuple(features)), lambda: p2.training_dataset(points, features)),
    config=train.Config(optimizer=state["optimizer"], lr=state["lr"], batch_size=state["batch"], epochs=RUN_EPOCHS,
                        loss=loss, seed=state["seed"]),
    options={**rate, "epochs_per_s": state["speed"]},
    structure=(state["data"], state["noise"], state["train_pct"], state["seed"], tuple(features), tuple(hidden),
               tuple(activations)),
    training=(state["lr"], state["optimizer"], loss, state["reg"], state["rate"], state["batch"], state["speed"],
              edits))
run.sync()
actions = run.actions()
running = actions.running()
transport("pg", running=running, **actions.callbacks(), step_disabled=running, widths=(1, 1, 1),
          container=controls, step_help="Train one epoch, then stop", reset_help="Fresh weights from the seed, epoch 0")
if st.session_state.get("pg.error"):
    st.error(st.session_state.pop("pg.error"))

board = Board(run, points, features, loss, state["show_test"], hidden, diagram, out_col)
if running:
    board.show_live(current_job(JOB))
else:
    board.show_still(edits, state["train_pct"])


def reset_points() -> None:
    state["points"] = {"added": [], "removed": []}


with out_col:
    click_controls(task, edits, running, reset_points)
with net_col:
    weight_editor(run, loss, board.labels, running)
state.save()
