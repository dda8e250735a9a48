import pandas as pd
import streamlit as st

from playground.basics import neuron
from playground.figures.basics.lessons import (
    activation_figure,
    neuron_output_figure,
    number,
    perceptron_figure,
    perceptron_weights_figure,
    xor_hidden_figure,
)
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import memo
from playground.ui.urlstate import PageState, choice
from playground.ui.urlstate import number as number_field

ensure_navigation()

state = PageState("neuron", {
    "w1": number_field(1.0, -5.0, 5.0, step=0.1),
    "w2": number_field(-1.0, -5.0, 5.0, step=0.1),
    "b": number_field(0.5, -5.0, 5.0, step=0.1),
    "activation": choice("sigmoid", neuron.ACTIVATIONS),
    "gate": choice("AND", neuron.GATES),
    "step": number_field(0, 0),
    "xor": choice("trained", neuron.XOR_MODES),
    "seed": number_field(0, 0, 2**31 - 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("Neuron & activations")
st.caption("A neuron multiplies each input by a weight, adds a bias, and passes the sum z through an "
           "activation function: y = g(w₁·x₁ + w₂·x₂ + b). Everything a network does is built from this.")

# ---- One neuron over the plane ----------------------------------------------------------------
st.subheader("One neuron with two inputs")
controls, plot = st.columns([1, 2])
with controls:
    state.slider("w1", "Weight w₁")
    state.slider("w2", "Weight w₂")
    state.slider("b", "Bias b")
    state.selectbox("activation", "Activation g", format_func=lambda name: neuron.ACTIVATIONS[name].label)
    w1, w2, b = state["w1"], state["w2"], state["b"]
    activation = neuron.ACTIVATIONS[state["activation"]]
    st.markdown(f"z = {number(w1)}·x₁ {'−' if w2 < 0 else '+'} {number(abs(w2))}·x₂ {'−' if b < 0 else '+'} "
                f"{number(abs(b))}  \n"
                f"y = {activation.label}(z)")
    st.caption(f"The dashed line is where z = 0 (the output there is {number(activation.threshold)}). "
               "The weights set its direction, the bias shifts it. On one side the neuron says 'yes', on "
               "the other 'no': a single neuron can only ever draw a straight line.")
xs, ys, out = neuron.neuron_grid(w1, w2, b, state["activation"])
chart(neuron_output_figure(xs, ys, out, neuron.decision_line(w1, w2, b), activation=activation.label),
      key="neuron.fig.plane", container=plot)

# ---- Activation and derivative ----------------------------------------------------------------
st.subheader("The activation and its slope")
saturated = neuron.saturated_intervals(state["activation"])
chart(activation_figure(*neuron.activation_curve(state["activation"]), saturated, label=activation.label),
      key="neuron.fig.activation")
where = ", ".join(f"{number(lo)} ≤ z ≤ {number(hi)}" for lo, hi in saturated) or "nowhere"
st.markdown(f"**{activation.label}**: {activation.description}  \nSaturated (slope below 5 % of its peak) "
            f"on [−6, 6]: {where}.")
st.caption("Backpropagation multiplies by this slope at every neuron a gradient passes through, so where it is "
           "close to zero the neurons before it learn next to nothing. Change the activation above to compare.")

# ---- The perceptron rule ------------------------------------------------------------------------
st.subheader("The perceptron learning rule, step by step")
st.caption("The perceptron is a neuron with a step activation. It looks at one point at a time; when it is "
           "wrong it moves its line towards the point: w ← w + (t − ŷ)·x and b ← b + (t − ŷ), where t is the "
           "right answer and ŷ its own. It starts from w₁ = w₂ = b = 0. The tint shows what it answers now: "
           "blue for 1, orange for 0.")
run = memo(("perceptron", state["gate"]), lambda: neuron.perceptron(state["gate"]))
last = len(run.steps)
state["step"] = min(state["step"], last)


def move(delta: int) -> None:
    state["step"] = max(0, min(state["step"] + delta, last))


def jump(to: int) -> None:
    state["step"] = to


state.radio("gate", "Gate", horizontal=True, on_change=jump, args=(0,),
            format_func=lambda g: f"{g} (outputs {', '.join(str(int(t)) for t in neuron.GATES[g])})")
b1, b2, b3, b4, _ = st.columns([1, 1, 1, 1, 2])
b1.button("Reset", icon=":material/restart_alt:", key="neuron.reset", on_click=jump, args=(0,), width="stretch")
b2.button("Previous", icon=":material/chevron_left:", key="neuron.prev", on_click=move, args=(-1,),
          disabled=state["step"] == 0, width="stretch")
b3.button("Next", icon=":material/chevron_right:", key="neuron.next", on_click=move, args=(1,),
          disabled=state["step"] >= last, width="stretch")
b4.button("Last step", icon=":material/skip_next:", key="neuron.end", on_click=jump, args=(last,),
          width="stretch")

k = state["step"]
weights = neuron.weights_after(run, k)
left, right = st.columns([3, 2])
chart(perceptron_figure(neuron.GATE_INPUTS, neuron.GATES[state["gate"]].astype(int), weights,
                        neuron.decision_line(*weights, bounds=(-0.5, 1.5)),
                        current=run.steps[k - 1].point if k else None),
      key="neuron.fig.perceptron", container=left)
with right:
    st.markdown(neuron.explain_step(run, k, number=number))
    if k == last:
        (st.success if run.converged else st.error)(run.verdict)
    chart(perceptron_weights_figure(neuron.weight_history(run), upto=k), key="neuron.fig.perceptron_weights")
with st.expander("All steps so far"):
    st.dataframe(pd.DataFrame(neuron.steps_table(run, k)), hide_index=True, width="stretch")

# ---- XOR with a hidden layer -------------------------------------------------------------------
st.subheader("One hidden layer solves XOR")
st.caption("Two hidden neurons each draw their own line. Their outputs (h₁, h₂) are new coordinates for every "
           "point, and in those coordinates the two classes of XOR can be split by the output neuron's single line.")
c1, c2 = st.columns([2, 1])
state.radio("xor", "Hidden weights", container=c1, horizontal=True, format_func=neuron.XOR_MODES.get)
if state["xor"] == "trained":
    state.number_input("seed", "Random seed", container=c2)
    net = memo(("xor", state["seed"]), lambda: neuron.xor_network(state["seed"]))
    st.caption(f"A 2-2-1 network with tanh hidden neurons and a sigmoid output, trained on the four points "
               f"for {len(net.losses)} steps (final loss {number(net.losses[-1])}). With only two hidden "
               f"neurons training can get stuck; this seed needed {net.starts} random "
               f"start{'s' if net.starts > 1 else ''}.")
else:
    net = neuron.hand_xor_network()
    st.caption("Step neurons: h₁ fires for x₁ + x₂ ≥ 0.5 (OR), h₂ for x₁ + x₂ ≥ 1.5 (AND); the output fires for "
               "h₁ − 2·h₂ ≥ 0.5, i.e. 'OR but not AND', which is XOR. (0, 1) and (1, 0) land on the same point.")
bounds = neuron.hidden_extent(net)
line = neuron.decision_line(*net.output_weights, net.output_bias, bounds=bounds)
chart(xor_hidden_figure(*neuron.output_grid(net), neuron.GATE_INPUTS, neuron.hidden_points(net),
                        neuron.GATES["XOR"].astype(int), line, hidden_extent=bounds), key="neuron.fig.xor")
st.dataframe(pd.DataFrame(neuron.xor_table(net)), hide_index=True)
st.markdown(f"Accuracy on the four points: **{net.accuracy():.0%}**")
state.save()
