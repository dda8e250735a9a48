import streamlit as st

from playground.jobs.train import OPTIMIZERS, ConfigError
from playground.latent_space import gan2d
from playground.ui import gan2d_view as view
from playground.ui.boot import ensure_navigation
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.transport import job_actions, transport
from playground.ui.urlstate import PageState, choice, flag, json_field, number

ensure_navigation()


def _points_ok(value) -> bool:
    try:
        gan2d.GanOptions(points=value).validate()  # well-formed; an empty list is allowed here
    except ConfigError:
        return False
    return True


fields = {
    "target": choice("ring", tuple(gan2d.TARGETS)),
    "points": json_field(gan2d.DEFAULT_POINTS, check=_points_ok),
    "noise_dim": number(2, 1, 8),
    "rounds": choice(3000, gan2d.ROUNDS),
    "seed": number(0, 0, 2**31 - 1),
    "heatmap": flag(True),
    "arrows": flag(True),
}
for who in ("g", "d"):
    fields |= {
        f"{who}_layers": number(2, 0, 4),
        f"{who}_width": choice(32, gan2d.WIDTHS),
        f"{who}_activation": choice("relu", gan2d.ACTIVATION_CHOICES),
        f"{who}_optimizer": choice("adam", OPTIMIZERS),
        f"{who}_lr": choice(0.001, gan2d.LEARNING_RATES),
        f"{who}_steps": number(1, 1, 10),
    }
state = PageState("gan", fields)
for problem in state.restore():
    st.warning(problem)

st.title("2-D GAN")
st.caption("A generator learns to make points that look like the target's, only by trying to fool a "
           "discriminator. Watch the two networks play their game on the plane.")
view.explain()

state.radio("target", "Target", format_func=lambda n: gan2d.TARGETS[n].label, horizontal=True)
if state["target"] == "points":
    view.place_points([list(p) for p in state["points"]], lambda points: state.__setitem__("points", points))

with st.expander("Networks and training", expanded=False):
    columns = st.columns(2)
    for column, who, title in ((columns[0], "g", "Generator G (forger)"),
                               (columns[1], "d", "Discriminator D (inspector)")):
        with column:
            st.markdown(f"**{title}**")
            a, b = st.columns(2)
            state.slider(f"{who}_layers", "Hidden layers", container=a)
            state.select_slider(f"{who}_width", "Neurons per layer", container=b)
            state.selectbox(f"{who}_activation", "Activation", container=a)
            state.selectbox(f"{who}_optimizer", "Optimizer", container=b)
            state.select_slider(f"{who}_lr", "Learning rate", container=a)
            state.slider(f"{who}_steps", "Updates per round", container=b)
    c1, c2, c3 = st.columns(3)
    state.slider("noise_dim", "Noise numbers per point (G's input)", container=c1)
    state.select_slider("rounds", "Rounds", container=c2)
    state.number_input("seed", "Seed", container=c3)
    st.caption("Adam runs with β₁ = 0.5, as is usual for GANs. Changes apply when you press Reset (or Play after "
               "a run ends).")

# The view's check boxes come before anything that may stop the page, so that they are always drawn and
# keep their values whatever happens to the target (a widget left undrawn loses its value).
v1, v2 = st.columns(2)
state.checkbox("heatmap", "Show D's verdict (background)", container=v1)
state.checkbox("arrows", "Show where G pushes its points (arrows)", container=v2)
shown = {"heatmap": state["heatmap"], "arrows": state["arrows"]}

options = gan2d.GanOptions(
    target=state["target"], points=[list(p) for p in state["points"]], noise_dim=state["noise_dim"],
    rounds=state["rounds"],
    **{f"{who}_{name}": state[f"{who}_{name}"] for who in ("g", "d") for name in ("activation", "optimizer", "lr",
                                                                                  "steps")},
    g_hidden=[state["g_width"]] * state["g_layers"], d_hidden=[state["d_width"]] * state["d_layers"])
try:
    options.validate()
except ConfigError as e:
    if state["target"] == "points" and not state["points"]:
        st.warning("Place at least one point on the plane above: the generator needs something to imitate.")
    else:
        st.error(str(e))
    state.save()
    st.stop()
seed = int(state["seed"])


def start() -> None:
    st.session_state["gan.error"] = start_job(view.JOB, **gan2d.job_arguments(options, seed=seed),
                                              name=f"GAN on the {gan2d.TARGETS[options.target].label}")


actions = job_actions(view.JOB, start=start)
job = current_job(view.JOB)
note = transport("gan", running=actions.running(), **actions.callbacks(), widths=(1, 1, 1, 4),
                 step_help="One round: D's updates, then G's. Pauses a running game first.",
                 reset_help="Back to round 0 with fresh networks.")
if st.session_state.get("gan.error"):
    st.error(st.session_state.pop("gan.error"))
if job is not None and job.options != options.to_dict():
    note.info("The settings have changed since this game started: press **Reset** to use them.")

if job is None:
    view.show_untrained(options, seed, shown)
else:
    job_panel(view.JOB, view.renderer(shown), every=0.4, live=view.live_view(shown))

state.save()
