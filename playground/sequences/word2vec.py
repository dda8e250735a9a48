"""Word vectors by skip-gram with negative sampling (word2vec), and what they can be asked.

Mikolov et al., "Distributed Representations of Words and Phrases and their Compositionality",
NeurIPS 2013. Every word w has two vectors: v_w when it is the centre word, u_w when it is a context
word. For each centre word c and each word o at most `window` places away in its sentence, the model
should tell the true pair from `negatives` random words k drawn from the unigram distribution raised
to the power 0.75; the loss of one pair is

    −log σ(u_o · v_c) − Σ_k log σ(−u_k · v_c)

averaged over a batch of pairs. Words that keep the same company end up with similar v's. Frequent
words can be thinned out first (`subsample`, the paper's threshold t: a word of frequency f is kept
with probability √(t / f)).

Asking the vectors: `neighbours` (cosine similarity), `word_arithmetic` (first − minus + plus, the
3CosAdd rule of Mikolov et al. 2013 and Levy & Goldberg 2014, leaving out the three words asked) and
`analogy_accuracy` over a corpus's questions. `project_pca` / `align_to` / `project_tsne` put them on
the plane. The `"word2vec"` trainer runs the training in the worker pool (start it with
`job_arguments`); everything also works from a shell: `SkipGramTrainer(options, corpus).train_epoch()`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.checkpoints import state_from_bytes
from playground.data import Dataset
from playground.jobs.supervised import make_optimizer
from playground.jobs.train import CheckedSettings, Config, TrainingError, is_int, is_number, register_trainer
from playground.sequences.word_corpus import RELATIONS, Analogy, Corpus, make_corpus, relation_pairs

__all__ = ["DIMENSIONS", "EPOCHS", "LEARNING_RATES", "MAP_GROUPS", "SUBSAMPLE_THRESHOLDS", "WORD2VEC_OPTIMIZERS",
           "SkipGram", "SkipGramTrainer", "Word2VecOptions", "WordError", "align_to", "analogy_accuracy",
           "corpus_dataset", "frame", "job_arguments", "lookup", "map_words", "negative_distribution", "neighbours",
           "project_pca", "project_tsne", "sgns_loss", "skipgram_pairs", "vectors_from_weights", "word_arithmetic"]

# What the page offers.
DIMENSIONS = (2, 5, 10, 20, 30, 50)
EPOCHS = (1, 2, 3, 4, 6, 8, 12, 20, 30)
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1)
WORD2VEC_OPTIMIZERS = ("adam", "sgd")
# 0 keeps every word; the commonest ("his", "her": 6.5 % of the words each) are thinned below 0.065.
SUBSAMPLE_THRESHOLDS = (0.0, 0.03, 0.01, 0.003)
# The words drawn on the map for each relation: people for gender and number, places for capitals.
MAP_GROUPS = {"gender": "people", "plural": "people", "capital": "places"}
_FRAME_EVERY_S = 0.25  # at most this often a picture of the vectors is sent while running
_ROWS_PER_EPOCH = 4  # history rows (loss, accuracy) per epoch, so the curves move within one


class WordError(ValueError):
    """A word the vocabulary does not hold; the message suggests close ones."""


@dataclasses.dataclass
class Word2VecOptions(CheckedSettings):
    """Settings of a skip-gram run; JSON-able, and the options of the "word2vec" trainer."""

    dim: int = 20  # vector length: enough room for the corpus's few independent properties
    window: int = 4  # context words on each side; 4 reaches from a noun to the end of its 5-word sentence
    negatives: int = 5  # random words per true pair (the paper uses 5–20 for small data)
    subsample: float = 0.0  # threshold t; 0 keeps every word (this corpus has few very frequent words)
    optimizer: str = "adam"
    lr: float = 0.01
    batch_size: int = 256
    epochs: int = 6  # accuracy passes 0.9 in the second epoch with these settings
    per_word: int = 40  # sentences about each noun and each place

    what = "word2vec setting"

    def checks(self) -> list[tuple[bool, str, str]]:
        return [
            (is_int(self.dim) and 1 <= self.dim <= 300, "dim", "must be a whole number from 1 to 300"),
            (is_int(self.window) and 1 <= self.window <= 10, "window", "must be a whole number from 1 to 10"),
            (is_int(self.negatives) and 1 <= self.negatives <= 50, "negatives",
             "must be a whole number from 1 to 50"),
            (is_number(self.subsample) and 0 <= self.subsample <= 1, "subsample", "must be from 0 to 1"),
            (self.optimizer in WORD2VEC_OPTIMIZERS, "optimizer", f"must be one of {', '.join(WORD2VEC_OPTIMIZERS)}"),
            (is_number(self.lr) and 0 < self.lr <= 10, "lr", "must be above 0 and at most 10"),
            (is_int(self.batch_size) and 1 <= self.batch_size <= 65536, "batch_size",
             "must be a whole number from 1 to 65536"),
            (is_int(self.epochs) and 1 <= self.epochs <= 1000, "epochs", "must be a whole number from 1 to 1000"),
            (is_int(self.per_word) and 1 <= self.per_word <= 1000, "per_word",
             "must be a whole number from 1 to 1000"),
        ]


# ----------------------------------------------------------------------------------------------
# The model and its loss.


class SkipGram(nn.Module):
    """The two tables of vectors, centre (v) and context (u), (vocabulary, dim) each, and the
    number of updates made as a buffer ("steps"): what a job publishes.

    As in word2vec's code, centre vectors start uniform in ±0.5/dim and context vectors at zero.
    """

    def __init__(self, vocabulary_size: int, dim: int):
        super().__init__()
        self.center = nn.Embedding(vocabulary_size, dim)
        self.context = nn.Embedding(vocabulary_size, dim)
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def loss(self, centers: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """The mean SGNS loss of a batch: centers, contexts (B,) word ids; negatives (B, K) word ids."""
        return sgns_loss(self.center(centers), self.context(contexts), self.context(negatives))


def sgns_loss(center: torch.Tensor, context: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """−log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c), averaged over the batch.

    center v_c, context u_o: (B, D); negative u_k: (B, K, D). Returns a scalar tensor (nats).
    """
    positive = F.logsigmoid((center * context).sum(-1))  # (B,)
    negative = F.logsigmoid(-torch.einsum("bkd,bd->bk", negative, center)).sum(-1)  # (B,)
    return -(positive + negative).mean()


# ----------------------------------------------------------------------------------------------
# Pairs and negatives.


def _flat(corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
    """The corpus as word ids (N,) and the sentence number of each (N,), int64."""
    index = corpus.index
    ids = np.fromiter((index[w] for s in corpus.sentences for w in s), dtype=np.int64)
    sentence = np.repeat(np.arange(len(corpus.sentences)), [len(s) for s in corpus.sentences])
    return ids, sentence


def skipgram_pairs(ids: np.ndarray, sentence: np.ndarray, window: int) -> np.ndarray:
    """Every (centre, context) pair of word ids at most `window` places apart in one sentence: (P, 2).

    ids, sentence: (N,) word ids in corpus order and the sentence each belongs to.
    """
    pairs = []
    for d in range(1, window + 1):
        same = sentence[:-d] == sentence[d:]
        left, right = ids[:-d][same], ids[d:][same]
        pairs += [np.stack([left, right], 1), np.stack([right, left], 1)]
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)


def negative_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The probabilities negatives are drawn with: counts ** power, normalised (float64, sums to 1)."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def _keep_probability(counts: np.ndarray, threshold: float) -> np.ndarray:
    # Mikolov et al.'s subsampling: a word of frequency f is kept with probability min(1, sqrt(t / f)).
    if threshold <= 0:
        return np.ones(len(counts))
    frequency = counts / counts.sum()
    return np.minimum(1.0, np.sqrt(threshold / frequency))


# ----------------------------------------------------------------------------------------------
# Training.


class SkipGramTrainer:
    """A SkipGram model on a corpus with its optimizer and random streams, trained epoch by epoch.

    The weights come from torch's generator seeded with `seed`; pair order, subsampling and
    negatives from generators of their own, so a seed repeats a run exactly.
    """

    def __init__(self, options: Word2VecOptions, corpus: Corpus, *, seed: int = 0, device: str = "cpu"):
        self.options = options.validate()
        self.corpus = corpus
        self.device = torch.device(device)
        with torch.random.fork_rng(devices=[]):  # seeded weights, and the caller's random state untouched
            torch.manual_seed(seed)
            self.model = SkipGram(len(corpus.vocabulary), options.dim).to(self.device)
        self.optimizer = make_optimizer(self.model, Config(optimizer=options.optimizer, lr=options.lr))
        self.ids, self.sentence = _flat(corpus)
        self.counts = np.bincount(self.ids, minlength=len(corpus.vocabulary))
        self.negative_probability = torch.as_tensor(negative_distribution(self.counts), dtype=torch.float32)
        self.keep = _keep_probability(self.counts, options.subsample)
        self.rng = np.random.default_rng(seed)
        self.random = torch.Generator().manual_seed(seed)
        self.epochs_done = 0
        self.epoch_size = 1  # batches in the current epoch (set when it starts)
        self.last_loss = math.nan  # what the latest `take_loss` returned
        self._losses: list[float] = []

    def epoch_pairs(self) -> np.ndarray:
        """This epoch's (centre, context) pairs, subsampled and shuffled: (P, 2) int64."""
        kept = self.rng.random(len(self.ids)) < self.keep[self.ids]
        pairs = skipgram_pairs(self.ids[kept], self.sentence[kept], self.options.window)
        return pairs[self.rng.permutation(len(pairs))]

    def batches(self):
        """One epoch, one update per batch (a generator yielding after each); returns nothing."""
        pairs = torch.from_numpy(self.epoch_pairs()).to(self.device)
        size, k = self.options.batch_size, self.options.negatives
        self.epoch_size = max(1, math.ceil(len(pairs) / size))
        for start in range(0, len(pairs), size):
            batch = pairs[start:start + size]
            negatives = torch.multinomial(self.negative_probability, len(batch) * k, replacement=True,
                                          generator=self.random).view(len(batch), k).to(self.device)
            loss = self.model.loss(batch[:, 0], batch[:, 1], negatives)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.model.steps += 1
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingError(f"The loss became {value:.3g} after {int(self.model.steps)} updates, so "
                                    "training stopped. Try a lower learning rate.")
            self._losses.append(value)
            yield
        self.epochs_done += 1

    def train_epoch(self) -> float:
        """One epoch; returns its mean loss."""
        for _ in self.batches():
            pass
        return self.take_loss()

    def take_loss(self) -> float:
        """The mean loss of the batches since the last call (NaN if none)."""
        loss = float(np.mean(self._losses)) if self._losses else math.nan
        self._losses = []
        self.last_loss = loss
        return loss

    def vectors(self) -> np.ndarray:
        """The centre vectors now: float32 (vocabulary, dim)."""
        return self.model.center.weight.detach().cpu().numpy().astype(np.float32)


