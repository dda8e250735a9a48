import streamlit as st

from playground.sequences import word2vec as w2v
from playground.sequences.word_corpus import RELATIONS
from playground.ui import embedding_job as view
from playground.ui.boot import ensure_navigation
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.transport import job_actions, transport
from playground.ui.urlstate import Field, PageState, choice, number

ensure_navigation()


def _word(value) -> bool:
    return isinstance(value, str) and len(value) <= 40


state = PageState("we", {
    "dim": choice(20, w2v.DIMENSIONS),
    "window": number(4, 1, 8),
    "negatives": number(5, 1, 20),
    "subsample": choice(0.0, w2v.SUBSAMPLE_THRESHOLDS),
    "optimizer": choice("adam", w2v.WORD2VEC_OPTIMIZERS),
    "lr": choice(0.01, w2v.LEARNING_RATES),
    "epochs": choice(6, w2v.EPOCHS),
    "seed": number(0, 0, 2**31 - 1),
    "relation": choice("gender", tuple(RELATIONS)),
    "projection": choice("pca", tuple(view.PROJECTIONS)),
    "word": Field("king", check=_word),
    "first": Field("king", check=_word),
    "minus": Field("man", check=_word),
    "plus": Field("woman", check=_word),
})
for problem in state.restore():
    st.warning(problem)

st.title("Word embeddings")
st.caption("Skip-gram (word2vec) learns a vector for every word from the words around it. Words that keep the "
           "same company get similar vectors, and whole relations become directions: king − man + woman lands "
           "near queen.")
with st.expander("How does it work?"):
    st.markdown(
        "- The text is a **generated corpus**: short sentences like *this king loves his crown* or *the mayor of "
        "paris speaks french*, written so that gender, number and country → capital are consistent.\n"
        "- For each word and each neighbour within the **window**, the model raises σ(u·v), the score of the "
        "true pair, and lowers it for a few random words (**negative sampling**; Mikolov et al., 2013).\n"
        "- An **analogy** a : b :: c : ? is answered by the word whose vector is closest (cosine) to "
        "b − a + c, leaving a, b and c out.")

with st.expander("Training settings", expanded=False):
    c1, c2, c3, c4 = st.columns(4)
    state.select_slider("dim", "Vector length", container=c1)
    state.slider("window", "Window (words each side)", container=c2)
    state.slider("negatives", "Negatives per pair", container=c3)
    state.select_slider("subsample", "Subsampling threshold (0: off)", container=c4)
    state.radio("optimizer", "Optimizer", format_func=str.capitalize, horizontal=True, container=c1)
    state.select_slider("lr", "Learning rate", container=c2)
    state.select_slider("epochs", "Epochs", container=c3)
    state.number_input("seed", "Seed (corpus and weights)", container=c4)
    st.caption("Changes apply when you press Reset (or Play after a run ends).")

options = w2v.Word2VecOptions(dim=state["dim"], window=state["window"], negatives=state["negatives"],
                              subsample=state["subsample"], optimizer=state["optimizer"], lr=state["lr"],
                              epochs=state["epochs"])
state.valid_or_stop(options)
seed = int(state["seed"])


def start() -> None:
    st.session_state["we.error"] = start_job(view.JOB, **w2v.job_arguments(options, seed=seed),
                                             name=f"skip-gram, {options.dim} numbers a word")


actions = job_actions(view.JOB, start=start)
job = current_job(view.JOB)
note = transport("we", running=actions.running(), **actions.callbacks(), widths=(1, 1, 1, 4),
                 step_help="One epoch. Pauses a running run first.", reset_help="Back to random vectors.")
if st.session_state.get("we.error"):
    st.error(st.session_state.pop("we.error"))
if job is not None and job.options != options.to_dict() or job is not None and job.config.seed != seed:
    note.info("The settings have changed since this run started: press **Reset** to use them.")

m1, m2 = st.columns(2)
state.radio("relation", "Relation on the map", format_func=lambda r: f"{r} ({RELATIONS[r]})", horizontal=True,
            container=m1)
state.radio("projection", "Projection", format_func=view.PROJECTIONS.get, horizontal=True, container=m2)
relation, projection = state["relation"], state["projection"]
if job is None:
    view.show_untrained(options, seed, relation, projection)
else:
    job_panel(view.JOB, view.renderer(relation, projection), every=0.5)
if projection == "tsne":
    st.info(view.TSNE_CAPTION)

text, vectors, which = view.vectors_now(job, options, seed)
st.subheader("Nearest neighbours")
n1, n2 = st.columns([1, 2])
n1.text_input("A word", key=state.key("word"), max_chars=40)
n1.caption(f"Using {which}. Try king, paris, girls or french.")
with n2:
    view.answers(f"Closest to “{state['word'].strip().lower()[:40]}”",
                 lambda: w2v.neighbours(vectors, text.vocabulary, state["word"]), "we.fig.neighbours")

st.subheader("Word arithmetic: a − b + c")
a1, a2, a3 = st.columns(3)
a1.text_input("a", key=state.key("first"), max_chars=40)
a2.text_input("− b", key=state.key("minus"), max_chars=40)
a3.text_input("+ c", key=state.key("plus"), max_chars=40)
st.caption("Asks “b is to a as c is to ?”: king − man + woman asks “man is to king as woman is to ?”. The three "
           "words you typed are left out of the answers.")
view.answers(f"{state['first'].strip().lower()} − {state['minus'].strip().lower()} + {state['plus'].strip().lower()}",
             lambda: w2v.word_arithmetic(vectors, text.vocabulary, state["first"], state["minus"], state["plus"]),
             "we.fig.arithmetic")

state.save()
