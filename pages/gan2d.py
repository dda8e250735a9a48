import numpy as np
import pandas as pd
import streamlit as st

from playground import gan2d
from playground.figures.gan import (
    DISTANCE_CHART,
    LIVE_PALETTE,
    LOSSES_CHART,
    gan_curves_figure,
    gan_plane_figure,
    placement_figure,
    plane_scene_frame,
)
from playground.train import ACTIVE, OPTIMIZERS, ConfigError
from playground.ui import live, session
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import memo
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.share import presenting
from playground.ui.urlstate import Field, PageState, bool_field, json_field

ensure_navigation()

JOB = "gan.job"
LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03]
WIDTHS = [2, 4, 8, 16, 32, 64, 128]
ROUNDS = [500, 1000, 2000, 3000, 5000, 10000, 20000]
PLACE_STEP = 0.5  # spacing of the clickable dots, in plane units
DEFAULT_POINTS = [[-1.5, 1.0], [1.5, 1.0], [0.0, -1.5]]


def _points_ok(value) -> bool:
    try:
        gan2d.GanOptions(points=value).validate()  # well-formed; an empty list is allowed here
    except ConfigError:
        return False
    return True


fields = {
    "target": Field("ring", check=lambda v: v in gan2d.TARGETS),
    "points": json_field(DEFAULT_POINTS, check=_points_ok),
    "noise_dim": Field(2, int, check=lambda v: 1 <= v <= 8),
    "rounds": Field(3000, int, check=lambda v: v in ROUNDS),
    "seed": Field(0, int, check=lambda v: 0 <= v < 2**31),
    "heatmap": bool_field(True),
    "arrows": bool_field(True),
}
for who in ("g", "d"):
    fields |= {
        f"{who}_layers": Field(2, int, check=lambda v: 0 <= v <= 4),
        f"{who}_width": Field(32, int, check=lambda v: v in WIDTHS),
        f"{who}_activation": Field("relu", check=lambda v: v in gan2d.ACTIVATION_CHOICES),
        f"{who}_optimizer": Field("adam", check=lambda v: v in OPTIMIZERS),
        f"{who}_lr": Field(0.001, float, check=lambda v: v in LEARNING_RATES),
        f"{who}_steps": Field(1, int, check=lambda v: 1 <= v <= 10),
    }
state = PageState("gan", fields)
for problem in state.restore():
    st.warning(problem)

st.title("2-D GAN")
st.caption("A generator learns to make points that look like the target's, only by trying to fool a "
           "discriminator. Watch the two networks play their game on the plane.")
with st.expander("What are the two networks doing?", expanded=True):
    st.markdown(
        "- The **generator G** (the *forger*) takes random numbers and turns them into points on the plane "
        "(**black crosses**). It never sees the real points.\n"
        "- The **discriminator D** (the *inspector*) looks at a point and says how likely it is to be real. "
        "The background shows its verdict everywhere: **red** means \"real\", **blue** means \"fake\", white "
        "means it cannot tell.\n"
        "- Each round D studies a batch of real points (**green circles**) and fakes, and gets better at "
        "catching fakes. Then G moves its points along the **orange arrows**, towards where D says \"real\".\n"
        "- When G's points cover the target like the real ones, D can no longer tell them apart: the plane "
        "turns white, D says 0.5 everywhere, and the distance to the target falls near zero.\n"
        "- G only learns the target through D: it improves because D keeps catching it, and D stays sharp "
        "because G keeps getting better.")
    st.markdown("Written as one game, D tries to make this value large and G tries to make it small "
                "(x: real points, z: G's random numbers):")
    st.latex(r"\min_G \max_D \; \mathbb{E}_{x}\big[\log D(x)\big] + \mathbb{E}_{z}\big[\log(1 - D(G(z)))\big]")
    st.caption("Here G, as in most real GANs, makes log D(G(z)) large instead of log(1 − D(G(z))) small: the same "
               "goal, but with strong gradients at the start, when D rejects every fake with ease.")

