import streamlit as st

from playground import figures
from playground.explain_attack import attacks
from playground.jobs import train
from playground.jobs.runs import RunRecord
from playground.ui import session
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import image_model, memo, model_key
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.urlstate import PageState, choice, number

ensure_navigation()

SOFTMAX_SPEC = {"input_shape": [1, 8, 8], "layers": [{"type": "linear", "out_features": 10}]}
SOFTMAX_NAME = "softmax regression on digits"

state = PageState("rob", {
    "image": number(0, 0),
    "to": number(-1, -1, 9),  # -1: the runner-up class
    "alpha": number(0.0, 0.0, 1.0, step=0.02),
    "epsilon": choice(0.1, attacks.TRAINING_EPSILONS),
    "epochs": number(3, 1, 20),
})
for problem in state.restore():
    st.warning(problem)

st.title("Fooling and hardening")
st.caption("Two classic experiments: nudging a linear classifier along its own weights, and training a network "
           "on adversarial examples so that they stop working.")
digits = session.dataset("digits")


def keep_finished_job(job) -> None:
    """Put a finished run among the session's models (once)."""
    if job.status == "done" and job.name not in session.runs():
        dataset_ref = digits.ref() if job.name == SOFTMAX_NAME else job.options.get("dataset_ref", digits.ref())
        session.add_run(RunRecord.from_job(job, dataset_ref))


running = current_job("rob.job")
if running is not None:
    keep_finished_job(running)

# ---- Fooling a linear classifier -------------------------------------------------------------
st.subheader("1 · Fooling a linear classifier")
st.markdown("A softmax regression gives each class a weight image; its score is the dot product of the input "
            "with that image. Adding a little of *weights(target) − weights(true class)* raises the target's "
            "score and lowers the true one's, spread thinly over every pixel.")
linear = session.runs().get(SOFTMAX_NAME)
if linear is None or linear.model() is None:
    def train_linear() -> None:
        st.session_state["rob.error"] = start_job("rob.job", SOFTMAX_SPEC, digits,
                                                  train.Config(epochs=30, lr=0.01, seed=0), name=SOFTMAX_NAME)

    st.button("Train the softmax regression (a few seconds)", key="rob.train_linear", on_click=train_linear)
else:
    model = linear.model()
    c1, c2, c3 = st.columns(3)
    count = len(digits.x_test)
    index = state.number_input("image", f"Test image (0–{count - 1})", high=count - 1, container=c1)
    x, source = digits.x_test[index:index + 1], int(digits.y_test[index])
    second = int(attacks.runner_up(model, x)[0])
    state.selectbox("to", "Push it towards", container=c2,
                    options=[-1, *range(len(digits.classes))],
                    format_func=lambda c: "its runner-up class" if c < 0 else digits.classes[c])
    state.slider("alpha", "How much (α)", container=c3)
    target = second if state["to"] < 0 else state["to"]
    if target == source:
        st.info("Pick a class other than the image's own.")
    else:
        fooled = attacks.fool_linear(model, x[0], source, target, state["alpha"])[None]
        label, confidence = attacks.prediction(model, fooled)
        direction = attacks.linear_direction(model, source, target).numpy()
        chart(figures.adversarial_figure(
  *attacks.triptych(x, fooled),
  labels=(f"test image: {digits.classes[source]}", "the change",
          f"now: {digits.classes[label]} ({confidence:.0%})")),
  key="rob.linear")
        verdict = "still reads" if label == source else "now reads"
        st.markdown(f"Pushed towards **{digits.classes[target]}**. The classifier {verdict} "
                    f"**{digits.classes[label]}** ({confidence:.0%} sure); the largest pixel change is "
                    f"{attacks.change_size(x, fooled):.3f}.")
        st.caption("The direction itself, weights(target) − weights(true):")
        chart(figures.attribution_figure(x[0].numpy(), direction[0], signed=True, overlay=False,
                                         title="weights(target) − weights(true)"),
              key="rob.direction")

# ---- Adversarial training ----------------------------------------------------------------------
st.subheader("2 · Adversarial training")
st.markdown("Fine-tune a trained network on FGSM examples made on the fly, then compare how both hold up as ε "
            "grows.")
record, dataset = image_model("rob.model", label="Network to harden")
a1, a2 = st.columns(2)
state.select_slider("epsilon", "ε used while training", container=a1)
state.number_input("epochs", "Epochs", container=a2)


def harden() -> None:
    config = train.Config(epochs=state["epochs"], lr=0.003, batch_size=16, seed=0)
    st.session_state["rob.error"] = start_job(
        "rob.job", record.spec, dataset, config, trainer="adversarial", init_weights=record.weights,
        options={"epsilon": state["epsilon"], "mix": 0.5, "dataset_ref": record.dataset, "source": record.name},
        name=session.unique_name(f"{record.name}, hardened ε={state['epsilon']}"))


st.button("Harden it", type="primary", key="rob.harden", on_click=harden)
if st.session_state.get("rob.error"):
    st.error(st.session_state.pop("rob.error"))


def show(job) -> None:
    if job.trainer == "adversarial":
        points = job.series("adversarial_accuracy")
        if points:
            last = points[-1]
            st.markdown(f"FGSM accuracy at ε = {last['epsilon']}: **{last['accuracy']:.1%}** after epoch "
                        f"{last['epoch']}.")
    if not job.history.empty:
        chart(figures.curves_figure(job.history), key="rob.curves")


if current_job("rob.job") is not None:
    st.subheader("Progress")
job_panel("rob.job", show)

finished = current_job("rob.job")
if finished is not None and finished.trainer == "adversarial" and finished.status == "done":
    hardened = session.runs().get(finished.name)
    original = session.runs().get(finished.options.get("source")) or next(
        (r for r in session.examples() if r.name == finished.options.get("source")), None)
    if hardened is not None and original is not None:
        grid = attacks.CURVE_EPSILONS
        with st.spinner("Attacking both networks…"):
            curves = memo(("rob.curves", *model_key(hardened)), lambda: {
                f"{original.name}": attacks.accuracy_curve(original.model(), dataset, grid, "fgsm", n=300),
                f"{hardened.name}": attacks.accuracy_curve(hardened.model(), dataset, grid, "fgsm", n=300)})
        chart(figures.accuracy_curve_figure(curves), key="rob.compare")
        st.caption("FGSM accuracy on 300 test images for each ε: the hardened network should hold up longer.")

state.save()
