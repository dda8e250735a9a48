import streamlit as st

from playground import data
from playground.figures.training_lab.race import runs_figure, sweep_figure
from playground.jobs import train
from playground.jobs.sweep import LOG_SCALE, SWEEPABLE, sweep_configs
from playground.presets import PRESETS, fits
from playground.settings import get_settings
from playground.ui import session
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.jobs import launch_sweep
from playground.ui.results import show_runs_table
from playground.ui.urlstate import PageState, choice, json_field

ensure_navigation()

METRICS = {"val_loss": "validation loss", "val_acc": "validation accuracy", "train_loss": "training loss",
           "train_acc": "training accuracy"}
OFFLINE = [name for name in data.names() if data.DATASETS[name].offline]

state = PageState("cmp", {
    "metric": choice("val_loss", METRICS),
    "dataset": choice("circle", OFFLINE),
    "preset": choice("mlp", [n for n in PRESETS if fits(n, [1, 28, 28])]),  # the image presets
    "setting": choice("lr", SWEEPABLE),
    "values": json_field(None, check=lambda v: isinstance(v, list)  # of numbers or names: set() reads them
                         and all(isinstance(x, str | int | float) for x in v)),
})
for problem in state.restore():
    st.warning(problem)
if state["values"] is None or not set(state["values"]) <= set(SWEEPABLE[state["setting"]]):
    state["values"] = SWEEPABLE[state["setting"]][:4]

st.title("Compare runs")
st.caption("Every run you train in this browser, on any page, is kept here, also after a reload or a restart: lay "
           "their curves over each other, or sweep one setting over a few values and see how the result depends on it.")

# ---- The session's runs, by the page that trained them ----------------------------------------
records = dict(sorted(((n, r) for n, r in session.runs().items() if not r.history.empty),
                      key=lambda item: item[1].page or "~"))
if records:
    chosen = st.multiselect("Runs", list(records), default=list(records)[-6:], key="cmp.runs",
                            format_func=lambda n: f"{records[n].page or 'uploaded'}: {n}")
    metric = state.radio("metric", "Show", format_func=METRICS.get, horizontal=True)
    chart(runs_figure({n: records[n].history for n in chosen}, metric=metric), key="cmp.fig.runs")
    show_runs_table(chosen)
else:
    st.info("No runs yet: train on Build & Train or any Training lab page, or start a sweep below.")

# ---- A sweep -----------------------------------------------------------------------------------
st.subheader("Sweep one setting")
s1, s2, s3 = st.columns(3)


def on_dataset_change() -> None:
    if session.dataset_info(state["dataset"]).kind != "image":
        state["preset"] = "mlp"


mine = [n for n in session.dataset_names() if session.dataset_info(n).offline]
dataset_name = state.selectbox("dataset", "Dataset", options=mine, container=s1, on_change=on_dataset_change,
                               help="The built-in datasets that need no download, and your uploads.")
image = session.dataset_info(dataset_name).kind == "image"
preset_name = state.selectbox("preset", "Network", options=None if image else ["mlp"], container=s2)
setting = state.selectbox("setting", "Setting to sweep", container=s3, format_func=lambda s: s.replace("_", " "),
                          on_change=lambda: state.__setitem__("values", SWEEPABLE[state["setting"]][:4]))
values = state.multiselect("values", "Values", options=SWEEPABLE[setting])


def start_sweep() -> None:
    try:
        configs = sweep_configs(train.Config(epochs=5, lr=0.01), setting, sorted(values))
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
if sweep is not None:
    busy = bool(sweep["pending"]) or any(session.runs()[n].active for _, n in sweep["runs"])
    if busy:
        session.page_polls()

    @st.fragment(run_every=1.0 if busy else None)
    def sweep_view() -> None:
        launch_sweep(sweep)
        runs = session.runs()
        done = [(v, runs[n]) for v, n in sweep["runs"] if not runs[n].active]
        total = len(sweep["runs"]) + len(sweep["pending"])
        st.progress(len(done) / max(total, 1),
                    text=f"sweep of {sweep['setting']} on {sweep['dataset']}: {len(done)} of {total} runs done")
        if sweep.get("error"):
            st.error(sweep["error"])
        finished = [(v, r) for v, r in done if r.status == "done"]
        if finished:
            metric = "val_acc" if session.dataset_info(sweep["dataset"]).task == "classification" else "val_loss"
            chart(sweep_figure([v for v, _ in finished], [r.final[metric] for _, r in finished],
                               setting=sweep["setting"], metric=metric,
                               log_x=sweep["setting"] in LOG_SCALE and min(v for v, _ in finished) > 0),
                  key="cmp.fig.sweep")
        if busy and not (sweep["pending"] or any(r.active for r in runs.values())):
            st.rerun()

    sweep_view()
state.save()
