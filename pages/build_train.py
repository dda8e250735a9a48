import json

import streamlit as st

from playground import data, figures, models, train
from playground import live as live_feeds
from playground.checkpoints import CheckpointError
from playground.figures.training import ACCURACY_CHART, LOSS_CHART
from playground.presets import DESCRIPTIONS, PRESETS
from playground.runs import RunRecord
from playground.ui import live, session
from playground.ui.boot import ensure_navigation
from playground.ui.layer_editor import LayerEditor, layer_help
from playground.ui.results import export_buttons, show_results
from playground.ui.urlstate import Field, PageState, json_field

ensure_navigation()

LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
BATCH_SIZES = [1, 8, 16, 32, 64, 128, 256, 512]

state = PageState("bt", {
    "dataset": Field("digits", check=session.has_dataset),
    "preset": Field("lenet5", check=lambda v: v in PRESETS),
    "optimizer": Field("adam", check=lambda v: v in train.OPTIMIZERS),
    "lr": Field(0.01, float, check=lambda v: v in LEARNING_RATES),
    "batch_size": Field(32, int, check=lambda v: v in BATCH_SIZES),
    "epochs": Field(10, int, check=lambda v: 1 <= v <= 500),
    "seed": Field(0, int, check=lambda v: 0 <= v < 2**31),
    "layers": json_field(None, check=lambda v: isinstance(v, list)),
})
for problem in state.restore():
    st.warning(problem)
if not session.has_dataset(state["dataset"]):  # an upload removed on the Your data page
    state["dataset"] = "digits"
editor = LayerEditor("bt.rows")


def preset_layers(preset_name: str, dataset_name: str) -> list[dict]:
    info = session.dataset_info(dataset_name)
    ds = session.dataset(dataset_name, seed=state["seed"]) if info.offline else None
    try:
        return models.preset(preset_name, ds, input_shape=None if ds else [1, 28, 28], outputs=None if ds else 10)[
            "layers"]
    except ValueError:
        return models.preset("mlp", ds, input_shape=None if ds else [784], outputs=None if ds else 10)["layers"]


def on_choice_change():
    """A new dataset or preset starts from the preset's layers (a conv preset on 2-D data becomes mlp)."""
    name = state["dataset"]
    if session.dataset_info(name).kind != "image" and state["preset"] != "mlp":
        state["preset"] = "mlp"
    layers = preset_layers(state["preset"], name)
    editor.set_layers(layers)
    state["layers"] = layers


if editor.key not in st.session_state:
    editor.set_layers(state["layers"] or preset_layers(state["preset"], state["dataset"]))

st.title("Build & Train")
st.caption("Choose data and a starting network, edit its layers, then train it and watch it learn.")

# ---- Data and network ------------------------------------------------------------------------
left, mid, right = st.columns([2, 2, 1])
left.selectbox("Dataset", session.dataset_names(), key=state.key("dataset"), on_change=on_choice_change,
               format_func=lambda n: n if session.dataset_info(n).offline else f"{n} (downloads once)",
               help="digits: 8×8 handwritten digits · shapes: drawn shapes · 2-D sets: points in the plane · "
                    "your own CSV tables and image zips come from the Your data page")
mid.selectbox("Start from preset", list(PRESETS), key=state.key("preset"), on_change=on_choice_change,
              help="Choosing a preset replaces the layers below.")
right.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key=state.key("seed"),
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
spec, table = editor.render(list(dataset.input_shape))
with st.expander("What each layer type does"):
    st.markdown(layer_help())
if table:
    total = sum(t["params"] or 0 for t in table)
    out = table[-1]["output_shape"]
    st.markdown(f"**{total:,} parameters** · output {figures.format_shape(out) if out else '?'}"
                f" · the data has {dataset.num_outputs} {'classes' if dataset.task == 'classification' else 'target'}")
    st.plotly_chart(figures.network_figure(table, input_shape=list(dataset.input_shape)), key="bt.diagram")
