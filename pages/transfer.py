import streamlit as st

from playground.ui import transfer_job as tj
from playground.ui.boot import ensure_navigation
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.transport import job_actions, transport
from playground.ui.urlstate import PageState, choice, flag, number
from playground.vision import transfer as tl

ensure_navigation()

state = PageState("tl", {
    "features": choice("ours", tj.FEATURES),
    "sizes": choice("5,20,100", tj.SIZE_CHOICES),
    "pretrained": flag(True),
    "seed": number(0, 0, 2**31 - 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("Transfer learning")
st.caption("A small CNN first learns to tell the digits 0–4 apart from about 720 pictures, each shown at a new "
           "place every time. Then it meets a new, small task, the digits 5–9 from only a few pictures each, and "
           "learns it three ways: from scratch, by fine-tuning everything it knows, or by keeping its features and "
           "training only a new last layer.")
with st.expander("How does it work?"):
    st.markdown(
        "- **Task A** (pretraining): the digits 0–4, each drawn 16 × 16, scaled by 0.7–1.3, turned by up to "
        "15°, put anywhere on a 24 × 24 canvas and buried in noise, at a new place every epoch. **Task B**: "
        "the digits 5–9 drawn the same way but each placed once: 5, 20 or 100 training pictures a class, "
        "tested on the same 396 other pictures every time. Raw pixels are a poor guide here.\n"
        "- The network: three convolutions (with batch norm) and a global max pool make 64 **features** "
        "(\"is this pattern anywhere?\"); one linear layer, the **head**, turns them into class scores.\n"
        "- **From scratch**: fresh random weights, everything trains. **Fine-tune everything**: the features "
        "start from task A (learning slowly, 0.001), the head is new (0.01). **Frozen features, new head**: "
        "the features of task A stay exactly as they are; only the head trains.\n"
        "- The rule of thumb: little data and a similar task → train only the head; more data → fine-tune more "
        "layers; lots of data and a different task → training from scratch is fine too. Compare with what "
        "this run measures.\n"
        "- Untick **Pretrain on 0–4** for the control: the same three ways from untrained features.")

c1, c2, c3, c4 = st.columns([3, 2, 2, 1])
state.radio("features", "Features from", format_func=tj.FEATURE_LABELS.get, container=c1)
state.segmented_control("sizes", "Training pictures a class", format_func=lambda s: s.replace(",", ", "),
                        container=c2)
state.checkbox("pretrained", "Pretrain on 0–4", container=c3)
state.number_input("seed", "Seed", container=c4)
if state["features"] == "resnet18":
    tj.resnet_panel()
options = tj.options_from(state["sizes"], bool(state["pretrained"]), state["features"])
state.valid_or_stop(options)
seed = int(state["seed"])


def start() -> None:
    name = "transfer from 0–4 to 5–9" if options.pretrained else "5–9 from untrained features"
    st.session_state["tl.error"] = start_job(tj.JOB, **tl.job_arguments(options, seed=seed), name=name)


actions = job_actions(tj.JOB, start=start)
job = current_job(tj.JOB)
note = transport("tl", running=actions.running(), **actions.callbacks(), widths=(1, 1, 1, 4),
                 step_help="One more epoch. Pauses a running experiment first.",
                 reset_help="Back to the start: nothing trained.")
if st.session_state.get("tl.error"):
    st.error(st.session_state.pop("tl.error"))
if job is not None and tj.settings_changed(job, options):
    note.info("The settings have changed since this run started: press **Reset** to use them.")
if job is None:
    st.info("Press **Play** to pretrain on 0–4 and then learn 5–9 all three ways (about 25 seconds on one "
            "CPU core for 5, 20 and 100 pictures a class).")
else:
    job_panel(tj.JOB, tj.render, every=0.5, live=tj.live_view)

state.save()
