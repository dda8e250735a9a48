import numpy as np
import streamlit as st

from playground import optim2d
from playground.figures.training_lab import race_figure, race_loss_figure
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import memo
from playground.ui.urlstate import Field, PageState

ensure_navigation()

DEFAULT_RACE = ["sgd", "momentum", "adam"]
LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
STEPS = 200
NETWORK = "network"  # a slice through a small trained network's loss, made on demand
SURFACE_CHOICES = [*optim2d.SURFACES, NETWORK]

state = PageState("opt", {
    "surface": Field("quadratic", check=lambda v: v in SURFACE_CHOICES),
    "condition": Field(10, int, check=lambda v: 1 <= v <= 100),
    "optimizers": Field(DEFAULT_RACE, parse=lambda t: t.split(","), format=",".join,
                        check=lambda v: all(name in optim2d.OPTIMIZERS for name in v)),
    "lr": Field(0.03, float, check=lambda v: v in LEARNING_RATES),
})
for problem in state.restore():
    st.warning(problem)

st.title("Optimizer race")
st.caption("Every optimizer starts from the same point on the same loss surface. Plain gradient descent "
           "zig-zags down narrow valleys; momentum builds up speed; Adam scales each direction by how large "
           "its gradients have been.")

c1, c2, c3 = st.columns([2, 3, 2])
c1.selectbox("Surface", SURFACE_CHOICES, key=state.key("surface"),
             format_func=lambda n: "slice of a small network's loss (XOR)" if n == NETWORK
             else optim2d.SURFACES[n].label)
if state["surface"] == "quadratic":
    c1.slider("Condition number (how much steeper one direction is)", 1, 100, key=state.key("condition"))
c2.pills("Optimizers", list(optim2d.OPTIMIZERS), selection_mode="multi", key=state.key("optimizers"))
c3.select_slider("Learning rate", LEARNING_RATES, key=state.key("lr"))
params = {"condition": state["condition"]} if state["surface"] == "quadratic" else {}
surface = optim2d.network_slice(seed=0) if state["surface"] == NETWORK else optim2d.surface(state["surface"], **params)
st.caption(surface.description)
chosen = [name for name in optim2d.OPTIMIZERS if name in (state["optimizers"] or [])]
if not chosen:
    st.info("Choose at least one optimizer.")
    state.save()
    st.stop()

key = (state["surface"], tuple(sorted(params.items())), tuple(chosen), state["lr"])
paths = memo(("race", *key), lambda: optim2d.race(surface, {name: {"lr": state["lr"]} for name in chosen},
                                                  steps=STEPS))
xs, ys, values = memo(("grid", state["surface"], tuple(sorted(params.items()))),
                      lambda: optim2d.surface_grid(surface))


if "opt.frame" not in st.session_state:
    st.session_state["opt.frame"] = STEPS


def play(playing: bool) -> None:
    # The wanted state is bound when the button is drawn, so a click that is delivered twice still means
    # what the button said (a toggle would undo it).
    st.session_state["opt.playing"] = playing
    if playing and st.session_state["opt.frame"] >= STEPS:
        st.session_state["opt.frame"] = 0


@st.fragment(run_every=0.25 if st.session_state.get("opt.playing") else None)
def race_view() -> None:
    playing = st.session_state.get("opt.playing", False)
    if playing:
        st.session_state["opt.frame"] = min(st.session_state["opt.frame"] + 5, STEPS)
        if st.session_state["opt.frame"] >= STEPS:
            st.session_state["opt.playing"] = False
            st.rerun()
    # The slider is redrawn at the current frame each time; dragging it moves the frame.
    frame = st.session_state["opt.frame"]
    chosen = st.slider("Step", 0, STEPS, value=frame, key=f"opt.step.{frame}", disabled=playing)
    if chosen != frame:
        st.session_state["opt.frame"] = frame = chosen
    left, right = st.columns([3, 2])
    left.plotly_chart(race_figure(xs, ys, values, {n: t.points for n, t in paths.items()}, upto=frame,
                                  minimum=surface.minimum), key="opt.fig.race")
    with right:
        st.plotly_chart(race_loss_figure({n: t.losses for n, t in paths.items()}, upto=frame), key="opt.fig.loss")
        rows = [f"- **{n}**: loss {t.losses[min(frame, len(t.losses) - 1)]:.4g}" for n, t in paths.items()]
        st.markdown(f"After {frame} steps:\n" + "\n".join(rows))


# Outside the fragment: starting or pausing reruns the page, which sets the fragment's timer.
st.button("⏸ Pause" if st.session_state.get("opt.playing") else "▶ Play", on_click=play, key="opt.play",
          args=(not st.session_state.get("opt.playing", False),))
race_view()

# ---- Adam's update, with the numbers ----------------------------------------------------------
if "adam" in chosen:
    st.subheader("Adam's update, with the numbers")
    trace = memo(("adam", *key), lambda: optim2d.adam_steps(surface, lr=state["lr"], steps=STEPS))
    t = max(1, min(st.session_state["opt.frame"], len(trace)))
    s = trace[t - 1]

    def vec(a) -> str:
        return r"\begin{pmatrix}" + r"\\".join(f"{v:.4g}" for v in np.asarray(a)) + r"\end{pmatrix}"

    st.markdown(f"Step t = {s.t}, with β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸ and learning rate {state['lr']}:")
    st.latex(r"g_t = \nabla f(\theta_{t-1}) = " + vec(s.grad))
    st.latex(r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t = " + vec(s.m) + r"\qquad "
             r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 = " + vec(s.v))
    st.latex(r"\hat m_t = \frac{m_t}{1-\beta_1^t} = " + vec(s.m_hat) + r"\qquad "
             r"\hat v_t = \frac{v_t}{1-\beta_2^t} = " + vec(s.v_hat))
    st.latex(r"\theta_t = \theta_{t-1} - \frac{\eta\, \hat m_t}{\sqrt{\hat v_t} + \epsilon} = "
             + vec(np.asarray(s.theta)))
    st.caption("The bias corrections matter early: m and v start at zero, so without them the first steps "
               "would be far too small. These values are the same as PyTorch's own Adam optimizer computes.")

state.save()