# ---- Target ----------------------------------------------------------------------------------
st.radio("Target", list(gan2d.TARGETS), format_func=lambda n: gan2d.TARGETS[n].label, horizontal=True,
         key=state.key("target"))
if state["target"] == "points":
    axis = np.arange(-gan2d.EXTENT, gan2d.EXTENT + 1e-9, PLACE_STEP)
    placed = [list(p) for p in state["points"]]
    chart_key = f"gan.fig.place.{len(placed)}.{hash(str(placed)) % 10**6}"  # a new chart clears its selection

    def toggle_points() -> None:
        """One clicked spot turns a point on or off there; a box adds every spot inside it."""
        points = [list(p) for p in state["points"]]
        hits = []
        for hit in st.session_state[chart_key]["selection"]["points"]:
            xy = [round(float(hit["x"]) / PLACE_STEP) * PLACE_STEP, round(float(hit["y"]) / PLACE_STEP) * PLACE_STEP]
            if xy not in hits:  # a placed point lies on a grid dot: both may be picked
                hits.append(xy)
        if len(hits) == 1 and hits[0] in points:
            points.remove(hits[0])
        else:
            points += [xy for xy in hits if xy not in points][: gan2d.MAX_POINTS - len(points)]
        state["points"] = points

    def clear_points() -> None:
        state["points"] = []

    left, right = st.columns([3, 2])
    left.plotly_chart(placement_figure(axis, np.array(placed)), key=chart_key, on_select=toggle_points,
                      selection_mode=("points", "box"))
    right.markdown("**Place your target.** Click a grey dot to add a point there; click a green point to take "
                   "it away. To add many at once, choose *Box Select* in the plot's toolbar (top right) and drag "
                   "over grey dots. Each point becomes a small blob of real points.")
    right.button("Clear all points", key="gan.clear", on_click=clear_points)
    right.caption(f"{len(placed)} point{'s' if len(placed) != 1 else ''} placed.")

# ---- Networks and training ---------------------------------------------------------------------
with st.expander("Networks and training", expanded=False):
    columns = st.columns(2)
    for column, who, title in ((columns[0], "g", "Generator G (forger)"), (columns[1], "d", "Discriminator D "
                                                                                          "(inspector)")):
        with column:
            st.markdown(f"**{title}**")
            a, b = st.columns(2)
            a.slider("Hidden layers", 0, 4, key=state.key(f"{who}_layers"))
            b.select_slider("Neurons per layer", WIDTHS, key=state.key(f"{who}_width"))
            a.selectbox("Activation", gan2d.ACTIVATION_CHOICES, key=state.key(f"{who}_activation"))
            b.selectbox("Optimizer", OPTIMIZERS, key=state.key(f"{who}_optimizer"))
            a.select_slider("Learning rate", LEARNING_RATES, key=state.key(f"{who}_lr"))
            b.slider("Updates per round", 1, 10, key=state.key(f"{who}_steps"))
    c1, c2, c3 = st.columns(3)
    c1.slider("Noise numbers per point (G's input)", 1, 8, key=state.key("noise_dim"))
    c2.select_slider("Rounds", ROUNDS, key=state.key("rounds"))
    c3.number_input("Seed", 0, 2**31 - 1, key=state.key("seed"))
    st.caption("Adam runs with β₁ = 0.5, as is usual for GANs. Changes apply when you press Reset (or Play after "
               "a run ends).")