if spec is not None:
    state["layers"] = spec["layers"]

# ---- Training settings -------------------------------------------------------------------------
st.subheader("Train")
c1, c2, c3, c4 = st.columns(4)
c1.selectbox("Optimizer", train.OPTIMIZERS, key=state.key("optimizer"),
             help="How weights move along the gradient. Adam is a good default.")
c2.select_slider("Learning rate", LEARNING_RATES, key=state.key("lr"), help="Step size of each update.")
c3.select_slider("Batch size", BATCH_SIZES, key=state.key("batch_size"), help="Examples per update.")
c4.number_input("Epochs", min_value=1, max_value=500, step=1, key=state.key("epochs"),
                help="Passes over the training set.")

records = session.runs()
current = records.get(st.session_state.get("bt.current"))
can_continue = (current is not None and not current.active and current.weights is not None
                and spec is not None and current.spec["layers"] == models.validate(spec)["layers"])
if can_continue:
    st.checkbox(f"Continue from the weights of {current.name}", value=current.source == "upload",
                key="bt.continue", help="Otherwise training starts from fresh random weights.")


def start_run(stop_current: bool = False) -> None:
    st.session_state.pop("bt.confirm", None)
    if stop_current and current is not None and current.active:
        current.job.stop()
    config = train.Config(optimizer=state["optimizer"], lr=state["lr"], batch_size=state["batch_size"],
                          epochs=int(state["epochs"]), seed=int(state["seed"]))
    try:
        start_from = current.weights if can_continue and st.session_state.get("bt.continue") else None
        job = train.start(spec, dataset, config, session=session.session_id(), init_weights=start_from,
                          name=session.unique_name(f"{state['preset']} on {dataset.name}"))
    except (models.SpecError, train.ConfigError, train.JobLimitError) as e:
        st.session_state["bt.error"] = str(e)
        return
    record = session.add_run(RunRecord.from_job(job, dataset.ref()))
    st.session_state["bt.current"] = record.name


def on_train() -> None:
    if current is not None and current.active:
        st.session_state["bt.confirm"] = True
    else:
        start_run()


b1, b2, _ = st.columns([1, 1, 4])
b1.button("Train", type="primary", key="bt.train", on_click=on_train, disabled=spec is None, width="stretch",
          help=None if spec is not None else "Fix the layers marked ⚠ first.")
b2.button("Stop", key="bt.stop", on_click=lambda: current.job.stop(), disabled=current is None or not current.active,
          width="stretch")
if "bt.error" in st.session_state:
    st.error(st.session_state.pop("bt.error"))
if st.session_state.get("bt.confirm"):
    with st.container(border=True):
        st.warning(f"**{current.name}** is still training. Stop it, or run the new one beside it?")
        d1, d2, d3, _ = st.columns([1, 1, 1, 2])
        d1.button("Stop it and train", on_click=start_run, args=(True,))
        d2.button("Run both", on_click=start_run)
        d3.button("Cancel", on_click=lambda: st.session_state.pop("bt.confirm", None))

# ---- Live progress and results ---------------------------------------------------------------


def show_live(record: RunRecord) -> None:
    """While the run trains: a live board that the browser redraws from the run's feed by itself."""
    session.page_polls()
    job = record.job
    token = live.feed_for("bt.feed", job, lambda: live_feeds.training_producer(job))
    name = record.dataset.get("name")
    regression = session.has_dataset(name) and session.dataset_info(name).task != "classification"
    charts = [live.chart("loss", **LOSS_CHART)] + ([] if regression else [live.chart("accuracy", **ACCURACY_CHART)])
    live.board(token, [live.status(record.name), live.row(*charts)], key="bt.live", first=live.FEEDS.read(token),
               interval=0.5)