def vectors_from_weights(weights: bytes) -> np.ndarray:
    """The centre vectors (vocabulary, dim) float32 from a "word2vec" job's published weights."""
    return state_from_bytes(weights)["center.weight"].numpy().astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Asking the vectors.


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def lookup(word: str, vocabulary: list[str]) -> int:
    """The index of `word` (any case, spaces trimmed); WordError naming close words if it is unknown."""
    cleaned = str(word).strip().lower()
    if not cleaned:
        raise WordError("Type a word first.")
    if cleaned in vocabulary:
        return vocabulary.index(cleaned)
    close = difflib.get_close_matches(cleaned, vocabulary, n=4, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else f" Try one of {', '.join(vocabulary[20:26])}."
    raise WordError(f"“{cleaned[:40]}” is not in the corpus's vocabulary of {len(vocabulary)} words.{hint}")


def neighbours(vectors: np.ndarray, vocabulary: list[str], word: str, *, top: int = 5) -> list[tuple[str, float]]:
    """The `top` words whose vectors have the highest cosine similarity to `word`'s, with it; the
    word itself left out. WordError for an unknown word."""
    i = lookup(word, vocabulary)
    unit = _unit(vectors)
    scores = unit @ unit[i]
    scores[i] = -np.inf
    order = np.argsort(-scores, kind="stable")[:top]
    return [(vocabulary[j], float(scores[j])) for j in order]


def word_arithmetic(vectors: np.ndarray, vocabulary: list[str], first: str, minus: str, plus: str, *,
                    top: int = 5) -> list[tuple[str, float]]:
    """The `top` words closest (cosine) to unit(first) − unit(minus) + unit(plus), the three left out.

    "a is to b as c is to ?" is `word_arithmetic(b, a, c)`: king − man + woman asks "man is to king as
    woman is to ?". WordError for an unknown word.
    """
    i, j, k = (lookup(w, vocabulary) for w in (first, minus, plus))
    unit = _unit(vectors)
    scores = unit @ _unit(unit[i] - unit[j] + unit[k])
    scores[[i, j, k]] = -np.inf
    order = np.argsort(-scores, kind="stable")[:top]
    return [(vocabulary[n], float(scores[n])) for n in order]


def analogy_accuracy(vectors: np.ndarray, vocabulary: list[str], questions: dict[str, list[Analogy]]) -> dict:
    """The share of questions answered right, by relation and over all of them ("all"): {name: 0..1}.

    A question "a : b :: c : d" is right when the word closest to unit(b) − unit(a) + unit(c) (a, b and c
    left out) is d. vectors: (vocabulary, dim).
    """
    index = {w: i for i, w in enumerate(vocabulary)}
    unit = _unit(vectors)
    result, right, asked = {}, 0, 0
    for relation, items in questions.items():
        if not items:
            continue
        a, b, c, d = (np.array([index[getattr(q, f)] for q in items]) for f in ("a", "b", "c", "expected"))
        scores = _unit(unit[b] - unit[a] + unit[c]) @ unit.T  # (Q, vocabulary)
        rows = np.arange(len(items))
        for left_out in (a, b, c):
            scores[rows, left_out] = -np.inf
        hits = int((scores.argmax(1) == d).sum())
        result[relation] = hits / len(items)
        right, asked = right + hits, asked + len(items)
    result["all"] = right / asked if asked else math.nan
    return result


# ----------------------------------------------------------------------------------------------
# On the plane.


def map_words(group: str) -> list[str]:
    """The words of a map group ("people" or "places"), the pairs of its relations in order."""
    relations = [r for r, g in MAP_GROUPS.items() if g == group]
    if not relations:
        raise ValueError(f"unknown map group {group!r}; known groups are {', '.join(sorted(set(MAP_GROUPS.values())))}")
    words = []
    for relation in relations:
        for pair in relation_pairs(relation):
            words += [w for w in pair if w not in words]
    return words


def project_pca(vectors: np.ndarray) -> np.ndarray:
    """The vectors on their first two principal axes: (n, 2) float64, centred. Fewer than two
    dimensions (or points) leave the missing coordinate at zero."""
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    out = np.zeros((len(x), 2))
    axes = vt[:2]
    out[:, :len(axes)] = x @ axes.T
    return out


def align_to(points: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """`points` (n, 2) turned (rotated or mirrored, not stretched) to lie as close as they can to
    `previous` (n, 2): orthogonal Procrustes (Schönemann, 1966). Keeps a PCA map steady from one
    picture to the next, where the axes may flip sign or swap. None or a shape mismatch: unchanged."""
    points = np.asarray(points, dtype=np.float64)
    if previous is None or np.shape(previous) != points.shape or not len(points):
        return points
    u, _, vt = np.linalg.svd(points.T @ np.asarray(previous, dtype=np.float64))
    return points @ (u @ vt)


def project_tsne(vectors: np.ndarray, *, perplexity: float = 5.0, seed: int = 0) -> np.ndarray:
    """t-SNE of the vectors (van der Maaten & Hinton, 2008) with scikit-learn: (n, 2) float64.

    Cosine distances, PCA start and a fixed random state, so the same vectors give the same map.
    The perplexity is capped below the number of points, as t-SNE needs.
    """
    from sklearn.manifold import TSNE

    x = np.asarray(vectors, dtype=np.float64)
    tsne = TSNE(n_components=2, perplexity=min(float(perplexity), max(1.0, (len(x) - 1) / 3)), metric="cosine",
                init="pca", random_state=seed, max_iter=500)
    return tsne.fit_transform(x)


# ----------------------------------------------------------------------------------------------
# The job.


def corpus_dataset(corpus: Corpus, *, per_word: int) -> Dataset:
    """The corpus as a Dataset: x_train (N, 1) the word ids in order, y_train (N, 1) the sentence of each;
    `params` remake it (`make_corpus(**params)`)."""
    ids, sentence = _flat(corpus)
    empty = torch.zeros(0, 1)
    return Dataset(name="generated word corpus", x_train=torch.from_numpy(ids).float()[:, None],
                   y_train=torch.from_numpy(sentence).float()[:, None], x_test=empty, y_test=empty,
                   input_shape=(1,), classes=[], task="regression",
                   params={"seed": corpus.seed, "per_word": per_word}, seed=corpus.seed,
                   description=f"{len(corpus.sentences):,} generated sentences, {corpus.tokens:,} words")


def job_arguments(options: Word2VecOptions, *, seed: int = 0) -> dict:
    """What `train.start` (or a page's `start_job`) needs to run skip-gram in the worker pool.

    The corpus is made with the same seed. The job's weights are a `SkipGram` (read the vectors with
    `vectors_from_weights`). ConfigError for a bad setting.
    """
    options.validate()
    corpus = make_corpus(seed, per_word=options.per_word)
    spec = {"input_shape": [1], "layers": [{"type": "embedding", "num_embeddings": len(corpus.vocabulary),
                                            "embedding_dim": options.dim}]}
    # Tables this small train faster on the CPU than they can be fed to a GPU.
    config = Config(epochs=options.epochs, batch_size=options.batch_size, lr=options.lr, seed=seed, device="cpu")
    return {"spec": spec, "dataset": corpus_dataset(corpus, per_word=options.per_word), "config": config,
            "trainer": "word2vec", "options": options.to_dict()}


def frame(trainer: SkipGramTrainer, previous: dict | None = None) -> dict:
    """A picture of now: {"steps", "maps": {group: (n, 2) float32 PCA of its words (`map_words`), turned to
    match `previous`'s}, "accuracy": {relation or "all": 0..1}}."""
    vectors = trainer.vectors()
    index = trainer.corpus.index
    maps = {}
    for group in sorted(set(MAP_GROUPS.values())):
        points = project_pca(vectors[[index[w] for w in map_words(group)]])
        maps[group] = align_to(points, (previous or {}).get("maps", {}).get(group)).astype(np.float32)
    return {"steps": int(trainer.model.steps), "maps": maps,
            "accuracy": analogy_accuracy(vectors, trainer.corpus.vocabulary, trainer.corpus.questions)}


@register_trainer("word2vec")
def word2vec(ctx):
    """Train skip-gram with negative sampling (see the module docstring) epoch by epoch.

    History rows, four per epoch: epoch (fractional within one), loss (mean over the batches since the
    row before; NaN at 0), accuracy_<relation> and accuracy_all. Latest "frame": `frame(...)` with its
    "epoch" and "loss", at most every 0.25 s while running, after a pause and at each row. Weights: the
    `SkipGram`, at least twice a second and at the end of each epoch.
    """
    options = Word2VecOptions.from_dict(ctx.options)
    corpus = make_corpus(**ctx.dataset.params)
    trainer = SkipGramTrainer(options, corpus, seed=ctx.config.seed, device=ctx.device)
    shown = {"frame": None, "at": 0.0}

    def send(epoch: float, loss: float | None, *, row: bool) -> None:
        picture = {**frame(trainer, shown["frame"]), "epoch": epoch, "loss": loss}
        ctx.latest("frame", picture)
        shown.update(frame=picture, at=time.monotonic())
        if row:
            ctx.report(epoch=epoch, loss=loss, **{f"accuracy_{r}": picture["accuracy"][r] for r in (*RELATIONS, "all")})

    send(0.0, None, row=True)
    ctx.progress(1, 0.0)
    ctx.publish(trainer.model, force=True)
    yield "step"
    for epoch in range(1, options.epochs + 1):
        done, last_yield = 0, time.monotonic()
        for _ in trainer.batches():
            done += 1
            share = done / trainer.epoch_size
            waited = time.monotonic() - last_yield > 0.1  # paused, or stepping
            every = max(1, trainer.epoch_size // _ROWS_PER_EPOCH)
            row = done % every == 0 and done + every // 2 < trainer.epoch_size
            if row or waited or time.monotonic() - shown["at"] >= _FRAME_EVERY_S:
                send(epoch - 1 + share, trainer.take_loss() if row else trainer.last_loss, row=row)
            ctx.progress(epoch, share)
            ctx.publish(trainer.model)
            last_yield = time.monotonic()
            yield "step"
        send(float(epoch), trainer.take_loss(), row=True)
        ctx.publish(trainer.model, force=True)
        yield "epoch"
