import streamlit as st

from playground.basics import approximation
from playground.figures.basics.lessons import approximation_error_figure, approximation_figure, number
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import memo
from playground.ui.urlstate import Field, PageState, choice, flag
from playground.ui.urlstate import number as number_field

ensure_navigation()

FORMULA = approximation.FORMULA
state = PageState("apx", {
    "target": choice("sine", approximation.CHOICES),
    "formula": Field("x^3 - 4*x", check=lambda v: len(v) <= 200),
    "activation": choice("sigmoid", approximation.ACTIVATIONS),
    "n": choice(8, approximation.SIZES),
    "seed": number_field(0, 0, 2**31 - 1),
    "units": flag(True),
})
for problem in state.restore():
    st.warning(problem)

st.title("Universal approximation")
st.caption("One hidden layer is enough to approximate any continuous function on an interval, if it has enough "
           "units. Each unit contributes one simple shape, vᵢ·g(wᵢ·x + bᵢ): a smooth step for sigmoid or tanh, a "
           "bend for ReLU. The network adds them up, f(x) = Σ vᵢ·g(wᵢ·x + bᵢ) + c, and training places and "
           "scales the shapes so that the sum follows the target.")

c1, c2, c3 = st.columns([2, 1, 1])
state.radio("target", "Target function", container=c1, horizontal=True,
            format_func=lambda t: "your formula" if t == FORMULA else approximation.TARGETS[t][0])
state.selectbox("activation", "Hidden activation g", container=c2)
state.number_input("seed", "Random seed", container=c3, help="Where the units start before training.")
if state["target"] == FORMULA:
    c1.text_input("Formula of x", key=state.key("formula"),
                  help="For example x^3 - 4*x, sin(3*x), exp(-x^2) * cos(4*x), relu(x - 1). Allowed: numbers, x, "
                       "pi, + − * / ^ and exp, log, sigmoid, tanh, relu, sin, cos, abs, sqrt.")
    target = state["formula"]
else:
    target = state["target"]
    c1.caption("y = " + approximation.TARGETS[target][1].replace(" * ", "·").replace("pi", "π").replace("-", "−"))
lo, hi = approximation.DOMAIN
try:
    approximation.check_target(target)
except approximation.TargetError as e:
    st.error(f"This formula cannot be used: {e}. Write a formula of x, for example x^3 - 4*x.")
    state.save()
    st.stop()

with st.spinner("Training networks with 2, 4, 8, 16 and 32 hidden units…"):
    fits = memo(("apx", target, state["activation"], state["seed"]),
                lambda: approximation.fit_sizes(target, activation=state["activation"], seed=state["seed"]))

state.select_slider("n", "Hidden units n")
state.toggle("units", "Show each unit's contribution",
             help="Units often grow large and cancel each other out; only their sum has to follow the target.")
fit = fits[state["n"]]
curves = approximation.fit_curves(fit, target)
left, right = st.columns([3, 2])
chart(approximation_figure(curves["x"], curves["target"], curves["contributions"], curves["prediction"],
                           n=fit.n, show_units=state["units"]), key="apx.fig.fit", container=left)
with right:
    st.metric(f"Error with {fit.n} units (root-mean-square)", number(fit.rmse))
    errors = [fits[n].rmse for n in approximation.SIZES]
    chart(approximation_error_figure(approximation.SIZES, errors, selected=fit.n), key="apx.fig.error")
    st.caption("Each doubling of the hidden layer gives the fit more shapes to work with. Every network is "
               f"trained on {approximation.POINTS} points of [{lo:g}, {hi:g}]; the error is measured on them.")
st.markdown("**Try:** the sine with 2 units cannot follow its three waves; with 8 it can. The absolute value "
            "is exactly two ReLU units (two bends make a V), while sigmoid units only come close. A very steep "
            "sigmoid unit is a step. The theorem promises that *enough* units exist; it does not say how many, "
            "nor that training will find them.")
state.save()
