import hashlib

import streamlit as st

from playground import models, uploads
from playground.figures import format_shape, image_grid_figure
from playground.settings import get_settings
from playground.ui import session
from playground.ui import uploads as session_uploads
from playground.ui.boot import ensure_navigation
from playground.ui.results import export_buttons
from playground.ui.urlstate import Field, PageState

ensure_navigation()

SOURCES = {"run": "A trained model", "spec": "The network on Build & Train"}
TASKS = ("classification", "regression")
_PREVIEW_ROWS = 50
_PREVIEW_PER_CLASS = 3

state = PageState("yd", {"source": Field("run", check=lambda v: v in SOURCES)})
for problem in state.restore():
    st.warning(problem)

st.title("Your data & export")
st.caption("Train the playground's networks on your own table or pictures, and take any network with you: as a "
           "PyTorch script that trains it again, as its weights, or as an ONNX file.")

# ---- Upload ------------------------------------------------------------------------------------
st.subheader("Your own data")
limits = get_settings()
left, right = st.columns(2)
left.markdown("**A table (.csv)**: one row per example, column names in the first line. Choose the column to "
              "predict; the columns of numbers are what the network learns from.")
right.markdown("**Pictures (.zip)**: one folder per class, named after it (`cats/`, `dogs/`, …), zipped "
               "together. Pictures of different sizes are resized to one size.")
st.caption(f"Up to {limits.upload_max_mb:g} MB, {limits.upload_max_rows:,} rows or {limits.upload_max_images:,} "
           "pictures. Your file stays in this browser tab's session, in memory only: it is never saved on the "
           "server, nobody else can see it, and it is gone when you close the tab.")
upload = st.file_uploader("Upload a CSV table or a zip of class folders", type=["csv", "zip"], key="yd.file",
                          max_upload_size=max(1, int(limits.upload_max_mb + 0.999)))


def _parsed(raw: bytes, name: str, read):
    """`read(raw, filename=name)` once per file content; an UploadError is kept as its message."""
    key = ("_yd.parsed", hashlib.sha256(raw).hexdigest(), name)
    if st.session_state.get("_yd.parsed_key") != key:
        try:
            value = read(raw, filename=name)
        except uploads.UploadError as e:
            value = str(e)
        st.session_state["_yd.parsed_key"], st.session_state["_yd.parsed"] = key, value
    return st.session_state["_yd.parsed"]


def on_add(arrays: uploads.UploadedArrays) -> None:
    name = session_uploads.add(arrays)
    st.session_state["yd.added"] = name


arrays = None
if upload is not None:
    raw, name = upload.getvalue(), upload.name
    if name.lower().endswith(".zip"):
        with st.spinner("Reading the pictures…"):
            arrays = _parsed(raw, name, uploads.read_image_zip)
        if isinstance(arrays, str):
            st.error(arrays)
            arrays = None
        else:
            picks = [i for c in range(len(arrays.classes)) for i in (arrays.y == c).nonzero()[0][:_PREVIEW_PER_CLASS]]
            st.plotly_chart(image_grid_figure(arrays.x[picks], [arrays.classes[arrays.y[i]] for i in picks],
                                              columns=min(len(picks), 6)), key="yd.fig.images")
            st.caption(f"A few pictures of each class, as the network sees them: "
                       f"{format_shape(arrays.x.shape[1:])}.")
    else:
        frame = _parsed(raw, name, uploads.read_table)
        if isinstance(frame, str):
            st.error(frame)
        else:
            st.dataframe(frame.head(_PREVIEW_ROWS), hide_index=True, height=240)
            st.caption(f"{len(frame):,} rows and {frame.shape[1]} columns" +
                       (f"; the first {_PREVIEW_ROWS} are shown." if len(frame) > _PREVIEW_ROWS else "."))
            columns = list(frame.columns)
            if st.session_state.get("yd.label") not in columns:
                st.session_state["yd.label"] = columns[-1]

            def on_label() -> None:
                st.session_state["yd.task"] = uploads.suggest_task(frame, st.session_state["yd.label"])

            if st.session_state.get("yd.task") not in TASKS:
                on_label()
            c1, c2 = st.columns([2, 3])
            label = c1.selectbox("Column to predict", columns, key="yd.label", on_change=on_label)
            c2.radio("Task", TASKS, key="yd.task", horizontal=True,
                     help="Classification: the column names a class (a word, or a few whole numbers). "
                          "Regression: it is a number to predict.")
            numeric = uploads.numeric_columns(frame)
            candidates = [c for c in columns if c != label]
            text_columns = [c for c in candidates if c not in numeric]
            features = st.multiselect("Learn from these columns", candidates,
                                      default=[c for c in candidates if c in numeric], key=f"yd.features.{label}",
                                      help="Only columns of numbers can be fed to a network.")
            if text_columns:
                st.caption("Left out because they hold text: " + ", ".join(f"`{c}`" for c in text_columns))
            try:
                arrays = uploads.table_arrays(frame, label=label, features=features, task=st.session_state["yd.task"],
                                              filename=name)
            except uploads.UploadError as e:
                st.error(str(e))

