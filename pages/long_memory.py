import streamlit as st

from playground.figures.sequences.memory import gates_figure, mse_curves_figure
from playground.sequences import memory
from playground.training_lab import regularization
from playground.ui import memory_view as view
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.jobs import job_panel
from playground.ui.transport import job_actions, transport
from playground.ui.urlstate import PageState, choice, number

ensure_navigation()

state = PageState("mem", {
    "length": choice(memory.PROMISED_LENGTH, memory.LENGTHS),
    "seed": number(0, 0, 9999),
    "sequence": number(0, 0, memory.SEQUENCES // 5 - 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("RNN vs LSTM vs GRU: long memory")
st.caption("**The adding problem.** Each step of a sequence holds a random number between 0 and 1 and a marker "
           "(0 or 1). Two steps are marked, one in each half; the network must output the **sum of the two marked "
           "numbers** after reading the whole sequence. A network that cannot remember a number that long can only "
           "guess the average sum, 1, which scores a mean squared error of **1/6 ≈ 0.167** (the dotted line).")

c1, c2 = st.columns([3, 1])
state.select_slider("length", "Sequence length (time steps)", container=c1)
state.number_input("seed", "Seed", container=c2, help="for the data and the networks' first weights")
length, seed = state["length"], state["seed"]
data = view.adding_data(length, seed)
st.markdown(f"**Example** (training sequence 1): {memory.describe(data.x_train[0])}.")

st.markdown(f"Three networks, each with one recurrent layer of {memory.HIDDEN} units and a linear output, train "
            f"side by side on the same {len(data.x_train):,} sequences with the same budget: Adam, learning rate "
            f"{memory.LR}, batches of {memory.BATCH_SIZE}, {memory.EPOCHS} epochs.")
actions = job_actions(view.JOB, start=lambda: view.start(length, seed))
transport("mem", running=actions.running(), play=actions.play, pause=actions.pause, reset=actions.reset,
          reset_help="Stop the run and clear it", widths=(1, 1, 6))
if st.session_state.get(f"{view.JOB}.error"):
    st.error(st.session_state.pop(f"{view.JOB}.error"))


def show_finished(job) -> None:
    tables = regularization.histories(job.series("rows"))
    if not tables:
        st.caption("Paused before the first epoch ended: press **Play** to go on." if job.status == "paused"
                   else "Starting…")
        return
    columns = st.columns(len(tables))
    meaning = view.verdicts(tables)
    for column, (label, text) in zip(columns, view.mse_texts(tables).items()):
        column.metric(label, text, delta=meaning[label], delta_color="off", delta_arrow="off",
                      help="mean squared error on 800 test sequences; predicting the mean scores 0.167")
    chart(mse_curves_figure(tables), key="mem.fig.mse")


job_panel(view.JOB, show_finished, live=lambda job: view.board(job, state["sequence"]))
st.caption(f"Solid lines: test MSE; dashed: training MSE; dotted black: always predicting the mean (the axis stops "
           f"at 0.3: untrained networks start higher). **What to "
           f"expect** (measured over seeds 0, 1 and 2 with this budget): at length 10 all three learn (test MSE under "
           f"{memory.LEARNED_BELOW}); at length **{memory.PROMISED_LENGTH}** the LSTM and the GRU still do, while the "
           f"plain RNN stays above {memory.NOT_LEARNED_ABOVE}, stuck near the mean: its gradient through "
           f"{memory.PROMISED_LENGTH} steps has vanished before it can learn which numbers to keep.")

# ---- Inside the LSTM ------------------------------------------------------------------------------
st.subheader("Inside the LSTM: its gates over one sequence")
st.markdown("At every step the LSTM computes three gates, each a number between 0 (closed) and 1 (open) per unit: "
            "the **input gate** i decides how much of the new step to write into the cell, the **forget gate** f "
            "how much of the cell to keep, the **output gate** o how much of the cell to show. The **cell state** "
            "c is the memory: c = f·c(previous) + i·(new value).")
found = view.watched_lstm()
if found is None:
    model, what, shown_length, shown_seed = view.untrained_lstm(length, seed), "the untrained LSTM", length, seed
else:
    model, what, shown_length, shown_seed = found
shown_data = view.adding_data(shown_length, shown_seed)
state.number_input("sequence", "Test sequence", high=len(shown_data.x_test) - 1, container=st.columns(3)[0])
sequence = shown_data.x_test[state["sequence"]]
gates = memory.lstm_gates(memory.lstm_of(model), sequence)
units = memory.busiest_units(gates)
prediction = float(model(sequence[None]).item())
st.markdown(f"Gates of **{what}** on test sequence {state['sequence']}: {memory.describe(sequence)}. "
            f"Its prediction: **{prediction:.2f}**.")
chart(gates_figure(gates, sequence.numpy(), units=units), key="mem.fig.gates")
st.caption(f"Rows: the {len(units)} units whose cell state moves most (of {memory.HIDDEN}); columns: time steps. "
           "Dashed lines and ▼ ticks mark the two marked steps. In a trained LSTM look for units whose input gate "
           "opens only at a marked step and whose forget gate stays near 1 (bright) from there on: the cell then "
           "holds the marked number until the end.")
state.save()
