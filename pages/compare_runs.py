import streamlit as st

from playground import models, train
from playground.figures.training_lab import runs_figure, sweep_figure
from playground.presets import PRESETS
from playground.runs import RunRecord
from playground.settings import get_settings
from playground.sweep import LOG_SCALE, SWEEPABLE, sweep_configs
from playground.ui import session
from playground.ui.boot import ensure_navigation
from playground.ui.urlstate import Field, PageState, json_field

ensure_navigation()

METRICS = {"val_loss": "validation loss", "val_acc": "validation accuracy", "train_loss": "training loss",
           "train_acc": "training accuracy"}


def usable(name: str) -> bool:
    return session.has_dataset(name) and session.dataset_info(name).offline


state = PageState("cmp", {
    "metric": Field("val_loss", check=lambda v: v in METRICS),
    "dataset": Field("circle", check=usable),
    "preset": Field("mlp", check=lambda v: v in PRESETS),
    "setting": Field("lr", check=lambda v: v in SWEEPABLE),
    "values": json_field(None, check=lambda v: isinstance(v, list)),
})
for problem in state.restore():
    st.warning(problem)
if not usable(state["dataset"]):  # an upload of this session that has since been removed
    state["dataset"] = "circle"
if state["values"] is None or not set(state["values"]) <= set(SWEEPABLE[state["setting"]]):
    state["values"] = SWEEPABLE[state["setting"]][:4]

st.title("Compare runs")
st.caption("Every run you make in this session is kept: lay their curves over each other, or sweep one setting "
           "over a few values and see how the result depends on it.")

# ---- The session's runs ----------------------------------------------------------------------
records = {name: r for name, r in session.runs().items() if not r.history.empty}
if records:
    chosen = st.multiselect("Runs", list(records), default=list(records)[-6:], key="cmp.runs")
    metric = st.radio("Show", list(METRICS), format_func=METRICS.get, horizontal=True, key=state.key("metric"))
    st.plotly_chart(runs_figure({n: records[n].history for n in chosen}, metric=metric), key="cmp.fig.runs")
    table = session.runs_table()
    st.dataframe(table[table["run"].isin(chosen)], hide_index=True, width="stretch", column_config={
        "test accuracy": st.column_config.NumberColumn(format="percent"),
        "test loss": st.column_config.NumberColumn(format="%.4f"),
        "seconds": st.column_config.NumberColumn(format="%.1f")})
else:
    st.info("No runs yet: train on Build & Train, or start a sweep below.")

# ---- A sweep -----------------------------------------------------------------------------------
st.subheader("Sweep one setting")
s1, s2, s3 = st.columns(3)


def on_dataset_change() -> None:
    if session.dataset_info(state["dataset"]).kind != "image":
        state["preset"] = "mlp"


dataset_name = s1.selectbox("Dataset", [n for n in session.dataset_names() if usable(n)], key=state.key("dataset"),
                            on_change=on_dataset_change,
                            help="The built-in datasets that need no download, and your uploads.")
presets = list(PRESETS) if session.dataset_info(dataset_name).kind == "image" else ["mlp"]
preset_name = s2.selectbox("Network", presets, key=state.key("preset"))
setting = s3.selectbox("Setting to sweep", list(SWEEPABLE), key=state.key("setting"),
                       on_change=lambda: state.__setitem__("values", SWEEPABLE[state["setting"]][:4]),
                       format_func=lambda s: s.replace("_", " "))
values = st.multiselect("Values", SWEEPABLE[setting], key=state.key("values"))
base = train.Config(epochs=5, lr=0.01)


def start_sweep() -> None:
    try:
        configs = sweep_configs(base, setting, sorted(values))
    except (ValueError, train.ConfigError) as e:
        st.session_state["cmp.error"] = str(e)
        return
    st.session_state["cmp.sweep"] = {"setting": setting, "dataset": dataset_name, "preset": preset_name,
                                     "pending": [(getattr(c, setting), c) for c in configs], "runs": []}


st.button("Run the sweep", type="primary", key="cmp.start", on_click=start_sweep, disabled=not values)
if st.session_state.get("cmp.error"):
    st.error(st.session_state.pop("cmp.error"))
st.caption(f"Runs start {get_settings().max_jobs_per_session} at a time (the most one session may run at once); "
           "the others wait their turn. Other settings: 5 epochs, Adam, learning rate 0.01, batch 32.")

sweep = st.session_state.get("cmp.sweep")


def launch_next(sweep: dict) -> None:
    """Start pending runs while the session has room for them."""
    dataset = session.dataset(sweep["dataset"])
    spec = models.preset(sweep["preset"], dataset)
    while sweep["pending"] and len(session.active_runs()) < get_settings().max_jobs_per_session:
        value, config = sweep["pending"].pop(0)
        name = session.unique_name(f"sweep {sweep['setting']}={value}")
        try:
            job = train.start(spec, dataset, config, session=session.session_id(), name=name)
        except (models.SpecError, train.JobLimitError) as e:
            sweep["error"] = str(e)
            sweep["pending"].clear()
            return
        session.add_run(RunRecord.from_job(job, dataset.ref()))
        sweep["runs"].append((value, name))


if sweep is not None:
    busy = bool(sweep["pending"]) or any(session.runs()[n].active for _, n in sweep["runs"])
    if busy:
        session.page_polls()

    @st.fragment(run_every=1.0 if busy else None)
    def sweep_view() -> None:
        launch_next(sweep)
        runs = session.runs()
        done = [(v, runs[n]) for v, n in sweep["runs"] if not runs[n].active]
        st.progress(len(done) / max(len(sweep["runs"]) + len(sweep["pending"]), 1),
                    text=f"sweep of {sweep['setting']} on {sweep['dataset']}: {len(done)} of "
                         f"{len(sweep['runs']) + len(sweep['pending'])} runs done")
        if sweep.get("error"):
            st.error(sweep["error"])
        finished = [(v, r) for v, r in done if r.status == "done"]
        if finished:
            metric = "val_acc" if session.dataset_info(sweep["dataset"]).task == "classification" else "val_loss"
            st.plotly_chart(sweep_figure([v for v, _ in finished], [r.final[metric] for _, r in finished],
                                         setting=sweep["setting"], metric=metric,
                                         log_x=sweep["setting"] in LOG_SCALE and min(v for v, _ in finished) > 0),
                            key="cmp.fig.sweep")
        still_busy = bool(sweep["pending"]) or any(r.active for r in runs.values())
        if busy and not still_busy:
            st.rerun()

    sweep_view()
state.save()