options = gan2d.GanOptions(
    target=state["target"], points=[list(p) for p in state["points"]], noise_dim=state["noise_dim"],
    rounds=state["rounds"],
    **{f"{who}_{name}": state[f"{who}_{name}"] for who in ("g", "d")
       for name in ("activation", "optimizer", "lr", "steps")},
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


# ---- Play, pause, step, reset ------------------------------------------------------------------
def _start(paused: bool) -> None:
    st.session_state["gan.error"] = start_job(JOB, **gan2d.job_arguments(options, seed=seed),
                                              name=f"GAN on the {gan2d.TARGETS[options.target].label}")
    job = current_job(JOB)
    if paused and job is not None and not st.session_state["gan.error"]:
        job.pause()
        job.step(1, "epoch")


def play_pause(pause: bool) -> None:
    """What the button said when it was clicked (bound when drawn, so a click delivered twice does not undo
    itself)."""
    job = current_job(JOB)
    if pause:
        if job is not None and job.status in ("queued", "running"):
            job.pause()
    elif job is None or job.status not in ACTIVE:
        _start(paused=False)
    elif job.status == "paused":
        job.resume()


def step() -> None:
    job = current_job(JOB)
    if job is None or job.status not in ACTIVE:
        _start(paused=True)
    elif job.status == "paused":
        job.step(1, "epoch")
    else:
        job.pause()


def reset() -> None:
    job = current_job(JOB)
    if job is not None and job.status in ACTIVE:
        job.stop()
    st.session_state.pop(JOB, None)


job = current_job(JOB)
running = job is not None and job.status in ("queued", "running")
b1, b2, b3, note = st.columns([1, 1, 1, 4])
b1.button("Pause" if running else "Play", icon=":material/pause:" if running else ":material/play_arrow:",
          key="gan.play", on_click=play_pause, args=(running,), type="primary", width="stretch")
b2.button("Step", icon=":material/skip_next:", key="gan.step", **session.once("gan.step", step), width="stretch",
          help="One round: D's updates, then G's. Pauses a running game first.")
b3.button("Reset", icon=":material/restart_alt:", key="gan.reset", on_click=reset, width="stretch",
          help="Back to round 0 with fresh networks.")
if st.session_state.get("gan.error"):
    st.error(st.session_state.pop("gan.error"))
if job is not None and job.options != options.to_dict():
    note.info("The settings have changed since this game started: press **Reset** to use them.")

v1, v2 = st.columns(2)
v1.checkbox("Show D's verdict (background)", key=state.key("heatmap"))
v2.checkbox("Show where G pushes its points (arrows)", key=state.key("arrows"))


# ---- The game ----------------------------------------------------------------------------------
def show(frame: dict, first: dict, history, real: np.ndarray, *, live: bool) -> None:
    """The counters, the plane and the curves for one picture of the game."""
    m1, m2, m3, m4 = st.columns(4)
    change = frame["distance"] - first["distance"]
    text = gan2d.frame_metrics(frame)
    m1.metric("Round", text["Round"])
    m2.metric("Distance to the target", text["Distance to the target"],
              delta=f"{change:+.3f} since round 0" if frame["round"] and abs(change) >= 0.0005 else None,
              delta_color="inverse", help="Sliced Wasserstein distance between 1,000 generated and 1,000 real "
                                          "points, in plane units: how far, on average, points must move to match.")
    m3.metric("D on real points", text["D on real points"], help="D's average chance that a real point is real.")
    m4.metric("D on generated points", text["D on generated points"],
              help="D's average chance that a generated point is real: 50 % on both means it cannot tell.")
    left, right = st.columns([3, 2])
    left.plotly_chart(gan_plane_figure(gan2d.grid_axis(len(frame["grid"])),
                                       frame["grid"] if state["heatmap"] else None, real, frame["samples"],
                                       arrows=frame["arrows"] if state["arrows"] else None),
                      key="gan.fig.plane")
    right.plotly_chart(gan_curves_figure(history), key="gan.fig.curves")
    right.caption(CURVES_CAPTION)
    if not live:
        st.caption("Round 0: the networks are untrained. Press **Play** to run the game, or **Step** to go "
                   "one round at a time.")


CURVES_CAPTION = ("Dotted lines: each loss when D cannot tell real from fake (2 ln 2 ≈ 1.39 for D, ln 2 ≈ 0.69 "
                  "for G). The game rarely settles exactly there; what matters is the distance going down.")


def show_live(job) -> None:
    """While the game runs: live boards that the browser redraws from the job's feed by itself (no
    page reruns, so the buttons answer at once); the page's figures come back when it stops."""
    shown = st.session_state.setdefault("gan.shown", {})  # the producer reads it: the check boxes' now
    shown.update(heatmap=bool(state["heatmap"]), arrows=bool(state["arrows"]))
    token = live.feed_for(f"{JOB}.feed", job, lambda: gan2d.live_producer(job, shown))
    first = live.FEEDS.read(token)
    job_options = gan2d.GanOptions.from_dict(job.options)
    real = _target(job_options, job.config.seed).x_train[: job_options.shown].numpy()
    large = presenting()
    live.board(token, [live.status(job.name), live.metrics("Round", "Distance to the target", "D on real points",
                                                            "D on generated points")],
               key="gan.live.numbers", first=first, only=[], interval=0.4)
    left, right = st.columns([3, 2])
    with left:
        frame = plane_scene_frame(gan2d.grid_axis(job_options.grid), real, heatmap=state["heatmap"], large=large)
        live.board(token, [live.scene("plane", frame, height=560 if not large else 720, margin=(50, 150, 10, 48))],
                   key="gan.live.plane", first=first, only=["plane"], notify=False, interval=0.4, palette=LIVE_PALETTE)
        st.caption("Green circles: real points · black crosses: G's points · orange arrows: where G moves them. "
                   "Pause to hover over the plane.")
    with right:
        live.board(token, [live.chart("losses", **LOSSES_CHART, empty="No rounds yet"),
                           live.chart("distance", **DISTANCE_CHART, empty="No distance yet")],
                   key="gan.live.curves", first=first, only=["losses", "distance"], notify=False, interval=0.4)
        st.caption(CURVES_CAPTION)


def _target(opts: gan2d.GanOptions, run_seed: int):
    return memo(("gan.target", repr(opts.target), repr(opts.points), run_seed),
                lambda: gan2d.target_dataset(opts, seed=run_seed))


def _latest_frame(job, frames: list, job_options: gan2d.GanOptions) -> dict:
    """The newest picture: the trainer's last one, or, once paused, one drawn from the weights it published
    then (the trainer's pictures come a few times a second, so the last may be some rounds behind)."""
    frame = frames[-1]
    weights = job.weights
    if job.status == "running" or weights is None:
        return frame
    data = _target(job_options, job.config.seed)
    current = memo(("gan.weights", job.id, id(weights)), lambda: gan2d.Gan2d.from_weights(
        job_options, data.x_train, weights, seed=job.config.seed).frame(data.x_test))
    return current if current["round"] > frame["round"] else frame


def _untrained(opts: gan2d.GanOptions, run_seed: int) -> tuple[dict, pd.DataFrame]:
    """Round 0's picture, drawn here (a few milliseconds), and a history holding only its distance."""
    def draw() -> dict:
        data = _target(opts, run_seed)
        return gan2d.Gan2d(opts, data.x_train, seed=run_seed).frame(data.x_test)

    frame = memo(("gan.round0", repr(opts.to_dict()), run_seed), draw)
    return frame, pd.DataFrame({"epoch": [0], "d_loss": [np.nan], "g_loss": [np.nan], "distance": [frame["distance"]]})


def render(job) -> None:
    job_options = gan2d.GanOptions.from_dict(job.options)
    frames = job.series("frames")
    if not frames:
        frame, history = _untrained(job_options, job.config.seed)
        show(frame, frame, history, _target(job_options, job.config.seed).x_train[: job_options.shown].numpy(),
             live=True)
        st.caption("Starting the game…")
        return
    frame = _latest_frame(job, frames, job_options)
    real = _target(job_options, job.config.seed).x_train[: job_options.shown].numpy()
    show(frame, frames[0], job.history_since(0), real, live=True)
    if job.status == "paused":
        st.caption("Paused. **Step** plays one round; **Play** carries on.")
    elif job.status == "done":
        st.success(f"Finished {job_options.rounds:,} rounds. Press **Play** to start a new game with the current "
                   "settings.")


if job is None:
    frame, history = _untrained(options, seed)
    show(frame, frame, history, _target(options, seed).x_train[: options.shown].numpy(), live=False)
else:
    job_panel(JOB, render, every=0.4, live=show_live)

state.save()
