import streamlit as st

from playground.ui import segmenter_job as sj
from playground.ui.boot import ensure_navigation
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.transport import job_actions, transport
from playground.ui.urlstate import PageState, choice, flag, number
from playground.vision import segmentation as seg

ensure_navigation()

state = PageState("seg", {
    "width": choice(8, seg.WIDTHS),
    "skips": flag(True),
    "epochs": choice(16, seg.EPOCHS),
    "lr": choice(0.01, seg.LEARNING_RATES),
    "scenes": choice(500, seg.SCENE_COUNTS),
    "seed": number(0, 0, 2**31 - 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("A network that paints pixels")
st.caption("Segmentation gives every pixel a class. A small fully convolutional network learns to paint each "
           "shape of our scenes in its class's colour: watch its masks on four test scenes sharpen as it trains.")
with st.expander("How does it work?"):
    st.markdown(
        "- **Encoder**: 3×3 convolutions and 2×2 max pooling shrink the picture three times (48 → 24 → 12 → 6 "
        "pixels a side) while the channels grow: each number at the bottom sees a large patch, enough to tell "
        "a circle from a cross.\n"
        "- **Decoder**: three **transposed convolutions** (kernel 2, stride 2) each double the size back, "
        "6 → 12 → 24 → 48; a 1×1 convolution then gives every pixel 5 scores: background, square, circle, "
        "triangle, cross. The highest wins.\n"
        "- **Skip connections** hand each decoder stage the encoder's map of the same size, with the detail "
        "pooling threw away. Without them the decoder must rebuild every border from a 6×6 map: with the "
        "default settings the mean IoU falls from 0.77–0.81 to 0.26–0.39 (seeds 0, 1, 2), circles and "
        "triangles are barely found (IoU 0.00–0.17). Train both and compare.\n"
        "- **Why not pixel accuracy?** About 90 % of the pixels are background, so a network that always says "
        "\"background\" is 90 % accurate and finds nothing. **Mean IoU** (intersection over union per class, "
        "averaged) gives that answer about 0.18.\n"
        "- Training lowers the pixels' cross-entropy, with background pixels weighted 0.2 so the shapes count.")
    st.page_link("pages/transposed_conv.py", label="How a transposed convolution upsamples, step by step",
                 icon=":material/open_in_full:")

with st.expander("Network and training", expanded=False):
    c1, c2, c3, c4, c5, c6 = st.columns([1.2, 1, 1.2, 1.2, 1.2, 1])
    state.select_slider("width", "Width (channels)", container=c1)
    state.toggle("skips", "Skip connections", container=c2)
    state.select_slider("epochs", "Epochs", container=c3)
    state.select_slider("lr", "Learning rate (Adam)", container=c4)
    state.select_slider("scenes", "Training scenes", container=c5)
    state.number_input("seed", "Seed", container=c6)
    st.caption("Changes apply when you press Reset (or Play after a run ends). Batches of 8 scenes; "
               f"{seg.N_TEST} test scenes score every epoch.")

options = seg.SegmentationOptions(width=state["width"], skips=bool(state["skips"]), epochs=state["epochs"],
                                  lr=state["lr"], n_train=state["scenes"])
state.valid_or_stop(options)
seed = int(state["seed"])


def start() -> None:
    name = f"segmentation network, width {options.width}, skips {'on' if options.skips else 'off'}"
    st.session_state["seg.error"] = start_job(sj.JOB, **seg.job_arguments(options, seed=seed), name=name)


actions = job_actions(sj.JOB, start=start)
job = current_job(sj.JOB)
note = transport("seg", running=actions.running(), **actions.callbacks(), widths=(1, 1, 1, 4),
                 step_help="One more epoch. Pauses a running network first.",
                 reset_help="Back to an untrained network.")
if st.session_state.get("seg.error"):
    st.error(st.session_state.pop("seg.error"))
if job is not None and sj.settings_changed(job, options):
    note.info("The settings have changed since this run started: press **Reset** to use them.")
if job is None:
    st.info(f"Press **Play** to train ({options.epochs} epochs on {options.n_train} scenes: about twenty seconds "
            "with the defaults; the scenes are made first, a few seconds more the first time).")
else:
    job_panel(sj.JOB, sj.render, every=0.5, live=sj.live_view)

st.subheader("Why not slide a classifier over the picture?")
sj.cost_view(options)

state.save()
