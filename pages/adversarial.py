import streamlit as st

from playground import figures
from playground.explain_attack import attacks, explain
from playground.explain_attack.attacks import prediction
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import image_key, image_model, input_image, memo, model_changed, model_key
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
st.caption("A change too small to see can make a network change its mind. Move ε, the size of change allowed, "
           "and watch the prediction.")

record, dataset = image_model("adv.model")
model = record.model()
names = dataset.classes
if model_changed("adv", record):  # the old model's class names must not stay in the Aim box
    state["target"] = -1
EPSILON_MEANS = {"Linf": "the largest change to any pixel (pixels run from 0 to 1)",
                 "L2": "the length of the whole change (square root of the sum of squared pixel changes)"}
left, right = st.columns([2, 3])
with left:
    picked = input_image(dataset, key="adv.input", state=state)
    state.radio("attack", "Attack", horizontal=True,
                format_func={"fgsm": "FGSM (one step)", "pgd": "PGD (many small steps)"}.get)
    pgd = state["attack"] == "pgd"
    if pgd:
        state.radio("norm", "Size of the change measured as", horizontal=True,
                    format_func={"Linf": "largest pixel change (L∞)", "L2": "overall length (L2)"}.get)
    norm = state["norm"] if pgd else "Linf"  # FGSM is an L∞ attack
    state.select_slider("epsilon", f"ε: {EPSILON_MEANS[norm]}")
    if pgd:
        state.slider("steps", "Steps")
        state.select_slider("step", "Step size", format_func=lambda v: "auto (2.5·ε / steps)" if v == 0 else str(v))
        state.selectbox("target", "Aim", options=[-1, *range(len(names))],
                        format_func=lambda c: ("away from the true class (untargeted)" if c < 0
                                               else f"towards {names[c]}"))
target = None if not pgd or state["target"] < 0 else state["target"]
epsilon = state["epsilon"]

if picked is not None:
    x, label, caption = picked
    before, before_conf = prediction(model, x)
    label = before if label is None else label
    adversarial = memo(("adv", *model_key(record), image_key(x), state["attack"], epsilon, state["steps"],
                        state["step"], norm, target), lambda: attacks.attack_image(
        model, x, label, state["attack"], epsilon, steps=state["steps"], step_size=state["step"], norm=norm,
        target=target))
    after, after_conf = prediction(model, adversarial)
    size = attacks.change_size(x, adversarial, norm)
    with right:
        chart(figures.adversarial_figure(
  *attacks.triptych(x, adversarial),
  labels=(f"original: {names[before]} ({before_conf:.0%})", "the change",
          f"adversarial: {names[after]} ({after_conf:.0%})")), key="adv.triptych")
        moved = (f"no pixel moved by more than {size:.3f}" if norm == "Linf"
                 else f"a change of length {size:.3f} (L2)")
        if target is not None and after != target:
            st.warning(f"**The target {names[target]} was not reached**: the network now says **{names[after]}** "
                       f"({after_conf:.0%} sure; it said {names[before]} before), with {moved}. "
                       "Try a larger ε or more steps.", icon=":material/close:")
        elif after != before:
            st.error(f"**The network changed its mind**: {names[before]} → **{names[after]}** ({after_conf:.0%} "
                     f"sure), with {moved}.", icon=":material/warning:")
        else:
            st.success(f"Still **{names[after]}** ({after_conf:.0%}). Try a larger ε.", icon=":material/check:")
        st.caption("Saliency (absolute gradient) of the predicted class, before and after:")
        maps = {f"before: {names[before]}": explain.attribution_map(model, x, before, "saliency", "absolute"),
                f"after: {names[after]}": explain.attribution_map(model, adversarial, after, "saliency", "absolute")}
        chart(figures.methods_figure(x[0].numpy(), maps, signed={k: False for k in maps}, columns=3),
              key="adv.saliency")

st.subheader("Accuracy against ε on the test set")
st.caption("The same attack on the first 300 test images, for ε from 0 to 0.3. At ε = 0 it is the clean accuracy.")
curve_key = ("adv.curve", *model_key(record))


def measure() -> None:
    grid = list(attacks.CURVE_EPSILONS)
    with st.spinner("Attacking 300 images at 7 strengths…"):
        memo(curve_key, lambda: {
            "FGSM": attacks.accuracy_curve(model, dataset, grid, "fgsm", n=300),
            "PGD (10 steps)": attacks.accuracy_curve(model, dataset, grid, "pgd", n=300, steps=10)})


st.button("Measure", key="adv.measure", on_click=measure)
curves = st.session_state.get("_memo", {}).get(curve_key)
if curves:
    clean = float(curves["FGSM"]["accuracy"].iloc[0])
    chart(figures.accuracy_curve_figure(curves, clean_accuracy=clean), key="adv.curve")
state.save()
