import streamlit as st

from playground import models, uploads
from playground.settings import get_settings
from playground.ui import session
from playground.ui import uploads as session_uploads
from playground.ui.boot import ensure_navigation
from playground.ui.results import export_buttons
from playground.ui.urlstate import PageState, choice

ensure_navigation()

SOURCES = {"run": "A trained model", "spec": "The network on Build & Train"}

state = PageState("yd", {"source": choice("run", SOURCES)})
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
st.caption(f"Up to {limits.upload_max_mb:g} MB: {limits.upload_max_rows:,} rows and {limits.upload_max_columns:,} "
           f"columns, or {limits.upload_max_images:,} pictures. Your file stays in this browser tab's session, "
           "in memory only: it is never saved on the server, nobody else can see it, and it is gone when you close "
           "the tab.")
upload = st.file_uploader("Upload a CSV table or a zip of class folders", type=["csv", "zip"], key="yd.file",
                          max_upload_size=max(1, int(limits.upload_max_mb + 0.999)))


def on_add(arrays: uploads.UploadedArrays) -> None:
    st.session_state["yd.added"] = session_uploads.add(arrays)


arrays = None
if upload is not None:
    raw, name = upload.getvalue(), upload.name
    if name.lower().endswith(".zip"):
        with st.spinner("Reading the pictures…"):
            arrays = session_uploads.read_once(raw, name, uploads.read_image_zip)
    else:
        frame = session_uploads.read_once(raw, name, uploads.read_table)
        arrays = frame if isinstance(frame, str) else session_uploads.table_form(frame, name)
    if isinstance(arrays, str):  # the file's problem, in words
        st.error(arrays)
        arrays = None
    elif arrays is not None and arrays.kind == "image":
        session_uploads.show_pictures(arrays)

if arrays is not None:
    st.info("\n".join(f"- {note}" for note in arrays.notes))
    st.button(f"Add {arrays.name} to my datasets", type="primary", key="yd.add", on_click=on_add, args=(arrays,))
if st.session_state.get("yd.added"):
    st.success(f"**{st.session_state.pop('yd.added')}** is ready: choose it in the Dataset list on Build & Train.")
if session_uploads.uploaded():
    st.markdown("**Your datasets in this session**")
    session_uploads.uploads_table()
    st.page_link("pages/build_train.py", label="Train on it in Build & Train", icon=":material/construction:")

# ---- Export ------------------------------------------------------------------------------------
st.subheader("Take a network with you")
st.markdown("- **PyTorch script**: a single Python file that defines the same network, makes the same data and "
            "trains it with the same optimizer, learning rate, batch size, epochs and seed. Run it with "
            "`python` on any computer with PyTorch; it reaches the accuracy the playground reached.\n"
            "- **Weights**: the trained weights as `.safetensors`, with the network's description inside.\n"
            "- **ONNX**: the network in a format other tools read; open it in Netron (netron.app) to see its graph.")
state.radio("source", "Export", format_func=SOURCES.get, horizontal=True, label_visibility="collapsed")
if state["source"] == "run":
    record = session.model_picker("Model", key="yd.model",
                                  help="Models trained in this session (newest first), and the examples.")
    if record is not None:
        if final := record.final:
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
        try:
            spec = models.validate({"input_shape": list(dataset.input_shape), "layers": kept["layers"]})
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
