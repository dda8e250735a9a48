import numpy as np
import streamlit as st

from playground import playground2d as p2
from playground import train
from playground.data import DATASETS
from playground.figures.playground2d import (
    LOSS_CHART,
    loss_curves_figure,
    loss_text,
    network_figure,
    network_scene_frame,
    output_figure,
    output_scene_frame,
)
from playground.figures.style import presenting
from playground.tinynet import ACTIVATIONS
from playground.train import ACTIVE
from playground.ui import live, session
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import memo
from playground.ui.jobs import current_job, start_job
from playground.ui.urlstate import Field, PageState, bool_field, json_field

ensure_navigation()

LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REG_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD with momentum (0.9)", "rmsprop": "RMSprop", "adam": "Adam"}
LOSS_LABELS = {"cross_entropy": "cross-entropy", "mse": "squared error (MSE)"}
REG_LABELS = {"none": "none", "l1": "L1", "l2": "L2"}
ACTIVATION_LABELS = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "sigmoid", "linear": "linear",
                     "leaky_relu": "leaky ReLU"}
DATA_LABELS = {"circle": "circle", "xor": "xor", "gauss": "two clouds", "spiral": "spiral",
               "reg_plane": "plane (regression)", "reg_gauss": "hills (regression)"}
MAX_NEURONS, MAX_NEURONS_ADVANCED = 8, 32
RUN_EPOCHS = 100_000  # one Play runs this long at most; Play again carries on
N_POINTS = 500
JOB = "pg.job"

fields = {
    "data": Field("circle", check=lambda v: v in p2.DATASETS),
    "noise": Field(0, int, check=lambda v: 0 <= v <= 50),
    "train_pct": Field(50, int, check=lambda v: 10 <= v <= 90),
    "batch": Field(10, int, check=lambda v: 1 <= v <= 100),
    "show_test": bool_field(False),
    "seed": Field(0, int, check=lambda v: 0 <= v < 2**31),
    "features": Field(["x1", "x2"], parse=lambda t: t.split(","), format=",".join,
                      check=lambda v: all(f in p2.FEATURES for f in v)),
    "depth": Field(2, int, check=lambda v: 0 <= v <= p2.MAX_HIDDEN_LAYERS),
    "advanced": bool_field(False),
    "lr": Field(0.03, float, check=lambda v: v in LEARNING_RATES),
    "optimizer": Field("sgd", check=lambda v: v in OPTIMIZER_LABELS),
    "loss": Field("cross_entropy", check=lambda v: v in LOSS_LABELS),
    "reg": Field("none", check=lambda v: v in REG_LABELS),
    "rate": Field(0.0, float, check=lambda v: v in REG_RATES),
    "points": json_field({"added": [], "removed": []}, check=lambda v: p2.PointEdits.from_dict(v) is not None),
}
for i in range(1, p2.MAX_HIDDEN_LAYERS + 1):
    fields[f"n{i}"] = Field(4 if i == 1 else 2, int, check=lambda v: 1 <= v <= MAX_NEURONS_ADVANCED)
    fields[f"a{i}"] = Field("tanh", check=lambda v: v in ACTIVATIONS)
state = PageState("pg", fields)
for problem in state.restore():
    st.warning(problem)

st.title("2-D Playground")
st.caption("A small neural network learns to tell the blue points from the orange ones (or, for the regression "
           "sets, to predict each point's value). Every small picture shows what one neuron computes over the "
           "plane; the big picture on the right is the network's answer, with the data on it. Press Play.")

controls = st.container()  # Reset, Play and Step, filled in once the run is known

# ---- settings ------------------------------------------------------------------------------------
top = st.columns([1.2, 1.6, 1.2, 1.0, 1.2])
top[0].select_slider("Learning rate", LEARNING_RATES, key=state.key("lr"))
top[1].selectbox("Optimizer", list(OPTIMIZER_LABELS), format_func=OPTIMIZER_LABELS.get, key=state.key("optimizer"))
task = DATASETS[state["data"]].task
loss_choices = list(LOSS_LABELS) if task == "classification" else ["mse"]
if state["loss"] not in loss_choices:
    state["loss"] = loss_choices[0]
top[2].selectbox("Loss", loss_choices, format_func=LOSS_LABELS.get, key=state.key("loss"),
                 help="Cross-entropy scores the predicted probability of the right class; squared error the "
                      "distance of the output from the label (0 or 1) or value.")
