"""The 2-D GAN's game on the page: the explanation, the placing grid of a user's own target, and the
game itself (counters, the plane and the curves), live while it runs and as figures otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from playground.figures.latent_space.gan2d import (
    DISTANCE_CHART,
    LIVE_PALETTE,
    LOSSES_CHART,
    gan_curves_figure,
    gan_plane_figure,
    placement_figure,
    plane_scene_frame,
)
from playground.latent_space import gan2d
from playground.ui import live
from playground.ui.charts import chart
from playground.ui.inputs import memo, weights_key
from playground.ui.share import presenting

JOB = "gan.job"
CURVES_CAPTION = ("Dotted lines: each loss when D cannot tell real from fake (2 ln 2 ≈ 1.39 for D, ln 2 ≈ 0.69 "
                  "for G). The game rarely settles exactly there; what matters is the distance going down.")


def explain() -> None:
    """What the two networks do, and the game they play, in words and one formula."""
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
        st.caption("Here G, as in most real GANs, makes log D(G(z)) large instead of log(1 − D(G(z))) small: the "
                   "same goal, but with strong gradients at the start, when D rejects every fake with ease.")


def place_points(placed: list, set_points) -> None:
    """The grid to place a target's points on: a click toggles one, a box adds many; `set_points(list)`
    keeps the new list. Clearing them touches nothing else on the page."""
    axis = np.arange(-gan2d.EXTENT, gan2d.EXTENT + 1e-9, gan2d.PLACE_STEP)
    chart_key = f"gan.fig.place.{len(placed)}.{hash(str(placed)) % 10**6}"  # a new chart clears its selection

    def toggle() -> None:
        hits = [(hit["x"], hit["y"]) for hit in st.session_state[chart_key]["selection"]["points"]]
        set_points(gan2d.toggle_points(placed, hits))

    left, right = st.columns([3, 2])
    chart(placement_figure(axis, np.array(placed)), key=chart_key, on_select=toggle,
          selection_mode=("points", "box"), container=left)
    right.markdown("**Place your target.** Click a grey dot to add a point there; click a green point to take "
                   "it away. To add many at once, choose *Box Select* in the plot's toolbar (top right) and drag "
                   "over grey dots. Each point becomes a small blob of real points.")
    right.button("Clear all points", key="gan.clear", on_click=lambda: set_points([]))
    right.caption(f"{len(placed)} point{'s' if len(placed) != 1 else ''} placed.")


def target(opts: gan2d.GanOptions, run_seed: int):
    """The target's real points (a `Dataset`), kept for the session."""
    return memo(("gan.target", repr(opts.target), repr(opts.points), run_seed),
                lambda: gan2d.target_dataset(opts, seed=run_seed))


def _real(opts: gan2d.GanOptions, run_seed: int) -> np.ndarray:
    return target(opts, run_seed).x_train[: opts.shown].numpy()


def show(frame: dict, first: dict, history, real: np.ndarray, shown: dict) -> None:
    """The counters, the plane and the curves for one picture of the game; `shown`: which of D's
    verdict ("heatmap") and G's arrows ("arrows") the plane draws."""
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
    chart(gan_plane_figure(gan2d.grid_axis(len(frame["grid"])), frame["grid"] if shown["heatmap"] else None,
                           real, frame["samples"], arrows=frame["arrows"] if shown["arrows"] else None),
          key="gan.fig.plane", container=left)
    chart(gan_curves_figure(history), key="gan.fig.curves", container=right)
    right.caption(CURVES_CAPTION)


def untrained(opts: gan2d.GanOptions, run_seed: int) -> tuple[dict, pd.DataFrame]:
    """Round 0's picture, drawn here (a few milliseconds), and a history holding only its distance."""
    def draw() -> dict:
        data = target(opts, run_seed)
        return gan2d.Gan2d(opts, data.x_train, seed=run_seed).frame(data.x_test)

    frame = memo(("gan.round0", repr(opts.to_dict()), run_seed), draw)
    return frame, pd.DataFrame({"epoch": [0], "d_loss": [np.nan], "g_loss": [np.nan], "distance": [frame["distance"]]})


def show_untrained(opts: gan2d.GanOptions, run_seed: int, shown: dict) -> None:
    frame, history = untrained(opts, run_seed)
    show(frame, frame, history, _real(opts, run_seed), shown)
    st.caption("Round 0: the networks are untrained. Press **Play** to run the game, or **Step** to go "
               "one round at a time.")


def _latest_frame(job, frames: list, job_options: gan2d.GanOptions) -> dict:
    """The newest picture: the trainer's last one, or, once paused, one drawn from the weights it published
    then (the trainer's pictures come a few times a second, so the last may be some rounds behind)."""
    frame, weights = frames[-1], job.weights
    if job.status == "running" or weights is None:
        return frame
    data = target(job_options, job.config.seed)
    current = memo(("gan.weights", job.id, weights_key(weights)), lambda: gan2d.Gan2d.from_weights(
        job_options, data.x_train, weights, seed=job.config.seed).frame(data.x_test))
    return current if current["round"] > frame["round"] else frame


def renderer(shown: dict):
    """`render(job)` for `job_panel`: the game as it stands once it stops running."""
    def render(job) -> None:
        opts = gan2d.GanOptions.from_dict(job.options)
        frames = job.series("frames")
        if not frames:
            frame, history = untrained(opts, job.config.seed)
            show(frame, frame, history, _real(opts, job.config.seed), shown)
            st.caption("Starting the game…")
            return
        show(_latest_frame(job, frames, opts), frames[0], job.history_since(0), _real(opts, job.config.seed), shown)
        if job.status == "paused":
            st.caption("Paused. **Step** plays one round; **Play** carries on.")
        elif job.status == "done":
            st.success(f"Finished {opts.rounds:,} rounds. Press **Play** to start a new game with the current "
                       "settings.")
    return render


def live_view(shown: dict):
    """`live(job)` for `job_panel`: boards that the browser redraws from the job's feed by itself (no
    page reruns, so the buttons answer at once); the page's figures come back when it stops."""
    def show_live(job) -> None:
        kept = st.session_state.setdefault("gan.shown", {})  # the producer reads it: the check boxes' now
        kept.update(heatmap=bool(shown["heatmap"]), arrows=bool(shown["arrows"]))
        token = live.feed_for(f"{JOB}.feed", job, lambda: gan2d.live_producer(job, kept))
        first = live.FEEDS.read(token)
        opts = gan2d.GanOptions.from_dict(job.options)
        large = presenting()
        live.board(token, [live.status(job.name), live.metrics("Round", "Distance to the target", "D on real points",
                                                                "D on generated points")],
                   key="gan.live.numbers", first=first, only=[], interval=0.4)
        left, right = st.columns([3, 2])
        with left:
            frame = plane_scene_frame(gan2d.grid_axis(opts.grid), _real(opts, job.config.seed),
                                      heatmap=shown["heatmap"], large=large)
            live.board(token, [live.scene("plane", frame, height=560 if not large else 720, margin=(50, 150, 10, 48))],
                       key="gan.live.plane", first=first, only=["plane"], notify=False, interval=0.4,
                       palette=LIVE_PALETTE)
            st.caption("Green circles: real points · black crosses: G's points · orange arrows: where G moves them. "
                       "Pause to hover over the plane.")
        with right:
            live.board(token, [live.chart("losses", **LOSSES_CHART, empty="No rounds yet"),
                               live.chart("distance", **DISTANCE_CHART, empty="No distance yet")],
                       key="gan.live.curves", first=first, only=["losses", "distance"], notify=False, interval=0.4)
            st.caption(CURVES_CAPTION)
    return show_live
