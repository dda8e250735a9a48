"""The Word embeddings page's run: the skip-gram job, the vectors of the moment, and how the page draws them.

While the job trains, its panel polls the job from a timed fragment and draws the latest picture the
trainer sent (the PCA map, turned to stay steady, and the analogy accuracy); once it stops, the map is
drawn from the published weights, by PCA or t-SNE. Before any run, the page shows the untrained
vectors, so that the same questions can be asked of random ones.
"""

from __future__ import annotations

import streamlit as st

from playground.figures.sequences.embeddings import embedding_map_figure, similarity_figure, word2vec_curves_figure
from playground.sequences import word2vec as w2v
from playground.sequences.word_corpus import RELATIONS, Corpus, make_corpus, relation_pairs
from playground.ui.charts import chart
from playground.ui.inputs import memo, weights_key

JOB = "we.job"
PROJECTIONS = {"pca": "PCA", "tsne": "t-SNE"}
TSNE_CAPTION = ("**How t-SNE misleads:** it keeps each word's *nearest* neighbours close, and little else. The "
                "distances *between* clusters and the *sizes* of clusters mean next to nothing, parallel pairs "
                "rarely stay parallel, and another perplexity or seed gives another picture. PCA is a plain "
                "linear view: distances are squeezed, but a shared offset (like male → female) stays a shared "
                "direction.")
_ACTIVE = ("queued", "running", "paused")


def corpus(seed: int, per_word: int) -> Corpus:
    """The generated corpus for a seed, kept for the session."""
    return memo(("we.corpus", seed, per_word), lambda: make_corpus(seed, per_word=per_word))


def vectors_now(job, options: w2v.Word2VecOptions, seed: int):
    """(corpus, centre vectors (V, D), what they are in words): the job's latest weights, or untrained
    vectors made with the page's settings when there is no job yet."""
    if job is not None and job.weights is not None:
        text = corpus(job.config.seed, job.options["per_word"])
        weights = job.weights
        vectors = memo(("we.weights", job.id, weights_key(weights)), lambda: w2v.vectors_from_weights(weights))
        steps = "the trained vectors" if job.status == "done" else "the vectors of the moment this page last ran"
        return text, vectors, steps
    text = corpus(seed, options.per_word)
    vectors = memo(("we.untrained", repr(options.to_dict()), seed),
                   lambda: w2v.SkipGramTrainer(options, text, seed=seed).vectors())
    return text, vectors, "the untrained (random) vectors"


def accuracy_metrics(accuracy: dict, epoch: float, loss: float | None) -> None:
    """Epoch, loss and the analogy accuracy (over all questions, then by relation) as metrics."""
    columns = st.columns(2 + len(RELATIONS))
    columns[0].metric("Epoch", f"{epoch:.2f}".rstrip("0").rstrip("."))
    columns[1].metric("Loss", "–" if loss is None or loss != loss else f"{loss:.3f}",
                      help="Mean skip-gram loss per word pair: (1 + negatives)·ln 2 when every vector is "
                           "still zero or random.")
    for column, relation in zip(columns[2:], RELATIONS):
        column.metric(f"Analogies: {relation}", f"{accuracy[relation]:.0%}", help=f"{RELATIONS[relation]}: share "
                      "of questions a : b :: c : ? whose nearest word to b − a + c is right.")
    st.caption(f"Analogy accuracy over all questions: **{accuracy['all']:.0%}**.")


def draw_map(points, relation: str, *, method: str = "pca", key: str = "we.fig.map") -> None:
    """The words of `relation`'s group at `points` (n, 2), its pairs joined."""
    words = w2v.map_words(w2v.MAP_GROUPS[relation])
    ends = tuple(RELATIONS[relation].split(" → "))
    axes = ("PC 1", "PC 2") if method == "pca" else ("t-SNE 1", "t-SNE 2")
    chart(embedding_map_figure(points, words, relation_pairs(relation), ends=ends, axes=axes,
                               title=f"{PROJECTIONS[method]} of the vectors: {RELATIONS[relation]}"), key=key)


def map_points(text: Corpus, vectors, relation: str, method: str, *, like=None, seed: int = 0):
    """The map of `relation`'s words for `vectors`: PCA turned to match `like` ((n, 2) or None), or t-SNE."""
    index = text.index
    chosen = vectors[[index[w] for w in w2v.map_words(w2v.MAP_GROUPS[relation])]]
    if method == "tsne":
        return memo(("we.tsne", hash(chosen.tobytes()), seed), lambda: w2v.project_tsne(chosen, seed=seed))
    return w2v.align_to(w2v.project_pca(chosen), like)


def renderer(relation: str, method: str):
    """`render(job)` for `job_panel`: numbers, the map and the curves, live while it trains."""
    def render(job) -> None:
        picture = job.latest("frame")
        if picture is None:
            st.caption("Starting…")
            return
        running = job.status in ("queued", "running")
        accuracy_metrics(picture["accuracy"], picture["epoch"], picture["loss"])
        group = w2v.MAP_GROUPS[relation]
        if running or job.weights is None:
            draw_map(picture["maps"][group], relation)
            if method == "tsne":
                st.caption("While it trains the map is PCA (t-SNE takes a few seconds each time); t-SNE comes "
                           "when training stops.")
        else:
            text, vectors, _ = vectors_now(job, w2v.Word2VecOptions.from_dict(job.options), job.config.seed)
            draw_map(map_points(text, vectors, relation, method, like=picture["maps"][group], seed=job.config.seed),
                     relation, method=method)
        chart(word2vec_curves_figure(job.history_since(0), RELATIONS), key="we.fig.curves")
        if job.status == "paused":
            st.caption("Paused. **Step** trains one more epoch; **Play** carries on.")
    return render


def show_untrained(options: w2v.Word2VecOptions, seed: int, relation: str, method: str) -> None:
    """The untrained vectors: their accuracy and map, before any run."""
    text, vectors, _ = vectors_now(None, options, seed)
    accuracy = memo(("we.acc0", repr(options.to_dict()), seed),
                    lambda: w2v.analogy_accuracy(vectors, text.vocabulary, text.questions))
    accuracy_metrics(accuracy, 0, None)
    draw_map(map_points(text, vectors, relation, method, seed=seed), relation, method=method)
    st.caption("Epoch 0: random vectors, so the map is a jumble and almost no analogy comes out right. Press "
               "**Play** to train.")


def answers(title: str, find, key: str) -> None:
    """`find()`'s (word, cosine) list as bars under `title`; its WordError as a message instead."""
    try:
        found = find()
    except w2v.WordError as e:
        st.warning(str(e))
        return
    chart(similarity_figure(found, title=title), key=key)
