import streamlit as st

from playground.ui import detector_job as det
from playground.ui.boot import ensure_navigation
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.transport import job_actions, transport
from playground.ui.urlstate import PageState, choice, number
from playground.vision import detection

ensure_navigation()

DEFAULTS = detection.DetectorOptions()
state = PageState("det", {
    "S": choice(DEFAULTS.S, detection.GRIDS),
    "B": number(DEFAULTS.B, 1, 3),
    "width": choice(DEFAULTS.width, detection.WIDTHS),
    "epochs": choice(DEFAULTS.epochs, detection.EPOCH_CHOICES),
    "lr": choice(DEFAULTS.lr, detection.LEARNING_RATES),
    "scenes": choice(DEFAULTS.train_scenes, detection.SCENE_COUNTS),
    "seed": number(0, 0, 2**31 - 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("A detector that learns")
st.caption("A small YOLO-style network learns to find the squares, circles, triangles and crosses in the generated "
           "scenes: for every cell of an S×S grid it says where a box is, how big, how sure it is, and of which "
           "class. Press Play and watch its boxes appear on test scenes it never trains on.")
with st.expander("How does it work?"):
    st.markdown(
        "- The network is a few 3×3 convolutions (batch norm, leaky ReLU), each followed by 2×2 max pooling, until "
        "the 64×64 picture is an S×S grid; a last 1×1 convolution gives each cell B boxes (x, y, √w, √h, "
        "confidence) and 4 class probabilities, as on the **YOLO grid** page.\n"
        "- The cell holding a box's centre is *responsible* for it. The loss has five terms, each drawn as its own "
        "curve below; their formulas are at the bottom of the page.\n"
        f"- To score it, its boxes on {DEFAULTS.test_scenes} test scenes go through **NMS** and are matched to the "
        "true ones at IoU ≥ 0.5: **mAP@0.5** is the mean over the classes of the area under precision–recall "
        "(see **IoU & NMS**, which uses this detector's raw boxes once it is trained).")

with st.expander("Network and training", expanded=False):
    c1, c2, c3, c4 = st.columns(4)
    c5, c6, c7 = st.columns(3)
    state.radio("S", "Grid S×S", container=c1, format_func=lambda s: f"{s}×{s}")
    state.number_input("B", "Boxes per cell", container=c2)
    state.select_slider("width", "Width", container=c3)
    state.select_slider("epochs", "Epochs", container=c4)
    state.select_slider("lr", "Learning rate", container=c5)
    state.select_slider("scenes", "Training scenes", container=c6)
    state.number_input("seed", "Seed", container=c7)
    st.caption("Changes apply when you press Reset (or Play after a run ends). Width: channels of the first layer, "
               "doubled after each pooling up to four times as many. Adam, its rate falling to 0 along a cosine.")

options = detection.DetectorOptions(S=state["S"], B=state["B"], width=state["width"], epochs=state["epochs"],
                                    lr=state["lr"], train_scenes=state["scenes"])
state.valid_or_stop(options)
seed = int(state["seed"])


def start() -> None:
    st.session_state["det.error"] = start_job(det.JOB, **detection.job_arguments(
        options, seed=seed, dataset=det.scene_data(options)), name=f"detector, {options.S}×{options.S} grid")


actions = job_actions(det.JOB, start=start, step_unit="step")
job = current_job(det.JOB)
note = transport("det", running=actions.running(), **actions.callbacks(), widths=(1, 1, 1, 4),
                 step_help=f"One batch of {options.batch_size} scenes. Pauses a running detector first.",
                 reset_help="Back to an untrained detector.")
if st.session_state.get("det.error"):
    st.error(st.session_state.pop("det.error"))
if job is not None and det.settings_changed(job, options):
    note.info("The settings have changed since this run started: press **Reset** to use them.")
if job is None:
    st.info(f"Press **Play** to train ({options.epochs} epochs on {options.train_scenes:,} scenes, well under a "
            "minute with the defaults). Untrained, the detector finds nothing: its mAP@0.5 is about 0.")
else:
    job_panel(det.JOB, det.render, every=0.5, live=det.live_view)

st.subheader("The loss, term by term")
st.markdown("Sums over the grid's cells, averaged over the pictures. 1obj marks the slot responsible for a box, "
            "1noobj every other slot; a hat marks the truth; C is a slot's confidence; λ_coord = 5, λ_noobj = 0.5.")
det.explain_terms()
st.caption("Redmon et al., You Only Look Once (2016). The paper uses the squared error for the classes too; the "
           "cross-entropy learns them faster in a run this short.")
state.save()
