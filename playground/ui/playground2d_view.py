"""The 2-D Playground's pictures on the page: the network diagram and the output, live while a run
trains (boards the browser redraws by itself), as clickable figures otherwise; what a click on them
does (add or remove a point, pick a weight); and the weight editor.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from playground.basics import playground2d as p2
from playground.figures.basics.playground2d import (
    LOSS_CHART,
    PALE_PALETTE,
    loss_curves_figure,
    loss_text,
    network_figure,
    network_scene_frame,
    output_figure,
    output_scene_frame,
)
from playground.ui import live, session
from playground.ui.charts import chart
from playground.ui.share import presenting

DIAGRAM_CAPTION = ("Each link's colour and width show its weight (orange positive, blue negative); each small "
                   "square shows one neuron's output over the plane. ")
CAPTIONS = {
    "classification": "Pale orange areas: the network says orange; pale blue: blue; white: the boundary. Points "
                      "with a white edge are training data, with a black edge test data.",
    "regression": "The background is the predicted value (orange up to +1, blue down to −1, white 0); each point "
                  "is coloured by its true value. A good fit hides the points in their background. White edge: "
                  "training data; black edge: test data.",
}
CLICK_MODES = {
    "classification": {"add0": "add a blue point", "add1": "add an orange point", "remove": "remove a point"},
    "regression": {"value": "add a point with the value below", "remove": "remove a point"},
}
CLICK_VALUES = {"add0": 0.0, "add1": 1.0}


@dataclasses.dataclass
class Board:
    """What both pictures need: the run, the raw points (a `Dataset` of x₁, x₂), the chosen inputs,
    the loss, whether test points show, the hidden sizes, and where the two columns are."""

    run: object  # playground.ui.playground2d_run.PlaygroundRun
    points: object
    features: list
    loss: str
    show_test: bool
    hidden: list
    net_col: object
    out_col: object

    @property
    def labels(self) -> list[str]:
        return [p2.FEATURES[f][0] for f in self.features]

    def _data(self) -> tuple:
        p = self.points
        return (p.x_train.numpy(), p.y_train.numpy().reshape(-1), p.x_test.numpy(), p.y_test.numpy().reshape(-1))

    def show_live(self, job) -> None:
        """While the run trains: live boards that the browser redraws from the run's feed by itself."""
        session.page_polls()
        run = self.run
        token = live.feed_for("pg.feed", job, lambda: p2.live_producer(
            job, run.spec, run.dataset, self.loss, self.features, list(st.session_state["pg.curve"]),
            start=run.own_view(self.loss)))
        first, large = live.FEEDS.read(token), presenting()
        sizes = (len(self.features), *self.hidden, 1)
        with self.net_col:
            live.board(token, [live.scene("network", network_scene_frame(sizes, self.labels, large=large),
                                          margin=(60, 10, 10, 10))],
                       key="pg.live.network", first=first, only=["network"], notify=False, interval=0.45)
            st.caption(DIAGRAM_CAPTION + "Pause to pick a weight.")
        with self.out_col:
            frame = output_scene_frame(*self._data(), task=run.task, show_test=self.show_test, large=large)
            live.board(token, [live.metrics("Epoch", "Training loss", "Test loss"),
                               live.scene("output", frame, height=330, margin=(40, 100, 10, 40)),
                               live.chart("loss", **{**LOSS_CHART, "height": 180})],
                       key="pg.live.output", first=first, only=["loss", "output"], interval=0.45,
                       palette=PALE_PALETTE)
            st.caption(CAPTIONS[run.task])

    def show_still(self, edits: p2.PointEdits, train_pct: int) -> None:
        """Paused, finished or not started: the figures, which take clicks (add points, pick a weight)."""
        live.close_feed("pg.feed")
        run = self.run
        view = run.view(self.loss)
        picked = st.session_state.get("pg.pick") if st.session_state.get("pg.picked") else None
        network = network_figure(p2.neuron_grids(view.net, self.features, resolution=21), view.net.blocks,
                                 self.labels, selected=picked, width=460)
        output = output_figure(p2.neuron_grids(view.net, self.features, resolution=51)[-1][0], *self._data(),
                               task=run.task, show_test=self.show_test, clickable=24)
        output.update_layout(height=330, margin={"t": 20, "b": 40, "l": 40, "r": 10})
        with self.net_col:
            clicks = st.session_state.get("pg.net_clicks", 0)
            chart(network, key=f"pg.fig.net.{clicks}", on_select=lambda: _on_diagram_click(view.net),
                  selection_mode="points", config={"displayModeBar": False})
            st.caption(DIAGRAM_CAPTION + "Click a link or a bias square to pick it.")
        with self.out_col:
            m1, m2, m3 = st.columns(3)
            m1.metric("Epoch", f"{view.epoch:,}")
            m2.metric("Training loss", loss_text(view.train_loss))
            m3.metric("Test loss", loss_text(view.test_loss))
            chart(output, key=f"pg.fig.output.{st.session_state.get('pg.clicks', 0)}",
                  on_select=lambda: _on_output_click(edits, train_pct), selection_mode="points",
                  config={"displayModeBar": False})
            curves = loss_curves_figure(*run.curve())
            curves.update_layout(height=180)
            chart(curves, key="pg.fig.curves", config={"displayModeBar": False})
            st.caption(CAPTIONS[run.task])