top[3].selectbox("Regularization", list(REG_LABELS), format_func=REG_LABELS.get, key=state.key("reg"),
                 help="L1 adds rate·Σ|w| to the loss (pushes weights to exactly 0), L2 adds ½·rate·Σw² "
                      "(keeps all weights small). Biases are not penalized.")
top[4].select_slider("Regularization rate", REG_RATES, key=state.key("rate"), disabled=state["reg"] == "none")

data = st.columns([1.3, 1.2, 1.0, 1.0, 1.1, 0.9])
data[0].selectbox("Dataset", list(p2.DATASETS), format_func=DATA_LABELS.get, key=state.key("data"))
data[1].slider("Training data (% of points)", 10, 90, step=10, key=state.key("train_pct"))
data[2].slider("Noise (%)", 0, 50, step=5, key=state.key("noise"))
data[3].slider("Batch size", 1, 30, key=state.key("batch"))
data[4].number_input("Seed (data, first weights)", 0, 2**31 - 1, key=state.key("seed"))
data[5].checkbox("Show test data", key=state.key("show_test"))

net_col, out_col = st.columns([3, 2])
with net_col:
    st.subheader("Network")
    st.pills("Inputs", list(p2.FEATURES), selection_mode="multi", format_func=lambda f: p2.FEATURES[f][0],
             key=state.key("features"))
    c1, c2 = st.columns([2, 3])
    c1.number_input("Hidden layers", 0, p2.MAX_HIDDEN_LAYERS, key=state.key("depth"))
    c2.toggle(f"Advanced: up to {MAX_NEURONS_ADVANCED} neurons a layer", key=state.key("advanced"))
    limit = MAX_NEURONS_ADVANCED if state["advanced"] else MAX_NEURONS
    depth = state["depth"]
    if depth:
        layer_cols = st.columns(depth)
        for i, column in enumerate(layer_cols, 1):
            if state[f"n{i}"] > limit:
                state[f"n{i}"] = limit
            column.number_input(f"Layer {i}", 1, limit, key=state.key(f"n{i}"), help="neurons in this layer")
            column.selectbox(f"Activation {i}", list(ACTIVATIONS), format_func=ACTIVATION_LABELS.get,
                             key=state.key(f"a{i}"), label_visibility="collapsed")

features = [f for f in p2.FEATURES if f in (state["features"] or [])]
hidden = [state[f"n{i}"] for i in range(1, depth + 1)]
activations = [state[f"a{i}"] for i in range(1, depth + 1)]
if not features:
    st.info("Choose at least one input (x₁ and x₂ to start).")
    state.save()
    st.stop()

try:
    edits = p2.PointEdits.from_dict(state["points"])
    points = memo(("pg.points", state["data"], state["noise"], state["train_pct"], state["seed"], edits),
                  lambda: p2.make_points(state["data"], noise=state["noise"] / 100,
                                         test_fraction=1 - state["train_pct"] / 100, n=N_POINTS, seed=state["seed"],
                                         edits=edits))
except ValueError as e:
    st.error(str(e))
    state.save()
    st.stop()
dataset = memo(("pg.features", id(points), tuple(features)), lambda: p2.training_dataset(points, features))
spec = p2.network_spec(len(features), hidden, activations)
loss = state["loss"]
config = train.Config(optimizer=state["optimizer"], lr=state["lr"], batch_size=state["batch"], epochs=RUN_EPOCHS,
                      loss=loss, seed=state["seed"])
options = {"l1": state["rate"] if state["reg"] == "l1" else 0.0, "l2": state["rate"] if state["reg"] == "l2" else 0.0}

# ---- the run: a job in the worker pool, or the weights the last one left -----------------------------
# The network's shape, the data and the seed define a run: change one and it starts again from fresh
# weights. Training settings and edited points carry on from the current weights.
structure = (state["data"], state["noise"], state["train_pct"], state["seed"], tuple(features), tuple(hidden),
             tuple(activations))
training = (state["lr"], state["optimizer"], loss, state["reg"], state["rate"], state["batch"], edits)


def settle() -> bool:
    """Stop the live job, if any, and keep its weights and epoch; True if it was running."""
    job = current_job(JOB)
    if job is None:
        return False
    was_running = job.status == "running"
    if job.status in ACTIVE:
        job.stop()
        job.wait(3)
    absorb(job)
    return was_running


