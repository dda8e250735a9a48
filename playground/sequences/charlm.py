"""A character-level language model: a recurrent network that learns to write, one character at a time.

The model reads characters as ids (`Vocabulary`), looks up a learned vector for each
(`nn.Embedding`), carries a state along the text with an LSTM or a GRU, and after every character
predicts the next one with a linear layer (`CharModel`). It trains on random windows of the text,
predicting every next character in each (truncated backpropagation through time, as in Karpathy's
char-rnn), with the mean cross-entropy in nats as the loss; divided by ln 2 it is bits per
character.

The baseline is the text's unigram entropy, −Σ p(c) ln p(c) over its character frequencies: the
loss of the best model that ignores context. A model below it has learned something about what
follows what.

The `"charlm"` trainer runs this in the worker pool (start it with `job_arguments`). One step is
the job's "epoch". Every step it reports a history row (train_loss; val_loss on held-out text every
`eval_every` steps), and every `sample_every` steps a sample in the series "samples" (written from
`options.prompt` at `options.temperature`, with the same seed each time, so only the model changes).
The weights are a `CharModel`'s: read them with `CharModel.from_weights`, not `job.model()`.
Everything is usable from a shell: `CharTrainer(options, text).step()`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.checkpoints import state_from_bytes
from playground.data import Dataset
from playground.jobs.train import CheckedSettings, Config, TrainingError, is_int, is_number, register_trainer
from playground.text import TextError

__all__ = ["CELLS", "HIDDEN_SIZES", "LEARNING_RATES", "STEPS", "CharModel", "CharOptions", "CharTrainer",
           "Vocabulary", "bits", "evaluate", "job_arguments", "job_baseline", "job_model", "live_producer",
           "loss_metrics", "next_char_probabilities", "sample", "split_text", "text_dataset", "unigram_entropy"]

CELLS = ("lstm", "gru")
HIDDEN_SIZES = (32, 64, 128, 256)
LEARNING_RATES = (0.001, 0.003, 0.01)
STEPS = (200, 400, 600, 1000, 2000, 4000)
HELD_OUT = 0.1  # the share of the text, at its end, kept to measure the loss on
_PAUSE_GAP_S = 0.1  # a longer wait between two steps means the job was paused: send a sample after the next


def bits(nats: float) -> float:
    """A loss in nats as bits (per character): nats / ln 2."""
    return nats / math.log(2)


def unigram_entropy(text: str) -> float:
    """The entropy of the text's character frequencies in nats: −Σ p(c) ln p(c).

    The cross-entropy of the best model that ignores context, so the baseline a language model
    must beat. ValueError for an empty text."""
    if not text:
        raise ValueError("an empty text has no character frequencies")
    counts = np.array(list(Counter(text).values()), dtype=float)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def split_text(text: str, held_out: float = HELD_OUT) -> tuple[str, str]:
    """(text to train on, held-out text): the last `held_out` share is kept back, cut at a line end
    when there is one near, so the held-out part starts where a line starts."""
    cut = int(len(text) * (1 - held_out))
    line = text.rfind("\n", int(cut * 0.95), cut)
    cut = line + 1 if line > 0 else cut
    return text[:cut], text[cut:]


class Vocabulary:
    """The characters a model knows, in id order (sorted), and the conversion both ways."""

    def __init__(self, chars: str):
        self.chars = "".join(sorted(set(chars)))
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        return cls(text)

    def __len__(self) -> int:
        return len(self.chars)

    def unknown(self, text: str) -> list[str]:
        """The characters of `text` the vocabulary lacks, each once, in order of appearance."""
        return list(dict.fromkeys(c for c in text if c not in self.index))

    def encode(self, text: str) -> torch.Tensor:
        """Ids (len(text),) int64. TextError naming the characters the model has never seen."""
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(repr(c) for c in missing[:10]) + (" …" if len(missing) > 10 else "")
            raise TextError(f"The model does not know {len(missing)} of these characters ({shown}): it only knows "
                            f"the {len(self.chars)} characters of the text it trained on.")
        return torch.tensor([self.index[c] for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


# ----------------------------------------------------------------------------------------------
# Settings and the model.


@dataclasses.dataclass
class CharOptions(CheckedSettings):
    """Settings of a character model and its training; JSON-able, and the options of the "charlm" trainer."""

    vocab: str = ""  # the characters, in id order (set by `job_arguments` from the text)
    cell: str = "lstm"
    embedding: int = 32  # length of each character's learned vector
    hidden: int = 128  # numbers in the state; 128 learns words from 20,000 characters in a few hundred steps
    layers: int = 1
    window: int = 64  # characters per training window: how far back gradients flow (truncated BPTT)
    batch_size: int = 32
    steps: int = 600
    lr: float = 0.003  # Adam; 0.01 also works for this size but its samples stay noisier
    clip: float = 1.0  # gradient norm clipping, the usual guard against exploding recurrent gradients
    prompt: str = "The "  # the recorded samples start from this
    temperature: float = 0.8
    sample_every: int = 50  # steps between recorded samples
    sample_chars: int = 200
    eval_every: int = 25  # steps between held-out losses

    what = "language model setting"

    def checks(self) -> list[tuple[bool, str, str]]:
        def whole(key, low, high):
            value = getattr(self, key)
            return (is_int(value) and low <= value <= high, key, f"must be a whole number from {low} to {high}")

        return [
            (isinstance(self.vocab, str) and 1 <= len(self.vocab) <= 1000, "vocab", "must hold 1 to 1000 characters"),
            (self.cell in CELLS, "cell", f"must be one of {', '.join(CELLS)}"),
            whole("embedding", 1, 256), whole("hidden", 1, 512), whole("layers", 1, 3), whole("window", 2, 256),
            whole("batch_size", 1, 256), whole("steps", 1, 100_000), whole("sample_every", 1, 100_000),
            whole("sample_chars", 1, 2000), whole("eval_every", 1, 100_000),
            (is_number(self.lr) and 0 < self.lr <= 1, "lr", "must be above 0 and at most 1"),
            (is_number(self.clip) and 0 < self.clip <= 100, "clip", "must be above 0 and at most 100"),
            (is_number(self.temperature) and 0 <= self.temperature <= 10, "temperature", "must be from 0 to 10"),
            (isinstance(self.prompt, str) and len(self.prompt) <= 200, "prompt", "must be at most 200 characters"),
        ]


class CharModel(nn.Module):
    """Embedding → LSTM or GRU (batch first) → a linear layer at every step.

    `forward(ids (B, T), state)` returns (logits (B, T, V), the new state): logits[:, t] scores the
    character after ids[:, t]."""

    def __init__(self, vocab_size: int, *, embedding: int = 32, hidden: int = 128, layers: int = 1,
                 cell: str = "lstm"):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding)
        self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](embedding, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    @classmethod
    def from_options(cls, options: CharOptions) -> CharModel:
        return cls(len(options.vocab), embedding=options.embedding, hidden=options.hidden, layers=options.layers,
                   cell=options.cell)

    @classmethod
    def from_weights(cls, options: CharOptions, weights: bytes) -> CharModel:
        """The model a job published (`job.weights`), on the CPU, in eval mode."""
        model = cls.from_options(options)
        model.load_state_dict(state_from_bytes(weights))
        return model.eval()

    def forward(self, ids: torch.Tensor, state=None):
        out, state = self.rnn(self.embed(ids), state)  # (B, T, H)
        return self.head(out), state


@torch.no_grad()
def _last_logits(model: CharModel, ids: torch.Tensor):
    """Read `ids` (T,) and return the logits after the last one (V,) and the state."""
    logits, state = model(ids[None])
    return logits[0, -1], state


def next_char_probabilities(model: CharModel, vocab: Vocabulary, prefix: str) -> np.ndarray:
    """P(next character | prefix) over the vocabulary, float64 (V,), summing to 1.

    TextError for an empty prefix or one with characters the model does not know."""
    if not prefix:
        raise TextError("Type at least one character: the model predicts what follows it.")
    model.eval()
    logits, _ = _last_logits(model, vocab.encode(prefix))
    return torch.softmax(logits.double(), 0).numpy()


def sample(model: CharModel, vocab: Vocabulary, prompt: str, length: int, *, temperature: float = 0.8,
           seed: int = 0) -> str:
    """`length` characters written after `prompt` (the prompt not included), one at a time.

    Each is drawn from softmax(logits / temperature); temperature 0 always takes the most likely
    one (greedy). Low temperatures play safe and repeat themselves, high ones are adventurous and
    misspell. The same seed gives the same text. TextError for a prompt the model cannot read."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    start = prompt or "\n"  # an empty prompt starts as a new line would
    logits, state = _last_logits(model, vocab.encode(start))
    out = []
    with torch.no_grad():
        for _ in range(length):
            if temperature <= 0:
                i = int(torch.argmax(logits))
            else:
                p = torch.softmax(logits.double() / temperature, 0)
                i = int(torch.multinomial(p, 1, generator=generator))
            out.append(i)
            logits, state = model(torch.tensor([[i]]), state)
            logits = logits[0, -1]
    return vocab.decode(out)