def _clicked(key: str) -> list[dict]:
    event = st.session_state.get(key)
    return list(event["selection"]["points"]) if event and event.get("selection") else []


def _on_output_click(edits: p2.PointEdits, train_pct: int) -> None:
    """Add or remove a point where the output picture was clicked."""
    clicks = _clicked(f"pg.fig.output.{st.session_state.get('pg.clicks', 0)}")
    st.session_state["pg.clicks"] = st.session_state.get("pg.clicks", 0) + 1  # a new chart: no selection left
    st.session_state["pg.points"] = click_edits(edits, clicks, st.session_state.get("pg.click_mode", "add0"),
                                                st.session_state.get("pg.click_value", 0.5), train_pct).to_dict()


def click_edits(edits: p2.PointEdits, clicks: list[dict], mode: str, value: float, train_pct: int) -> p2.PointEdits:
    """`edits` after the first of `clicks` (Plotly points) in click mode `mode` ("add0", "add1", "value",
    "remove"); a removal needs a data point, whose customdata names its part and index."""
    for click in clicks[:1]:
        if mode == "remove":
            where = p2.customdata_ints(click.get("customdata"), 2)
            if where is not None:
                return edits.removing(*where, n=p2.N_POINTS, test_fraction=1 - train_pct / 100)
        elif "x" in click and "y" in click:
            return edits.adding(click["x"], click["y"], CLICK_VALUES.get(mode, value))
    return edits


def weight_choices(net) -> list[tuple[int, int, int]]:
    """Every weight and bias as (layer, row, column), unit by unit."""
    return [(layer, row, column) for layer, block in enumerate(net.blocks)
            for column in range(block.shape[1]) for row in range(block.shape[0])]


def _on_diagram_click(net) -> None:
    """Pick the weight whose link (or bias marker) was clicked."""
    clicks = _clicked(f"pg.fig.net.{st.session_state.get('pg.net_clicks', 0)}")
    st.session_state["pg.net_clicks"] = st.session_state.get("pg.net_clicks", 0) + 1
    for click in clicks[:1]:
        pick = p2.customdata_ints(click.get("customdata"), 3)
        if pick is not None and pick in weight_choices(net):
            st.session_state["pg.pick"], st.session_state["pg.picked"] = pick, True
            st.session_state["pg.pick_index"] = weight_choices(net).index(pick)


def click_controls(task: str, edits: p2.PointEdits, running: bool, reset_points) -> None:
    """What a click on the output does, the value of added points, and the count of edits."""
    modes = CLICK_MODES[task]
    if st.session_state.get("pg.click_mode") not in modes:
        st.session_state["pg.click_mode"] = next(iter(modes))
    st.radio("A click on the output picture will", list(modes), format_func=modes.get, key="pg.click_mode",
             horizontal=True)
    if running:
        st.caption("Pause first: the picture takes clicks while training stands still.")
    if task == "regression":
        st.slider("Value of added points", -1.0, 1.0, 0.5, 0.1, key="pg.click_value")
    if edits.added or edits.removed:
        added, removed = len(edits.added), len(edits.removed)
        st.caption(f"{added} point{'s' * (added != 1)} added, {removed} removed.")
        st.button("Reset the points", key="pg.reset_points", on_click=reset_points)


def weight_editor(run, loss: str, labels: list[str], running: bool) -> None:
    """Pick one weight (from a list, or by a click on the diagram) and set it by hand."""
    with st.expander("Change a weight by hand", expanded=st.session_state.get("pg.picked", False)):
        if running:
            st.caption("Pause first: a weight can be changed while training stands still.")
            return
        view = run.view(loss)
        choices = weight_choices(view.net)
        # The list offers positions in `choices`: plain numbers keep the widget's value stable across reruns.
        if st.session_state.get("pg.pick_index") not in range(len(choices)):
            st.session_state["pg.pick_index"] = 0
        e1, e2, e3 = st.columns([3, 2, 1], vertical_alignment="bottom")
        index = e1.selectbox("Weight", range(len(choices)), key="pg.pick_index",
                             format_func=lambda i: p2.weight_label(view.net, *choices[i], labels))
        pick = st.session_state["pg.pick"] = choices[index]
        if index:
            st.session_state["pg.picked"] = True
        current = float(view.net.blocks[pick[0]][pick[1], pick[2]])
        value_key = f"pg.new_value.{pick}.{current:.6f}"
        e2.number_input("New value", -100.0, 100.0, value=round(current, 4), step=0.1, format="%.4f", key=value_key)
        e3.button("Set", key="pg.apply_weight",
                  on_click=lambda: run.edit_weight(pick, st.session_state.get(value_key, current)))
        st.caption(f"Now {current:.4f}. The pictures follow at once; Play or Step trains on from the new value.")