def absorb(job) -> None:
    """Keep a finished job's weights and loss curve as the page's own, and forget the job."""
    st.session_state.pop(JOB, None)
    if job.weights is not None:
        net = p2.net_from_weights(job.spec, task, job.weights)
        if np.isfinite(net.params).all():
            st.session_state["pg.weights"] = job.weights
            st.session_state["pg.epoch"] = job.epoch
    epochs, train_loss, test_loss = p2.curve_points(job.history, job.series("frame"))
    keep = epochs <= st.session_state.get("pg.epoch", 0)
    st.session_state["pg.curve"] += list(zip(epochs[keep], train_loss[keep], test_loss[keep]))


def reset() -> None:
    job = current_job(JOB)
    if job is not None and job.status in ACTIVE:
        job.stop()
    st.session_state.pop(JOB, None)
    st.session_state["pg.weights"], st.session_state["pg.epoch"], st.session_state["pg.curve"] = None, 0, []
    st.session_state.pop("pg.pick", None)


def launch(epochs: int) -> None:
    """Train from the current weights in the worker pool, for `epochs` more epochs."""
    weights = st.session_state["pg.weights"] or p2.weights_of(p2.net_from_spec(spec, task, seed=state["seed"]))
    run_config = train.Config(**{**config.to_dict(), "epochs": epochs})
    st.session_state["pg.error"] = start_job(
        JOB, spec, dataset, run_config, trainer="playground2d", init_weights=weights,
        options={**options, "start_epoch": st.session_state["pg.epoch"]}, name="2-D playground")


if "pg.curve" not in st.session_state:
    reset()
if st.session_state.get("pg.structure") != structure:
    if "pg.structure" in st.session_state:
        reset()
    st.session_state["pg.structure"] = structure
if st.session_state.get("pg.training") != training:
    if "pg.training" in st.session_state and current_job(JOB) is not None:
        if settle():
            launch(RUN_EPOCHS)
    st.session_state["pg.training"] = training
job = current_job(JOB)
if job is not None and job.finished:
    if job.status == "failed":
        st.session_state["pg.error"] = job.error
    absorb(job)
    job = None


def play(pause: bool) -> None:
    """What the button said when it was clicked (bound when drawn, so a click delivered twice does not undo
    itself)."""
    job = current_job(JOB)
    if pause:
        if job is not None and job.status in ("queued", "running"):
            job.pause()
    elif job is None or job.finished:
        launch(RUN_EPOCHS)
    elif job.status == "paused":
        job.resume()


def step() -> None:
    job = current_job(JOB)
    if job is not None and job.status == "paused":
        job.step(1, "epoch")
    elif job is None or job.finished:
        launch(1)


running = job is not None and job.status in ("running", "queued")
b1, b2, b3, _ = controls.columns([1, 1, 1, 6])
b1.button("Reset", key="pg.reset", on_click=reset, icon=":material/restart_alt:",
          help="Fresh weights from the seed, epoch 0")
b2.button("Pause" if running else "Play", key="pg.play", on_click=play, args=(running,), type="primary",
          icon=":material/pause:" if running else ":material/play_arrow:")
b3.button("Step", key="pg.step", **session.once("pg.step", step), disabled=running, icon=":material/skip_next:",
          help="Train one epoch, then stop")
if st.session_state.get("pg.error"):
    controls.error(st.session_state.pop("pg.error"))


# ---- clicks on the pictures ------------------------------------------------------------------------
def _clicked(key: str) -> list[dict]:
    event = st.session_state.get(key)
    return list(event["selection"]["points"]) if event and event.get("selection") else []


def on_output_click() -> None:
    """Add or remove a point where the output picture was clicked."""
    clicks = _clicked(f"pg.fig.output.{st.session_state.get('pg.clicks', 0)}")
    st.session_state["pg.clicks"] = st.session_state.get("pg.clicks", 0) + 1  # a new chart: no selection left
    mode = st.session_state.get("pg.click_mode", "add0")
    new = p2.PointEdits.from_dict(state["points"])
    for click in clicks[:1]:
        data = click.get("customdata")
        if mode == "remove":
            if isinstance(data, list) and len(data) == 2:
                new = new.removing(int(data[0]), int(data[1]), n=N_POINTS, test_fraction=1 - state["train_pct"] / 100)
        else:
            value = {"add0": 0.0, "add1": 1.0}.get(mode, st.session_state.get("pg.click_value", 0.5))
            new = new.adding(click["x"], click["y"], value)
    state["points"] = new.to_dict()


