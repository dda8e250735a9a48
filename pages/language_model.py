import streamlit as st

from playground.figures.sequences.charlm import next_char_figure
from playground.sequences import charlm
from playground.text import TextError
from playground.ui import charlm_job as lm
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import memo
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.transport import job_actions, transport
from playground.ui.urlstate import Field, PageState, choice, number

ensure_navigation()


def _short(value) -> bool:
    return isinstance(value, str) and len(value) <= 200


state = PageState("lm", {
    "source": choice("ours", lm.SOURCES),
    "cell": choice("lstm", charlm.CELLS),
    "hidden": choice(128, charlm.HIDDEN_SIZES),
    "steps": choice(600, charlm.STEPS),
    "lr": choice(0.003, charlm.LEARNING_RATES),
    "seed": number(0, 0, 2**31 - 1),
    "temperature": number(0.8, 0.1, 2.0, step=0.1),
    "prompt": Field("The ", check=_short),
    "prefix": Field("The cat ", check=_short),
})
for problem in state.restore():
    st.warning(problem)

st.title("A language model that writes")
st.caption("A recurrent network reads a text one character at a time and learns to guess the next one. Then it "
           "writes by guessing, drawing a character, and feeding it back in. Watch its writing go from noise to "
           "words as it trains.")
with st.expander("How does it work?"):
    st.markdown(
        "- Each character becomes a learned vector (an **embedding**); an **LSTM** or **GRU** reads them in order "
        "and keeps a state: its memory of what came before.\n"
        "- After every character a linear layer turns the state into a score for each possible next character; "
        "softmax makes the scores probabilities.\n"
        "- Training shows it random 64-character windows of the text and lowers the **cross-entropy**: the average "
        "of −ln P(the character that really came next).\n"
        "- To write, it draws the next character from its probabilities, divided in the exponent by a "
        "**temperature**: low plays safe (and repeats itself), high is adventurous (and misspells).")

state.radio("source", "Text to learn from", format_func=lm.SOURCE_LABELS.get, horizontal=True)
text = lm.read_text(state["source"])
if text is None:
    state.save()
    st.stop()
lm.describe(text)

with st.expander("Network and training", expanded=False):
    c1, c2, c3, c4, c5 = st.columns(5)
    state.radio("cell", "Recurrent layer", format_func=str.upper, container=c1)
    state.select_slider("hidden", "State size", container=c2)
    state.select_slider("steps", "Training steps", container=c3)
    state.select_slider("lr", "Learning rate (Adam)", container=c4)
    state.number_input("seed", "Seed", container=c5)
    st.caption("Changes apply when you press Reset (or Play after a run ends). Each step trains on 32 windows.")

p1, p2 = st.columns([3, 2])
p1.text_input("Prompt: the model writes on from here", key=state.key("prompt"), max_chars=200)
state.slider("temperature", "Temperature", container=p2,
             help="Low: safe and repetitive. High: adventurous and misspelled.")
temperature = float(state["temperature"])
options = charlm.CharOptions(vocab=charlm.Vocabulary.from_text(text).chars, cell=state["cell"],
                             hidden=state["hidden"], steps=state["steps"], lr=state["lr"], prompt=state["prompt"],
                             temperature=temperature)
state.valid_or_stop(options)
seed = int(state["seed"])


def start() -> None:
    name = "character model on " + ("our text" if state["source"] == "ours" else "your text")
    st.session_state["lm.error"] = start_job(lm.JOB, **charlm.job_arguments(text, options, seed=seed), name=name)


actions = job_actions(lm.JOB, start=start)
job = current_job(lm.JOB)
note = transport("lm", running=actions.running(), **actions.callbacks(), widths=(1, 1, 1, 4),
                 step_help="One training step on a batch of windows. Pauses a running model first.",
                 reset_help="Back to an untrained model.")
if st.session_state.get("lm.error"):
    st.error(st.session_state.pop("lm.error"))
if job is not None and lm.settings_changed(job, options):
    note.info("The text or settings have changed since this run started: press **Reset** to use them.")
if job is None:
    st.info(f"Press **Play** to train ({options.steps:,} steps, about twenty seconds for our text). Below, the "
            "untrained model already writes and guesses: pure noise, every character about equally likely.")
else:
    job_panel(lm.JOB, lm.render, every=0.5, live=lm.live_view)

model, vocab, which = lm.model_now(job, options, seed)
st.subheader("Write with the model")
st.caption(f"Using {which}, the prompt and temperature above. While it trains, this part uses the weights of "
           "the moment the page last ran.")
prompt = state["prompt"]
try:
    written = memo(("lm.write", id(model), prompt, temperature, seed),
                   lambda: charlm.sample(model, vocab, prompt, 300, temperature=temperature, seed=seed))
except TextError as e:
    st.warning(str(e))
else:
    st.text(prompt + written)
    st.caption(lm.temperature_words(temperature))

st.subheader("What comes next?")
st.text_input("Type the start of a text", key=state.key("prefix"), max_chars=200)
try:
    probabilities = charlm.next_char_probabilities(model, vocab, state["prefix"])
except TextError as e:
    st.warning(str(e))
else:
    chart(next_char_figure(vocab.chars, probabilities, top=12, prefix=state["prefix"]), key="lm.fig.next")
    st.caption("The 12 likeliest next characters and their probabilities (␣ is a space, ↵ a new line). All "
               f"{len(vocab)} characters' probabilities add up to 100 %.")

state.save()