def show_still(record: RunRecord) -> None:
    live.close_feed("bt.feed")
    job = record.job
    if job is not None:
        last = record.final
        speed = last.get("samples_per_s")
        speed_text = f" · {speed:,.0f} samples/s" if speed == speed and speed else ""
        st.markdown(f"**{record.name}** · {record.status} · epoch {int(last.get('epoch', 0))} of {job.config.epochs}"
                    f"{speed_text} · device: {job.device or '…'}")
        st.progress(job.progress)
        if record.error:
            (st.error if record.status == "failed" else st.warning)(record.error)
    st.plotly_chart(figures.curves_figure(record.history), key="bt.curves")


if current is not None:
    st.subheader("Progress")
    if current.active:
        show_live(current)
    else:
        show_still(current)
        show_results(current, dataset)

# ---- Files -----------------------------------------------------------------------------------
st.subheader("Save and load")
f1, f2 = st.columns(2)
with f1:
    if spec is not None:
        st.download_button("Download the spec (JSON)", json.dumps(spec, indent=2), file_name="network.json",
                           mime="application/json", on_click="ignore", icon=":material/download:")
    if current is not None and current.weights is not None and not current.active:
        st.download_button("Download the trained model (.safetensors)", current.to_checkpoint(),
                           file_name=f"{current.name.replace(' ', '_')}.safetensors",
                           mime="application/octet-stream", on_click="ignore", icon=":material/download:")


def on_upload() -> None:
    upload = st.session_state.get("bt.upload")
    if upload is None:
        return
    raw = upload.getvalue()
    try:
        if upload.name.endswith(".json"):
            uploaded = models.validate(json.loads(raw))
            record = None
        else:
            record = session.add_run(RunRecord.from_checkpoint(raw, name=upload.name.rsplit(".", 1)[0]))
            uploaded = record.spec
    except (json.JSONDecodeError, UnicodeDecodeError):
        st.session_state["bt.upload_error"] = "This file is not valid JSON."
        return
    except (models.SpecError, CheckpointError) as e:
        st.session_state["bt.upload_error"] = str(e)
        return
    name = record.dataset.get("name") if record else None
    if name is not None and session.has_dataset(name):
        state["dataset"] = name
    elif list(uploaded["input_shape"]) != list(dataset.input_shape):
        st.session_state["bt.upload_error"] = (
            f"This network expects inputs of shape {uploaded['input_shape']}, but {dataset.name} has "
            f"{list(dataset.input_shape)}: choose a dataset with that shape.")
    editor.set_layers(uploaded["layers"])
    state["layers"] = uploaded["layers"]
    if record is not None:
        st.session_state["bt.current"] = record.name


with f2:
    st.file_uploader("Load a spec (.json) or a trained model (.safetensors)", type=["json", "safetensors"],
                     key="bt.upload", on_change=on_upload)
    if "bt.upload_error" in st.session_state:
        st.error(st.session_state.pop("bt.upload_error"))

if spec is not None:
    st.markdown("**Export**: a PyTorch script that builds this network, makes the same data and trains it with "
                "these settings outside the playground, and the network as ONNX.")
    trained = (current is not None and not current.active and current.weights is not None
               and current.spec["layers"] == models.validate(spec)["layers"])
    if trained:
        export_buttons(current.spec, current.dataset, current.config, title=current.name, key="bt.export",
                       record=current, with_weights=False)
    else:
        settings = train.Config(optimizer=state["optimizer"], lr=state["lr"], batch_size=state["batch_size"],
                                epochs=int(state["epochs"]), seed=int(state["seed"])).to_dict()
        export_buttons(spec, dataset.ref(), settings, title=f"{state['preset']} on {dataset.name}", key="bt.export",
                       with_weights=False)

# ---- The session's runs ----------------------------------------------------------------------
if records:
    st.subheader("Runs in this session")
    st.dataframe(session.runs_table(), hide_index=True, width="stretch", column_config={
        "test accuracy": st.column_config.NumberColumn(format="percent"),
        "test loss": st.column_config.NumberColumn(format="%.4f"),
        "seconds": st.column_config.NumberColumn(format="%.1f")})

state.save()