def _weight_choices(net) -> list[tuple[int, int, int]]:
    """Every weight and bias as (layer, row, column), unit by unit."""
    return [(layer, row, column) for layer, block in enumerate(net.blocks)
            for column in range(block.shape[1]) for row in range(block.shape[0])]


def on_diagram_click() -> None:
    """Pick the weight whose link (or bias marker) was clicked."""
    clicks = _clicked(f"pg.fig.net.{st.session_state.get('pg.net_clicks', 0)}")
    st.session_state["pg.net_clicks"] = st.session_state.get("pg.net_clicks", 0) + 1
    for click in clicks[:1]:
        data = click.get("customdata")
        if isinstance(data, list) and len(data) == 3:
            st.session_state["pg.pick"] = tuple(int(v) for v in data)
            st.session_state["pg.picked"] = True
            st.session_state["pg.pick_index"] = _weight_choices(current_view().net).index(st.session_state["pg.pick"])


labels = [p2.FEATURES[f][0] for f in features]
DIAGRAM_CAPTION = ("Each link's colour and width show its weight (orange positive, blue negative); each small "
                   "square shows one neuron's output over the plane. ")
OUTPUT_CAPTION = ("Orange areas: the network says orange; blue areas: blue; white: the boundary. Points with a "
                  "white edge are training data, with a black edge test data.")


def own_view() -> p2.Snapshot:
    """The page's own network: the weights the last run left (or fresh ones from the seed)."""
    weights = st.session_state["pg.weights"]
    net = p2.net_from_weights(spec, task, weights) if weights else p2.net_from_spec(spec, task, seed=state["seed"])
    return memo(("pg.view", weights, structure, loss, edits, st.session_state["pg.epoch"]),
                lambda: p2.snapshot(net, st.session_state["pg.epoch"], dataset, loss))


def current_view() -> p2.Snapshot:
    """The network as it is now: the live job's latest state, or the page's own weights."""
    job = current_job(JOB)
    if job is not None:
        job.touch()
        view = p2.frame_of(job, spec, dataset, loss)
        if view is not None:
            return view
    return own_view()


def show_live(job) -> None:
    """While the run trains: live boards that the browser redraws from the run's feed by itself."""
    session.page_polls()
    token = live.feed_for("pg.feed", job, lambda: p2.live_producer(
        job, spec, dataset, loss, features, list(st.session_state["pg.curve"]), start=own_view()))
    first = live.FEEDS.read(token)
    large = presenting()
    sizes = (len(features), *hidden, 1)
    with net_col:
        live.board(token, [live.scene("network", network_scene_frame(sizes, labels, large=large),
                                      margin=(60, 10, 10, 10))],
                   key="pg.live.network", first=first, only=["network"], notify=False, interval=0.45)
        st.caption(DIAGRAM_CAPTION + "Pause to pick a weight.")
    with out_col:
        st.subheader("Output")
        frame = output_scene_frame(points.x_train.numpy(), points.y_train.numpy().reshape(-1), points.x_test.numpy(),
                                   points.y_test.numpy().reshape(-1), task=task, show_test=state["show_test"],
                                   large=large)
        live.board(token, [live.metrics("Epoch", "Training loss", "Test loss"), live.chart("loss", **LOSS_CHART),
                           live.scene("output", frame, height=360, margin=(50, 115, 10, 48))],
                   key="pg.live.output", first=first, only=["loss", "output"], interval=0.45)
        st.caption(OUTPUT_CAPTION)


