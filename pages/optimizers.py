import streamlit as st

from playground.figures.training_lab.race import race_figure, race_loss_figure
from playground.training_lab import optim2d
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import memo
from playground.ui.transport import transport
from playground.ui.urlstate import Field, PageState, choice, number

ensure_navigation()

STEPS = 200
ORDER = list(optim2d.OPTIMIZERS)  # each optimizer keeps its colour, symbol and dash whichever others race

state = PageState("opt", {
    "surface": choice("quadratic", optim2d.race_surfaces()),
    "condition": number(10, *map(int, optim2d.CONDITION_RANGE)),
    "optimizers": Field(["sgd", "momentum", "adam"], parse=lambda t: t.split(","), format=",".join,
                        check=lambda v: all(name in optim2d.OPTIMIZERS for name in v)),
    "lr": choice(0.03, optim2d.LEARNING_RATES),
})
for problem in state.restore():
    st.warning(problem)

st.title("Optimizer race")
st.caption("Every optimizer starts from the same point on the same loss surface. Plain gradient descent "
           "zig-zags down narrow valleys; momentum builds up speed; Adam scales each direction by how large "
           "its gradients have been.")

c1, c2, c3 = st.columns(3)
quadratic = state["surface"] == "quadratic"
if quadratic:
    state.slider("condition", "Condition number κ (how much steeper one direction is)", container=c2)
# The surface's name and its description both come from the surface built with the slider's κ.
state.selectbox("surface", "Surface", container=c1,
                format_func=lambda n, kappa=state["condition"]: optim2d.race_surface_label(n, condition=kappa))
state.select_slider("lr", "Learning rate", container=c3)
state.pills("optimizers", "Optimizers", options=ORDER, selection_mode="multi")
params = (state["surface"], state["condition"] if quadratic else None)
surface = memo(("surface", *params), lambda: optim2d.race_surface(state["surface"], condition=state["condition"]))
st.caption(surface.description)
chosen = [name for name in ORDER if name in (state["optimizers"] or [])]
if not chosen:
    st.info("Choose at least one optimizer.")
    state.save()
    st.stop()

key = (*params, tuple(chosen), state["lr"])
paths = memo(("race", *key), lambda: optim2d.race(surface, {name: {"lr": state["lr"]} for name in chosen},
                                                  steps=STEPS))
diverged = {name: t.diverged_at for name, t in paths.items()}
if any(step is not None for step in diverged.values()):
    st.warning("⚠ Diverged: " + ", ".join(f"**{n}** at step {s}" for n, s in diverged.items() if s is not None)
               + f". Learning rate {state['lr']} is too large for them on this surface: each step overshoots "
               "further than the last. Try a smaller one.")
xs, ys, values = memo(("grid", *params), lambda: optim2d.surface_grid(surface))
adam = memo(("adam", *key), lambda: optim2d.adam_steps(surface, lr=state["lr"], steps=STEPS)) if "adam" in chosen \
    else None

if "opt.frame" not in st.session_state:
    st.session_state["opt.frame"] = STEPS


def go_to(frame: int, *, playing: bool = False) -> None:
    st.session_state["opt.frame"], st.session_state["opt.playing"] = frame, playing


def play() -> None:
    go_to(0 if st.session_state["opt.frame"] >= STEPS else st.session_state["opt.frame"], playing=True)


def loss_line(name: str, frame: int) -> str:
    trajectory, step = paths[name], diverged[name]
    if step is not None and frame >= step:
        return (f"- **{name}**: ⚠ **diverged at step {step}** (it left the surface; last loss "
                f"{trajectory.losses[step - 1]:.3g})")
    return f"- **{name}**: loss {trajectory.losses[min(frame, len(trajectory.losses) - 1)]:.4g}"


def tex(v: float) -> str:
    """4 significant digits, tiny or huge ones as m × 10^k (LaTeX would typeset 1e-05 as 1e − 05)."""
    mantissa, _, exponent = f"{v:.4g}".partition("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}" if exponent else mantissa


def vec(a) -> str:
    return r"\begin{pmatrix}" + r"\\".join(tex(v) for v in a) + r"\end{pmatrix}"


def adam_panel(frame: int) -> None:
    """Adam's update equations with the numbers of the step on screen (step 1 while the race is at its start)."""
    st.subheader("Adam's update, with the numbers")
    s = adam[max(1, min(frame, len(adam))) - 1]
    where = "" if frame >= 1 else " (the race is at its start: this is the first update)"
    st.markdown(f"Step t = {s.t}{where}, with β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸ and learning rate {state['lr']}:")
    st.latex(r"g_t = \nabla f(\theta_{t-1}) = " + vec(s.grad))
    st.latex(r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t = " + vec(s.m) + r"\qquad "
             r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 = " + vec(s.v))
    st.latex(r"\hat m_t = \frac{m_t}{1-\beta_1^t} = " + vec(s.m_hat) + r"\qquad "
             r"\hat v_t = \frac{v_t}{1-\beta_2^t} = " + vec(s.v_hat))
    st.latex(r"\theta_t = \theta_{t-1} - \frac{\eta\, \hat m_t}{\sqrt{\hat v_t} + \epsilon} = " + vec(s.theta))
    st.caption("The bias corrections matter early: m and v start at zero, so without them the first steps "
               "would be far too small. These values are the same as PyTorch's own Adam optimizer computes.")


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
    picked = st.slider("Step", 0, STEPS, value=frame, key=f"opt.step.{frame}", disabled=playing)
    if picked != frame:
        st.session_state["opt.frame"] = frame = picked
    left, right = st.columns([3, 2])
    chart(race_figure(xs, ys, values, {n: t.points for n, t in paths.items()}, upto=frame,
                      minimum=surface.minimum, diverged=diverged, order=ORDER), key="opt.fig.race", container=left)
    with right:
        chart(race_loss_figure({n: t.losses for n, t in paths.items()}, upto=frame, diverged=diverged,
                               order=ORDER), key="opt.fig.loss")
        st.markdown(f"After {frame} steps:\n" + "\n".join(loss_line(n, frame) for n in paths))
    if adam is not None:  # inside the fragment, so it follows the Step slider and Play
        adam_panel(frame)


# Outside the fragment: starting or pausing reruns the page, which sets the fragment's timer.
transport("opt", running=st.session_state.get("opt.playing", False), play=play,
          pause=lambda: go_to(st.session_state["opt.frame"]), reset=lambda: go_to(0),
          step=lambda: go_to(min(st.session_state["opt.frame"] + 1, STEPS)),
          step_help="One step of the race, then stop")
race_view()
state.save()
