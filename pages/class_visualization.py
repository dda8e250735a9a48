import streamlit as st

from playground import figures
from playground.explain_attack import explain, visualize
from playground.jobs import train
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import image_model, model_changed
from playground.ui.jobs import job_panel, start_job
from playground.ui.urlstate import Field, PageState, choice, number

ensure_navigation()

DEFAULTS, LIMITS = visualize.ClassImageOptions(), visualize.PAGE_LIMITS
state = PageState("cv", {
    "goal": choice("classes", visualize.GOALS),
    "classes": Field(None, parse=lambda t: [int(c) for c in t.split(",") if c],
                     format=lambda v: ",".join(map(str, v or [])),
                     check=lambda v: isinstance(v, list) and all(isinstance(c, int) and c >= 0 for c in v)),
    "layer": number(0, 0),
    "channel": number(0, 0),
    "target": number(0, 0),
    "steps": number(DEFAULTS.steps, *LIMITS["steps"], step=10),
    "lr": choice(DEFAULTS.lr, visualize.STEP_SIZES),
    "l2": choice(DEFAULTS.l2, visualize.L2_PENALTIES),
    "jitter": number(DEFAULTS.jitter, *LIMITS["jitter"]),
    "blur": number(DEFAULTS.blur, *LIMITS["blur"], step=0.1),
    "seed": number(0, 0, 2**31 - 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("What does the network want to see?")
st.caption("Start from faint noise and change the picture, step by step, so that the network's score for a "
           "class (or one channel's activation) goes up. What appears is what that unit responds to.")

record, dataset = image_model("cv.model")
names = list(dataset.classes)
conv = explain.conv_layers(record.model())
if model_changed("cv", record) or state["classes"] is None:  # the new model's classes, all of them
    state["classes"], state["target"] = list(range(len(names))), 0
    state["layer"], state["channel"] = (conv[0] if conv else 0), 0
JOB_NAMES = {"classes": "pictures of each class", "channel": "pictures of a channel", "fool": "a fooling image"}
goal_labels = {"classes": "Each class's score", "channel": "One channel of a conv layer",
               "fool": "Fool it: noise it calls a class with 99 % confidence"}
goal = state.radio("goal", "Make pictures for", format_func=goal_labels.get, horizontal=True)
options: dict = {"class_names": names}  # a note for the pictures' titles; the trainer ignores it
if goal == "classes":
    options["classes"] = state.multiselect("classes", "Classes", options=list(range(len(names))),
                                           format_func=names.__getitem__)
elif goal == "channel" and conv:
    c1, c2 = st.columns(2)
    layer = state.selectbox("layer", "Layer", options=conv, container=c1,
                            format_func=lambda i: f"{i}: {record.spec['layers'][i]['type']}")
    channels = record.spec["layers"][layer]["out_channels"]
    options.update(layer=layer, channel=state.number_input("channel", f"Channel (0–{channels - 1})",
                                                           high=channels - 1, container=c2))
elif goal == "channel":
    st.info("This model has no convolution layers; choose another model or a class.")
else:
    options["target"] = state.selectbox("target", "Class to fool it into", options=list(range(len(names))),
                                        format_func=names.__getitem__)

with st.expander("Settings", expanded=False):
    s1, s2, s3 = st.columns(3)
    state.slider("steps", "Steps", container=s1)
    state.select_slider("lr", "Step size", container=s1)
    if goal != "fool":
        state.select_slider("l2", "L2 penalty (keeps the picture faint)", container=s2)
        state.slider("jitter", "Jitter (pixels of random shift each step)", container=s2)
        state.slider("blur", "Blur (smooths away noise)", container=s3)
    state.number_input("seed", "Seed", container=s3)
options.update(steps=state["steps"], lr=state["lr"])
if goal != "fool":
    options.update(l2=state["l2"], jitter=state["jitter"], blur=state["blur"])


def make_pictures() -> None:
    trainer = "fooling_image" if goal == "fool" else "class_visualization"
    st.session_state["cv.error"] = start_job(
        "cv.job", record.spec, dataset, train.Config(epochs=1, seed=state["seed"]), trainer=trainer,
        init_weights=record.weights, options=options, name=JOB_NAMES[goal])


nothing = (goal == "classes" and not options.get("classes")) or (goal == "channel" and not conv)
st.button("Make the pictures", type="primary", key="cv.start", on_click=make_pictures, disabled=nothing)
if goal == "classes" and not options.get("classes"):
    st.caption("Choose at least one class.")
if st.session_state.get("cv.error"):
    st.error(st.session_state.pop("cv.error"))


def show(job) -> None:
    frames = job.series("images")
    if not frames:
        st.caption("Starting…")
        return
    last, opts = frames[-1], job.options
    job_names = opts.get("class_names", names)  # the names of the model the pictures were made for
    if job.trainer == "fooling_image":
        target = job_names[opts.get("target", 0)]
        confidence = [f["confidence"] for f in frames]
        left, right = st.columns([1, 2])
        chart(figures.image_grid_figure(
last["images"], [f"{target}: {confidence[-1]:.1%} sure (step {last['step']})"], columns=1),
key="cv.fool_image", container=left)
        chart(figures.series_figure([f["step"] for f in frames], confidence,
                                    y_title=f"confidence it is {target}"), key="cv.fool_curve", container=right)
        return
    if "channel" in opts and opts.get("layer") is not None:
        titles = [f"layer {opts['layer']}, channel {opts['channel']}"]
    else:
        titles = [f"{job_names[c]} (score {s:.1f})" for c, s in zip(opts.get("classes", []), last["scores"])]
    chart(figures.image_grid_figure(last["images"], titles, columns=5), key="cv.grid")
    st.caption(f"Step {last['step']} of {opts.get('steps', '?')}.")


job_panel("cv.job", show)
state.save()