@torch.no_grad()
def evaluate(model: CharModel, ids: torch.Tensor, window: int) -> float:
    """Mean cross-entropy in nats of predicting each next character of `ids` (N,), read in
    consecutive windows of `window` characters (the state starting afresh in each)."""
    model.eval()
    n = (len(ids) - 1) // window
    if n < 1:
        raise ValueError(f"need more than {window} characters to evaluate, got {len(ids)}")
    x = ids[: n * window].reshape(n, window)
    y = ids[1: n * window + 1].reshape(n, window)
    logits, _ = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()


# ----------------------------------------------------------------------------------------------
# Training.


class CharTrainer:
    """A model, its optimizer and the text as ids, ready to train step by step.

    Weights come from torch's generator seeded with `seed`; windows from a generator of their own,
    so a seed repeats a run."""

    def __init__(self, options: CharOptions, train_text: str, held_out_text: str, *, seed: int = 0):
        self.options = options.validate()
        self.vocab = Vocabulary(options.vocab)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = CharModel.from_options(options)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=options.lr)
        self.train_ids = self.vocab.encode(train_text)
        self.held_out_ids = self.vocab.encode(held_out_text)
        if len(self.train_ids) <= options.window + 1:
            raise TrainingError(f"The text to train on has {len(self.train_ids)} characters; it needs more than "
                                f"{options.window + 1} (one window).")
        self.random = torch.Generator().manual_seed(seed)
        self.seed = seed
        self.steps_done = 0

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        w = self.options.window
        starts = torch.randint(0, len(self.train_ids) - w - 1, (self.options.batch_size,), generator=self.random)
        span = starts[:, None] + torch.arange(w + 1)  # (B, w + 1)
        chunk = self.train_ids[span]
        return chunk[:, :-1], chunk[:, 1:]

    def step(self) -> float:
        """One update on a batch of random windows; returns its mean loss in nats."""
        self.model.train()
        x, y = self._batch()
        logits, _ = self.model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), self.options.clip)
        self.optimizer.step()
        self.steps_done += 1
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingError(f"The loss became {value} at step {self.steps_done}, so training stopped. "
                                "Try a lower learning rate.")
        return value

    def held_out_loss(self) -> float:
        """Cross-entropy in nats on the held-out text (on the training text if that is too short)."""
        ids = self.held_out_ids if len(self.held_out_ids) > self.options.window else self.train_ids[-4096:]
        return evaluate(self.model, ids, min(self.options.window, len(ids) - 1))

    def write(self) -> str:
        """The recorded sample: `sample_chars` characters after the prompt, at the options' temperature,
        with the trainer's seed (the same draws every time, so only the model changes)."""
        prompt = "".join(c for c in self.options.prompt if c in self.vocab.index)
        return prompt + sample(self.model, self.vocab, prompt, self.options.sample_chars,
                               temperature=self.options.temperature, seed=self.seed)