if arrays is not None:
    st.info("\n".join(f"- {note}" for note in arrays.notes))
    st.button(f"Add {arrays.name} to my datasets", type="primary", key="yd.add", on_click=on_add, args=(arrays,))
if st.session_state.get("yd.added"):
    st.success(f"**{st.session_state.pop('yd.added')}** is ready: choose it in the Dataset list on Build & Train.")

mine = session_uploads.uploaded()
if mine:
    st.markdown("**Your datasets in this session**")
    st.dataframe([{"dataset": n, "kind": "pictures" if a.kind == "image" else "table", "task": a.task,
                   "examples": len(a.x), "input": format_shape(a.x.shape[1:]),
                   "classes": ", ".join(a.classes[:8]) + (" …" if len(a.classes) > 8 else "")}
                  for n, a in mine.items()], hide_index=True, width="stretch")
    r1, r2, _ = st.columns([2, 1, 2])
    r1.selectbox("Remove", list(mine), key="yd.remove_name", label_visibility="collapsed")
    r2.button("Remove", key="yd.remove", on_click=lambda: session_uploads.remove(st.session_state["yd.remove_name"]))
    st.page_link("pages/build_train.py", label="Train on it in Build & Train", icon=":material/construction:")

# ---- Export ------------------------------------------------------------------------------------
st.subheader("Take a network with you")
st.markdown("- **PyTorch script**: a single Python file that defines the same network, makes the same data and "
            "trains it with the same optimizer, learning rate, batch size, epochs and seed. Run it with "
            "`python` on any computer with PyTorch; it reaches the accuracy the playground reached.\n"
            "- **Weights**: the trained weights as `.safetensors`, with the network's description inside.\n"
            "- **ONNX**: the network in a format other tools read; open it in Netron (netron.app) to see its graph.")
st.radio("Export", list(SOURCES), format_func=SOURCES.get, key=state.key("source"), horizontal=True,
         label_visibility="collapsed")
if state["source"] == "run":
    record = session.model_picker("Model", key="yd.model",
                                  help="Models trained in this session (newest first), and the examples.")
    if record is not None:
        final = record.final
        if final:
            accuracy = final.get("val_acc")
            result = f"test accuracy {accuracy:.1%}" if accuracy == accuracy and accuracy is not None else \
                f"test loss {final.get('val_loss', float('nan')):.4f}"
            config = record.config
            st.caption(f"**{record.name}** · {record.dataset.get('name', '?')} · {config.get('optimizer')}, "
                       f"learning rate {config.get('lr')}, batch {config.get('batch_size')}, "
                       f"{config.get('epochs')} epochs, seed {config.get('seed')} · {result}")
        export_buttons(record.spec, record.dataset, record.config, title=record.name, key="yd.export",
                       record=record)
else:
    kept = {name: st.session_state.get(f"_kept.bt.{name}")
            for name in ("dataset", "preset", "layers", "optimizer", "lr", "batch_size", "epochs", "seed")}
    if kept["layers"] is None or not session.has_dataset(kept["dataset"] or ""):
        st.info("Open Build & Train first: the network you build there can be exported here before it is trained.")
    else:
        dataset = session.dataset(kept["dataset"], seed=int(kept["seed"]))
        spec = {"input_shape": list(dataset.input_shape), "layers": kept["layers"]}
        try:
            spec = models.validate(spec)
        except models.SpecError as e:
            st.error(f"The network on Build & Train does not fit {dataset.name}: {e}")
            st.stop()
        config = {"optimizer": kept["optimizer"], "lr": kept["lr"], "batch_size": kept["batch_size"],
                  "epochs": int(kept["epochs"]), "seed": int(kept["seed"])}
        st.caption(f"**{kept['preset']}** on **{dataset.name}** · {models.count_params(spec):,} parameters · "
                   f"{config['optimizer']}, learning rate {config['lr']}, batch {config['batch_size']}, "
                   f"{config['epochs']} epochs, seed {config['seed']} · not trained yet")
        export_buttons(spec, dataset.ref(), config, title=f"{kept['preset']} on {dataset.name}", key="yd.export")

state.save()