def show_still() -> None:
    """Paused, finished or not started: the figures, which take clicks (add points, pick a weight)."""
    live.close_feed("pg.feed")
    view = current_view()
    grids = p2.neuron_grids(view.net, features, resolution=21)
    picked = st.session_state.get("pg.pick") if st.session_state.get("pg.picked") else None
    network = network_figure(grids, view.net.blocks, labels, selected=picked, width=620)
    output = output_figure(p2.neuron_grids(view.net, features, resolution=51)[-1][0], points.x_train.numpy(),
                           points.y_train.numpy().reshape(-1), points.x_test.numpy(),
                           points.y_test.numpy().reshape(-1), task=task, show_test=state["show_test"], clickable=24)
    with net_col:
        st.plotly_chart(network, key=f"pg.fig.net.{st.session_state.get('pg.net_clicks', 0)}",
                        on_select=on_diagram_click, selection_mode="points", config={"displayModeBar": False})
        st.caption(DIAGRAM_CAPTION + "Click a link or a bias square to pick it.")
    with out_col:
        st.subheader("Output")
        m1, m2, m3 = st.columns(3)
        m1.metric("Epoch", f"{view.epoch:,}")
        m2.metric("Training loss", loss_text(view.train_loss))
        m3.metric("Test loss", loss_text(view.test_loss))
        curve = st.session_state["pg.curve"]
        epochs, train_curve, test_curve = (np.array([c[i] for c in curve], dtype=float) for i in range(3))
        curve = p2.thin_curve(epochs, train_curve, test_curve, most=p2.CURVE_POINTS)
        st.plotly_chart(loss_curves_figure(*curve), key="pg.fig.curves", config={"displayModeBar": False})
        st.plotly_chart(output, key=f"pg.fig.output.{st.session_state.get('pg.clicks', 0)}",
                        on_select=on_output_click, selection_mode="points", config={"displayModeBar": False})
        st.caption(OUTPUT_CAPTION)


if running:
    show_live(job)
else:
    show_still()

with out_col:
    modes = {"add0": "add a blue point", "add1": "add an orange point", "remove": "remove a point"}
    if task == "regression":
        modes = {"value": "add a point with the value below", "remove": "remove a point"}
    if st.session_state.get("pg.click_mode") not in modes:
        st.session_state["pg.click_mode"] = next(iter(modes))
    st.radio("A click on the output picture will", list(modes), format_func=modes.get, key="pg.click_mode",
             horizontal=True)
    if running:
        st.caption("Pause first: the picture takes clicks while training stands still.")
    if task == "regression":
        st.slider("Value of added points", -1.0, 1.0, 0.5, 0.1, key="pg.click_value")
    if edits.added or edits.removed:
        added, removed = len(edits.added), len(edits.removed)
        st.caption(f"{added} point{'s' * (added != 1)} added, {removed} removed.")

        def reset_points() -> None:
            state["points"] = {"added": [], "removed": []}

        st.button("Reset the points", key="pg.reset_points", on_click=reset_points)

# ---- editing one weight --------------------------------------------------------------------------------
with net_col, st.expander("Change a weight by hand", expanded=st.session_state.get("pg.picked", False)):
    if running:
        st.caption("Pause first: a weight can be changed while training stands still.")
    else:
        view = current_view()
        choices = _weight_choices(view.net)
        # The list offers positions in `choices`: plain numbers keep the widget's value stable across reruns.
        if st.session_state.get("pg.pick_index") not in range(len(choices)):
            st.session_state["pg.pick_index"] = 0
        e1, e2, e3 = st.columns([3, 2, 1])
        index = e1.selectbox("Weight", range(len(choices)), key="pg.pick_index",
                             format_func=lambda i: p2.weight_label(view.net, *choices[i], labels))
        st.session_state["pg.pick"] = choices[index]
        if index:
            st.session_state["pg.picked"] = True
        layer, row, column = st.session_state["pg.pick"]
        current = float(view.net.blocks[layer][row, column])
        e2.number_input("New value", -100.0, 100.0, value=round(current, 4), step=0.1, format="%.4f",
                        key=f"pg.new_value.{st.session_state['pg.pick']}.{current:.6f}")

        def apply_edit() -> None:
            pick = st.session_state["pg.pick"]
            value = st.session_state.get(f"pg.new_value.{pick}.{current:.6f}", current)
            settle()
            weights = st.session_state["pg.weights"]
            net = p2.net_from_weights(spec, task, weights) if weights else p2.net_from_spec(spec, task,
                                                                                         seed=state["seed"])
            st.session_state["pg.weights"] = p2.weights_of(p2.edit_weight(net, *pick, float(value)))

        e3.button("Set", key="pg.apply_weight", on_click=apply_edit)
        st.caption(f"Now {current:.4f}. The pictures follow at once; Play or Step trains on from the new value.")

state.save()
