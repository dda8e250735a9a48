import streamlit as st

from playground import data, figures, layer_table, models
from playground.jobs import train
from playground.jobs.sweep import BATCH_SIZES, LEARNING_RATES
from playground.presets import DESCRIPTIONS, PRESETS
from playground.settings import get_settings
from playground.ui import session
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.jobs import train_buttons
from playground.ui.layer_editor import LayerEditor, choose_preset, layer_help, preset_layers
from playground.ui.model_upload import save_and_load
from playground.ui.results import export_buttons, show_progress, show_runs_table
from playground.ui.urlstate import PageState, choice, json_field, number

ensure_navigation()

state = PageState("bt", {
    "dataset": choice("digits", data.names()),  # and this session's uploads, offered at run time
    "preset": choice("lenet5", PRESETS),
    "optimizer": choice("adam", train.OPTIMIZERS),
    "lr": choice(0.01, LEARNING_RATES),
    "batch_size": choice(32, BATCH_SIZES),
    "epochs": number(10, 1, 500),
    "seed": number(0, 0, 2**31 - 1),
    "layers": json_field(None, check=layer_table.check_link_layers),
})
for problem in state.restore():
    st.warning(problem)
if not session.has_dataset(state["dataset"]):  # an upload removed on the Your data page
    state["dataset"] = "digits"
editor = LayerEditor("bt.rows")


def on_choice_change(new_data: bool = False):
    """A new dataset or preset starts from the layers of a preset that fits the data (see choose_preset)."""
    state["preset"] = choose_preset(state["preset"], state["dataset"], seed=state["seed"], new_data=new_data)
    state["layers"] = preset_layers(state["preset"], state["dataset"], seed=state["seed"])
    editor.set_layers(state["layers"])


if editor.key not in st.session_state or state.locked("layers"):  # a locked table holds the exercise's layers
    if not state["layers"]:  # a link naming data only: the preset shown is one that fits it
        state["preset"] = choose_preset(state["preset"], state["dataset"], seed=state["seed"])
    editor.set_layers(state["layers"] or preset_layers(state["preset"], state["dataset"], seed=state["seed"]))

st.title("Build & Train")
st.caption("Choose data and a starting network, edit its layers, then train it and watch it learn.")
left, mid, right = st.columns([2, 2, 1])
state.selectbox("dataset", "Dataset", options=session.dataset_names(), container=left, on_change=on_choice_change,
                args=(True,), format_func=lambda n: n if session.dataset_info(n).offline else f"{n} (downloads once)",
                help="digits: 8×8 handwritten digits · shapes: drawn shapes · 2-D sets: points in the plane · "
                     "sine, adding, recall, characters: sequences · your own CSV tables and image zips come from "
                     "the Your data page")
state.selectbox("preset", "Start from preset", container=mid, on_change=on_choice_change,
                help="Choosing a preset replaces the layers below.")
state.number_input("seed", "Seed", container=right,
                   help="Fixes the data split, the initial weights and the batch order: same seed, same run.")
st.caption(f"**{state['preset']}**: {DESCRIPTIONS[state['preset']]}")
try:
    dataset = session.dataset(state["dataset"], seed=state["seed"])
except data.DatasetError as e:
    st.error(str(e))
    state.save()
    st.stop()
st.caption(f"**{dataset.name}**: {dataset.description} · {len(dataset.x_train):,} training and "
           f"{len(dataset.x_test):,} test examples · input {figures.format_shape(dataset.input_shape)}")

st.subheader("Layers")
spec, table = editor.render(list(dataset.input_shape), locked=state.locked("layers"), hidden=state.hidden("layers"))
with st.expander("What each layer type does"):
    st.markdown(layer_help())
too_big = layer_table.cap_message(table, get_settings().max_params)
if table:
    out = table[-1]["output_shape"]
    st.markdown(f"**{sum(t['params'] or 0 for t in table):,} parameters** · output "
                f"{figures.format_shape(out) if out else '?'} · the data has {dataset.num_outputs} "
                f"{'classes' if dataset.task == 'classification' else 'target'}")
    if too_big:
        st.error(too_big, icon="⚠️")
    if not state.hidden("layers"):
        chart(figures.network_figure(table, input_shape=list(dataset.input_shape)), key="bt.diagram")
if spec is not None:
    state["layers"] = spec["layers"]
trainable = spec is not None and not too_big

st.subheader("Train")
c1, c2, c3, c4 = st.columns(4)
state.selectbox("optimizer", "Optimizer", container=c1,
                help="How weights move along the gradient. Adam is a good default.")
state.select_slider("lr", "Learning rate", container=c2, help="Step size of each update.")
state.select_slider("batch_size", "Batch size", container=c3, help="Examples per update.")
state.number_input("epochs", "Epochs", container=c4, help="Passes over the training set.")
config = train.Config(optimizer=state["optimizer"], lr=state["lr"], batch_size=state["batch_size"],
                      epochs=state["epochs"], seed=state["seed"])
current = session.runs().get(st.session_state.get("bt.current")) or session.latest_run("Build & Train")
same_net = (trainable and current is not None and not current.active and current.weights is not None
            and current.spec["layers"] == models.validate(spec)["layers"])
if same_net:
    st.checkbox(f"Continue from the weights of {current.name}", value=current.source == "upload",
                key="bt.continue", help="Otherwise training starts from fresh random weights.")


def start_run(stop_current: bool) -> None:
    if stop_current and current is not None and current.active:
        current.job.stop()
    start_from = current.weights if same_net and st.session_state.get("bt.continue") else None
    try:
        job = session.start_run(spec, dataset, config, init_weights=start_from,
                                name=session.unique_name(f"{state['preset']} on {dataset.name}"))
    except (models.SpecError, train.ConfigError, train.JobLimitError) as e:
        st.session_state["bt.error"] = str(e)
        return
    st.session_state["bt.current"] = session.record_job(job, dataset.ref())[0].name


train_buttons("bt", current, start_run, enabled=trainable, why="Fix the layers marked ⚠ first.")
if current is not None:
    st.subheader("Progress")
    show_progress(current, dataset, key="bt")

st.subheader("Save and load")


def apply_upload(read) -> None:
    if read.dataset:
        state["dataset"] = read.dataset
    if read.layers is not None:
        editor.set_layers(read.layers)
        state["layers"] = read.layers
    if read.record is not None:
        st.session_state["bt.current"] = read.record.name


save_and_load("bt", spec, current, dataset, apply_upload)
if spec is not None:
    st.markdown("**Export**: a PyTorch script that builds this network, makes the same data and trains it with "
                "these settings outside the playground, and the network as ONNX.")
    if same_net:
        export_buttons(current.spec, current.dataset, current.config, title=current.name, key="bt.export",
                       record=current, with_weights=False)
    else:
        export_buttons(spec, dataset.ref(), config.to_dict(), title=f"{state['preset']} on {dataset.name}",
                       key="bt.export", with_weights=False)
if session.runs():
    st.subheader("Runs in this session")
    show_runs_table()
state.save()
