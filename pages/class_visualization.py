import streamlit as st

from playground import explain, figures, train
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import image_model
from playground.ui.jobs import job_panel, start_job
from playground.ui.urlstate import Field, PageState

ensure_navigation()

state = PageState("cv", {
    "goal": Field("classes", check=lambda v: v in ("classes", "channel", "fool")),
    "steps": Field(200, int, check=lambda v: 10 <= v <= 2000),
    "lr": Field(0.03, float, check=lambda v: 0 < v <= 10),
    "l2": Field(0.01, float, check=lambda v: 0 <= v <= 1),
    "jitter": Field(1, int, check=lambda v: 0 <= v <= 4),
    "blur": Field(0.3, float, check=lambda v: 0 <= v <= 2),
    "seed": Field(0, int, check=lambda v: v >= 0),
})
for problem in state.restore():
    st.warning(problem)

st.title("What does the network want to see?")
st.caption("Start from faint noise and change the picture, step by step, so that the network's score for a "
           "class (or one channel's activation) goes up. What appears is what that unit responds to.")

record, dataset = image_model("cv.model")
JOB_NAMES = {"classes": "pictures of each class", "channel": "pictures of a channel", "fool": "a fooling image"}
goal_labels = {"classes": "Each class's score", "channel": "One channel of a conv layer",
               "fool": "Fool it: noise it calls a class with 99 % confidence"}
st.radio("Make pictures for", list(goal_labels), format_func=goal_labels.get, key=state.key("goal"),
         horizontal=True)
goal = state["goal"]
options: dict = {}
if goal == "classes":
    chosen = st.multiselect("Classes", range(len(dataset.classes)), default=list(range(len(dataset.classes))),
                            format_func=lambda c: dataset.classes[c], key="cv.classes")
    options["classes"] = list(chosen)
elif goal == "channel":
    conv = explain.conv_layers(record.model())
    if not conv:
        st.info("This model has no convolution layers; choose another model or a class.")
        st.stop()
    c1, c2 = st.columns(2)
    layer = c1.selectbox("Layer", conv, format_func=lambda i: f"{i}: {record.spec['layers'][i]['type']}",
                         key="cv.layer")
    channels = record.spec["layers"][layer]["out_channels"]
    options.update(layer=int(layer), channel=int(c2.number_input(f"Channel (0–{channels - 1})", 0, channels - 1,
                                                                  key="cv.channel")))
else:
    options["target"] = st.selectbox("Class to fool it into", range(len(dataset.classes)),
                                     format_func=lambda c: dataset.classes[c], key="cv.target")

with st.expander("Settings", expanded=False):
    s1, s2, s3 = st.columns(3)
    s1.slider("Steps", 10, 1000, key=state.key("steps"), step=10)
    s1.select_slider("Step size", [0.01, 0.03, 0.05, 0.1, 0.3, 1.0], key=state.key("lr"))
    if goal != "fool":
        s2.select_slider("L2 penalty (keeps the picture faint)", [0.0, 0.001, 0.01, 0.1], key=state.key("l2"))
        s2.slider("Jitter (pixels of random shift each step)", 0, 4, key=state.key("jitter"))
        s3.slider("Blur (smooths away noise)", 0.0, 1.0, key=state.key("blur"), step=0.1)
    s3.number_input("Seed", 0, 2**31 - 1, key=state.key("seed"))
options["steps"] = state["steps"]
options["lr"] = state["lr"]
if goal != "fool":
    options.update(l2=state["l2"], jitter=state["jitter"], blur=state["blur"])



def make_pictures() -> None:
    trainer = "fooling_image" if goal == "fool" else "class_visualization"
    st.session_state["cv.error"] = start_job(
        "cv.job", record.spec, dataset, train.Config(epochs=1, seed=state["seed"]), trainer=trainer,
        init_weights=record.weights, options=options, name=JOB_NAMES[goal])


st.button("Make the pictures", type="primary", key="cv.start", on_click=make_pictures,
          disabled=goal == "classes" and not options.get("classes"))
if st.session_state.get("cv.error"):
    st.error(st.session_state.pop("cv.error"))


def show(job) -> None:
    frames = job.series("images")
    if not frames:
        st.caption("Starting…")
        return
    last = frames[-1]
    images = last["images"]
    if job.trainer == "fooling_image":
        target = job.options.get("target", 0)
        confidence = [f["confidence"] for f in frames]
        titles = [f"{dataset.classes[target]}: {confidence[-1]:.1%} sure (step {last['step']})"]
        left, right = st.columns([1, 2])
        left.plotly_chart(figures.image_grid_figure(images, titles, columns=1), key="cv.fool_image")
        right.plotly_chart(figures.series_figure([f["step"] for f in frames], confidence,
                                                 y_title=f"confidence it is {dataset.classes[target]}"),
                           key="cv.fool_curve")
        return
    opts = job.options
    if "channel" in opts and opts.get("layer") is not None:
        titles = [f"layer {opts['layer']}, channel {opts['channel']}"]
    else:
        titles = [f"{dataset.classes[c]} (score {s:.1f})" for c, s in zip(opts.get("classes", []), last["scores"])]
    st.plotly_chart(figures.image_grid_figure(images, titles, columns=5), key="cv.grid")
    st.caption(f"Step {last['step']} of {opts.get('steps', '?')}.")


job_panel("cv.job", show)
state.save()
