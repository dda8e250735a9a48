import streamlit as st

from playground import attacks, explain, figures
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import image_model, input_image, memo, model_key
from playground.ui.urlstate import PageState, choice, number

ensure_navigation()

EPSILONS = [round(0.01 * k, 2) for k in range(0, 31)]
STEP_SIZES = [0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]  # 0: 2.5·ε/steps, enough to cross the ε-ball

state = PageState("adv", {
    "image": number(0, 0),
    "epsilon": choice(0.1, EPSILONS),
    "attack": choice("fgsm", ("fgsm", "pgd")),
    "steps": number(20, 1, 100),
    "norm": choice("Linf", ("Linf", "L2")),
    "target": number(-1, -1),
    "step": choice(0.0, STEP_SIZES),
})
for problem in state.restore():
    st.warning(problem)

st.title("Adversarial examples")
st.caption("A change too small to see can make a network change its mind. Move ε, the largest change allowed "
           "to any pixel, and watch the prediction.")

record, dataset = image_model("adv.model")
model = record.model()
names = dataset.classes
left, right = st.columns([2, 3])
with left:
    x, label, caption = input_image(dataset, key="adv.input", index_key=state.key("image"))
    if label is None:
        label = int(attacks.predict(model, x)[0])
    state.radio("attack", "Attack", horizontal=True,
                format_func={"fgsm": "FGSM (one step)", "pgd": "PGD (many small steps)"}.get)
    state.select_slider("epsilon", "ε: the largest change to any pixel (pixels run from 0 to 1)")
    target = None
    if state["attack"] == "pgd":
        state.slider("steps", "Steps")
        state.select_slider("step", "Step size", format_func=lambda v: "auto (2.5·ε / steps)" if v == 0 else str(v))
        state.radio("norm", "Size of the change measured as", horizontal=True,
                    format_func={"Linf": "largest pixel change (L∞)", "L2": "overall length (L2)"}.get)
        state.selectbox("target", "Aim", options=[-1, *range(len(names))],
                        format_func=lambda c: "away from the true class (untargeted)" if c < 0 else f"towards {names[c]}")
        target = None if state["target"] < 0 else state["target"]

epsilon = state["epsilon"]


def make_adversarial():
    import torch

    y = torch.tensor([label])
    if state["attack"] == "fgsm":
        return attacks.fgsm(model, x, y, epsilon)
    steps = state["steps"]
    step_size = state["step"] or (2.5 * epsilon / steps if epsilon else 0.01)
    return attacks.pgd(model, x, y, epsilon, steps, step_size=step_size, target=target, norm=state["norm"])


adversarial = memo(("adv", *model_key(record), caption, float(x.sum()), state["attack"], epsilon, state["steps"],
                    state["step"], state["norm"], target), make_adversarial)
before, before_conf = (t.item() for t in attacks.predict(model, x))
after, after_conf = (t.item() for t in attacks.predict(model, adversarial))
with right:
    perturbation = (adversarial - x)[0].numpy()
    st.plotly_chart(figures.adversarial_figure(
        x[0].numpy(), perturbation, adversarial[0].numpy(),
        labels=(f"original: {names[before]} ({before_conf:.0%})", "the change",
                f"adversarial: {names[after]} ({after_conf:.0%})")), key="adv.triptych")
    changed = after != before
    message = (f"**The network changed its mind**: {names[before]} → **{names[after]}** ({after_conf:.0%} sure), "
               f"with no pixel moved by more than {abs(perturbation).max():.3f}."
               if changed else f"Still **{names[after]}** ({after_conf:.0%}). Try a larger ε.")
    (st.error if changed else st.success)(message)
    st.caption("Saliency (absolute gradient) of the predicted class, before and after:")
    maps = {f"before: {names[before]}": explain.to_map(explain.attribute(model, x, before, "saliency"),
                                                      "absolute")[0].numpy(),
            f"after: {names[after]}": explain.to_map(explain.attribute(model, adversarial, after, "saliency"),
                                                    "absolute")[0].numpy()}
    st.plotly_chart(figures.methods_figure(x[0].numpy(), maps, signed={k: False for k in maps}, columns=3),
                    key="adv.saliency")

st.subheader("Accuracy against ε on the test set")
st.caption("The same attack on the first 300 test images, for ε from 0 to 0.3. At ε = 0 it is the clean accuracy.")
curve_key = ("adv.curve", *model_key(record))


def measure() -> None:
    grid = [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3]
    with st.spinner("Attacking 300 images at 7 strengths…"):
        memo(curve_key, lambda: {
            "FGSM": attacks.accuracy_curve(model, dataset, grid, "fgsm", n=300),
            "PGD (10 steps)": attacks.accuracy_curve(model, dataset, grid, "pgd", n=300, steps=10)})


st.button("Measure", key="adv.measure", on_click=measure)
curves = st.session_state.get("_memo", {}).get(curve_key)
if curves:
    clean = float(curves["FGSM"]["accuracy"].iloc[0])
    st.plotly_chart(figures.accuracy_curve_figure(curves, clean_accuracy=clean), key="adv.curve")
state.save()