def text_dataset(text: str, *, window: int = 64, name: str = "text", seed: int = 0) -> Dataset:
    """The text as a Dataset of character ids: rows of `window` consecutive ids (float32), each
    labelled with the id that follows it; the training part first, the held-out part (`split_text`)
    as the test set. `classes` are the characters; `params` hold the whole text's length and unigram
    entropy (the rows leave out a few characters at the end of each part)."""
    vocab = Vocabulary.from_text(text)
    parts = []
    for part in split_text(text):
        ids = vocab.encode(part)
        n = max((len(ids) - 1) // window, 0)
        parts.append((ids[: n * window].reshape(n, window).float(), ids[window: n * window + 1: window]))
    (x_train, y_train), (x_test, y_test) = parts
    params = {"characters": len(text), "unigram_entropy": unigram_entropy(text)}
    return Dataset(name=name, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, input_shape=(window,),
                   classes=list(vocab.chars), task="classification", params=params, seed=seed,
                   description=f"{len(text):,} characters of text, {len(vocab)} different ones")


def _ids_of(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The text's ids back from a `text_dataset` part: its rows end to end, and the last label."""
    if not len(x):
        return torch.zeros(0, dtype=torch.long)
    return torch.cat([x.reshape(-1).long(), y[-1:].long()])


def job_arguments(text: str, options: CharOptions | None = None, *, seed: int = 0, name: str = "text") -> dict:
    """What `train.start` (or a page's `start_job`) needs to train a character model on `text` in the pool.

    `options.vocab` is set from the text. The job's spec is a stand-in (one linear layer from a window to
    the characters) that only shapes the job; its weights are a `CharModel`'s. ConfigError for a bad setting."""
    options = dataclasses.replace(options or CharOptions(), vocab=Vocabulary.from_text(text).chars).validate()
    dataset = text_dataset(text, window=options.window, name=name, seed=seed)
    spec = {"input_shape": [options.window], "layers": [{"type": "linear", "out_features": len(options.vocab)}]}
    # Networks this small run faster on the CPU than they can be fed to a GPU.
    config = Config(epochs=options.steps, batch_size=options.batch_size, lr=options.lr, seed=seed, device="cpu")
    return {"spec": spec, "dataset": dataset, "config": config, "trainer": "charlm", "options": options.to_dict()}


def job_model(job) -> tuple[CharModel, Vocabulary] | None:
    """The job's model as it last published it, with its vocabulary; None before any weights."""
    if job.weights is None:
        return None
    options = CharOptions.from_dict(job.options)
    return CharModel.from_weights(options, job.weights), Vocabulary(options.vocab)


def job_baseline(job) -> float | None:
    """The unigram entropy (nats) of the text a "charlm" job trains on, once its trainer has sent it."""
    sent = job.series("baseline")
    return float(sent[0]) if sent else None


def loss_metrics(history, baseline: float | None) -> dict[str, str]:
    """The page's numbers, as text: {"Step", "Held-out loss", "Unigram baseline"}; losses in nats (short enough
    for a metric in a third of a 1280-pixel page; the caption and chart give bits)."""
    def shown(nats) -> str:
        return "–" if nats is None or not math.isfinite(nats) else f"{nats:.2f} nats"

    held = history["val_loss"].dropna() if len(history) and "val_loss" in history else []
    step = int(history["epoch"].max()) if len(history) else 0
    return {"Step": f"{step:,}", "Held-out loss": shown(float(held.iloc[-1]) if len(held) else None),
            "Unigram baseline": shown(baseline)}


def live_producer(job):
    """A feed's producer for a "charlm" job: status, the numbers, the loss curves with the baseline and the
    latest sample, computed again only when new rows or samples arrived."""
    from playground.figures.sequences.charlm import loss_series
    from playground.jobs import live

    def produce(job) -> dict:
        view = {**live.job_view(job), "unit": "step", "fraction": 0.0}
        history = job.history_since(0)
        samples = job.series("samples")
        baseline = job_baseline(job)
        view["metrics"] = loss_metrics(history, baseline)
        view["charts"] = {"loss": {"series": loss_series(history, baseline) if baseline is not None else []}}
        view["texts"] = {"sample": (f"Step {samples[-1]['step']:,}:\n{samples[-1]['text']}" if samples
                                    else "The first sample comes at step 0…")}
        return view

    return live.Cached(job, produce, mark=lambda j: (j.rows, len(j.series("samples"))))


@register_trainer("charlm")
def charlm(ctx):
    """Train a `CharModel` step by step (see the module docstring); a step is the job's "epoch".

    History rows: epoch (the step), train_loss (nats), val_loss (held-out, every `eval_every` steps
    and at the end; NaN between). Series "baseline": the text's unigram entropy, once. Series "samples":
    {"step", "text"} at step 0, every `sample_every` steps, after a pause and at the end.
    Weights: the `CharModel`, at least twice a second, after a pause and at the end.
    """
    options = CharOptions.from_dict(ctx.options)
    vocab = Vocabulary(options.vocab)
    train_text = vocab.decode(_ids_of(ctx.dataset.x_train, ctx.dataset.y_train))
    held_out_text = vocab.decode(_ids_of(ctx.dataset.x_test, ctx.dataset.y_test))
    trainer = CharTrainer(options, train_text, held_out_text, seed=ctx.config.seed)
    entropy = ctx.dataset.params.get("unigram_entropy") or unigram_entropy(train_text + held_out_text)
    ctx.series("baseline", float(entropy))

    def send_sample() -> None:
        ctx.series("samples", {"step": trainer.steps_done, "text": trainer.write()})

    send_sample()
    ctx.report(epoch=0, train_loss=None, val_loss=trainer.held_out_loss())
    ctx.progress(1, 0.0)
    ctx.publish(trainer.model, force=True)
    yield "step"
    paused = False
    for s in range(1, options.steps + 1):
        loss = trainer.step()
        last = s == options.steps
        val = trainer.held_out_loss() if s % options.eval_every == 0 or last else None
        ctx.report(epoch=s, train_loss=loss, val_loss=val)
        ctx.progress(s, 1.0)
        if s % options.sample_every == 0 or last or paused:
            send_sample()
        ctx.publish(trainer.model, force=last or paused)
        before = time.monotonic()
        yield "step"  # a step is both a batch and an "epoch", so Step stops here whichever it counts
        yield "epoch"
        paused = time.monotonic() - before > _PAUSE_GAP_S  # a long wait at the yields: paused, or stepping
