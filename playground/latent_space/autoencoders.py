"""Autoencoders: squeeze an image through a small code and rebuild it, then explore the code space.

Four kinds share one network shape, an encoder spec and a decoder spec built like any other network
(`playground.models`):

- plain: learn to copy the input through the bottleneck (mean squared error per pixel);
- sparse: the same, plus an L1 penalty on the code, so most code units stay near zero;
- denoising: Gaussian noise is added to the input, the target is the clean image
  (Vincent et al., "Extracting and Composing Robust Features with Denoising Autoencoders", 2008);
- variational: the encoder outputs a mean and a log-variance per code unit, a code is sampled with
  the reparameterization trick, and the loss is the reconstruction term plus β times the KL
  divergence from the standard normal prior (Kingma & Welling, "Auto-Encoding Variational Bayes",
  2014; β as in Higgins et al., "β-VAE", 2017).

The `"autoencoder"` trainer runs in the worker pool. It reports the reconstruction and KL terms as
their own history columns and, every epoch, a strip of test images with their reconstructions as the
series "reconstructions". `fit` runs the same loop in the calling process (notebooks, tests).

Then, on a trained model: the test set's codes, decoding any latent point, a straight walk between
two codes, the decoded manifold grid, a denoising example, and the comparison with PCA.

Shapes: images are (N, C, H, W) with values in [0, 1]; codes are (N, latent).
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from playground.checkpoints import state_from_bytes
from playground.jobs import placement
from playground.jobs.supervised import make_optimizer
from playground.jobs.train import (
    CheckedSettings,
    Config,
    TrainingError,
    TrainingJob,
    is_int,
    is_number,
    register_trainer,
)
from playground.layers import SpecError
from playground.models import build, count_params, output_shape, validate

__all__ = ["ARCHITECTURES", "ARCHITECTURE_LABELS", "BETAS", "DATASETS", "DATASET_LABELS", "KINDS", "LEARNING_RATES",
           "MAX_EPOCHS", "NOISE_LEVELS", "SPARSITIES", "WIDTHS", "CodeSpace", "code_space", "denoising_errors",
           "describe_networks", "pca_map_points", "PCA", "Autoencoder", "LatentMap", "Objective", "codes",
           "corrupt", "decode", "default_config", "denoise", "evaluate", "fit", "fit_pca", "from_job",
           "grid_coordinates", "latent_map", "loss_terms", "manifold_grid", "network_specs", "pca_comparison",
           "reconstruction_error", "start", "start_at_the_mean", "strip_indices", "training_options", "walk"]

# What each kind does, in a sentence a student can read next to the widget.
KINDS = {
    "plain": "copies its input through the narrow code, as well as it can",
    "sparse": "the same, with a penalty on the code's size, so most code units stay near zero",
    "denoising": "gets a noisy input and must rebuild the clean one",
    "variational": "encodes each input as a small cloud of codes and keeps the clouds near a standard normal",
}
ARCHITECTURES = {
    "mlp": "Fully connected layers with ReLU between them.",
    "conv": "Two strided convolutions down, two transposed convolutions up.",
    "linear": "One linear layer each way and no activation: it can learn no more than PCA finds.",
}
# Image sets an autoencoder can learn here; the torchvision ones need their files.
DATASETS = ("digits", "mnist", "fashion_mnist")
# Subsets of the large sets, so that an epoch takes seconds on a CPU.
DATASET_PARAMS = {"digits": {}, "mnist": {"n_train": 10_000, "n_test": 2_000},
                  "fashion_mnist": {"n_train": 10_000, "n_test": 2_000}}

MAX_LATENT = 64
# What the studio offers beside the registries above, and how it names them.
ARCHITECTURE_LABELS = {"mlp": "MLP", "conv": "small conv", "linear": "linear"}
DATASET_LABELS = {"digits": "digits (8×8, instant)", "mnist": "MNIST (28×28, 10,000 images)",
                  "fashion_mnist": "Fashion-MNIST (28×28, 10,000 images)"}
WIDTHS = (16, 32, 64, 128, 256, 512)
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01, 0.03)
NOISE_LEVELS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
BETAS = (0.0, 0.1, 0.5, 1.0, 2.0, 4.0, 10.0)
SPARSITIES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1)
MAX_EPOCHS = 200
_CHUNK = 1024  # examples per forward pass outside training
_STRIP = 10  # test images in the live strip: one of each class where there are ten


# ----------------------------------------------------------------------------------------------
# Settings.


@dataclasses.dataclass
class Objective(CheckedSettings):
    """What the autoencoder is trained to do: its kind and that kind's one knob."""

    kind: str = "plain"
    noise: float = 0.3  # denoising: standard deviation of the Gaussian noise, in pixel units (pixels span 0-1)
    beta: float = 1.0  # variational: weight of the KL term; 1 is the plain VAE's evidence lower bound
    # sparse: weight of the mean absolute code value added to the loss; against a per-pixel squared
    # error of about 0.01-0.05, 0.01 shrinks the codes several times over while 0.1 can flatten them all.
    sparsity: float = 0.01

    def checks(self) -> list[tuple[bool, str, str]]:
        return [
            (self.kind in KINDS, "kind", f"must be one of {', '.join(KINDS)}"),
            (is_number(self.noise) and 0 <= self.noise <= 2, "noise", "must be a number from 0 to 2"),
            (is_number(self.beta) and 0 <= self.beta <= 100, "beta", "must be a number from 0 to 100"),
            (is_number(self.sparsity) and 0 <= self.sparsity <= 100, "sparsity", "must be a number from 0 to 100"),
        ]

    @classmethod
    def from_dict(cls, values: dict) -> Objective:
        """An Objective from the keys of `values` it knows (options carry more keys beside them)."""
        return cls(**{f.name: values[f.name] for f in dataclasses.fields(cls) if f.name in values}).validate()

    @property
    def variational(self) -> bool:
        return self.kind == "variational"


def default_config(dataset_name: str = "digits", *, epochs: int | None = None, seed: int = 0) -> Config:
    """Training settings that give a clear result quickly: Adam, lr 0.003, batches of 64.

    Digits take 40 epochs of a few hundred milliseconds each; the 10,000-image subsets of MNIST and
    Fashion-MNIST need fewer passes.
    """
    if epochs is None:
        epochs = 40 if dataset_name == "digits" else 10
    return Config(optimizer="adam", lr=0.003, batch_size=64, epochs=epochs, loss="mse", seed=seed)


# ----------------------------------------------------------------------------------------------
# Networks: an encoder spec and a decoder spec.


def network_specs(input_shape, *, architecture: str = "mlp", latent: int = 2, width: int = 128,
                  variational: bool = False) -> tuple[dict, dict]:
    """An encoder spec (image -> code) and a decoder spec (code -> image) for `input_shape` [C, H, W].

    The encoder ends in `latent` numbers, or 2·latent (means, then log-variances) when `variational`.
    "mlp": one hidden layer of `width` neurons each way; "conv": two stride-2 convolutions (16 and 32
    filters) down and two transposed convolutions up, for sides divisible by 4; "linear": one linear
    layer each way. The decoder ends in a sigmoid (pixels in [0, 1]) except for "linear", which stays
    linear so that it can be compared with PCA. Raises SpecError for what cannot be built.
    """
    shape = [int(v) for v in input_shape]
    if len(shape) != 3:
        raise SpecError(f"An autoencoder here needs image inputs [C, H, W], got {shape}", key="input_shape")
    if architecture not in ARCHITECTURES:
        raise SpecError(f"architecture must be one of {', '.join(ARCHITECTURES)}, got {architecture!r}")
    if not is_int(latent) or not 1 <= latent <= MAX_LATENT:
        raise SpecError(f"The code size must be a whole number from 1 to {MAX_LATENT}, got {latent!r}", key="latent")
    if not is_int(width) or not 1 <= width <= 4096:
        raise SpecError(f"The hidden width must be a whole number from 1 to 4096, got {width!r}", key="width")
    if variational and architecture == "linear":
        raise SpecError("A variational autoencoder's decoder gives pixel probabilities, so it needs the sigmoid "
                        "at its end: choose the MLP or the conv architecture.", key="architecture")
    code = 2 * latent if variational else latent
    c, h, w = shape
    if architecture == "linear":
        encoder = [{"type": "linear", "out_features": code}]
        decoder = [{"type": "linear", "out_features": c * h * w}, {"type": "unflatten", "shape": shape}]
    elif architecture == "mlp":
        encoder = [{"type": "linear", "out_features": width}, {"type": "relu"},
                   {"type": "linear", "out_features": code}]
        decoder = [{"type": "linear", "out_features": width}, {"type": "relu"},
                   {"type": "linear", "out_features": c * h * w}, {"type": "unflatten", "shape": shape},
                   {"type": "sigmoid"}]
    else:
        if h % 4 or w % 4:
            raise SpecError(f"The conv autoencoder halves the image twice, so its sides must be divisible by 4; "
                            f"{h}×{w} is not. Choose the MLP.", key="architecture")
        inner = [32, h // 4, w // 4]
        encoder = [{"type": "conv2d", "out_channels": 16, "kernel_size": 3, "stride": 2, "padding": 1},
                   {"type": "relu"},
                   {"type": "conv2d", "out_channels": 32, "kernel_size": 3, "stride": 2, "padding": 1},
                   {"type": "relu"}, {"type": "linear", "out_features": code}]
        # A 4×4 kernel with stride 2 and padding 1 doubles the side exactly: (n-1)·2 - 2 + 4 = 2n.
        decoder = [{"type": "linear", "out_features": math.prod(inner)}, {"type": "relu"},
                   {"type": "unflatten", "shape": inner},
                   {"type": "conv_transpose2d", "out_channels": 16, "kernel_size": 4, "stride": 2, "padding": 1},
                   {"type": "relu"},
                   {"type": "conv_transpose2d", "out_channels": c, "kernel_size": 4, "stride": 2, "padding": 1},
                   {"type": "sigmoid"}]
    return (validate({"input_shape": shape, "layers": encoder}),
            validate({"input_shape": [latent], "layers": decoder}))


def describe_networks(encoder_spec: dict, decoder_spec: dict, dataset, *, variational: bool = False) -> str:
    """One sentence on the two networks and the data: layers, parameters, code size, images."""
    latent = decoder_spec["input_shape"][0]
    counts = count_params(encoder_spec), count_params(decoder_spec)
    return (f"Encoder: {len(encoder_spec['layers'])} layers, {counts[0]:,} parameters → code of {latent} "
            f"number{'s' if latent > 1 else ''}{' (a mean and a spread for each)' if variational else ''} → "
            f"decoder: {len(decoder_spec['layers'])} layers, {counts[1]:,} parameters. {len(dataset.x_train):,} "
            f"training and {len(dataset.x_test):,} test images of {'×'.join(map(str, dataset.input_shape[1:]))} "
            "pixels.")


class Autoencoder(nn.Module):
    """An encoder network and a decoder network, built from their specs.

    `kind` "variational" reads the encoder's 2·latent outputs as means and log-variances; every other
    kind reads them as the code itself. `encode` always gives the deterministic code (the mean for
    the VAE), `decode` turns codes into images, and calling the module reconstructs.
    """

    def __init__(self, encoder_spec: dict, decoder_spec: dict, *, kind: str = "plain"):
        super().__init__()
        if kind not in KINDS:
            raise SpecError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        encoder_spec, decoder_spec = validate(encoder_spec), validate(decoder_spec)
        out = output_shape(encoder_spec)
        if len(out) != 1:
            raise SpecError(f"The encoder must end in a flat code, but it outputs {out}: end it with a linear "
                            "layer", key="layers")
        latent = out[0] // 2 if kind == "variational" else out[0]
        if kind == "variational" and out[0] % 2:
            raise SpecError(f"A variational encoder outputs a mean and a log-variance per code unit, so an even "
                            f"number of values; this one outputs {out[0]}", key="layers")
        if list(decoder_spec["input_shape"]) != [latent]:
            raise SpecError(f"The decoder must take the code of {latent} numbers as input, but its input_shape "
                            f"is {decoder_spec['input_shape']}", key="input_shape")
        if output_shape(decoder_spec) != list(encoder_spec["input_shape"]):
            raise SpecError(f"The decoder must rebuild images of shape {encoder_spec['input_shape']}, but it "
                            f"outputs {output_shape(decoder_spec)}", key="layers")
        if kind == "variational" and decoder_spec["layers"][-1]["type"] != "sigmoid":
            raise SpecError("A variational autoencoder's decoder must end in a sigmoid: its outputs are pixel "
                            "probabilities", key="layers")
        self.kind = kind
        self.latent = latent
        self.input_shape = tuple(encoder_spec["input_shape"])
        self.encoder_spec, self.decoder_spec = encoder_spec, decoder_spec
        self.encoder = build(encoder_spec)
        self.decoder = build(decoder_spec)

    @property
    def variational(self) -> bool:
        return self.kind == "variational"

    def distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Means and log-variances (N, latent) of the code; for other kinds the code and zeros."""
        out = self.encoder(x)
        if self.variational:
            return out[:, :self.latent], out[:, self.latent:]
        return out, torch.zeros_like(out)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code (N, latent) of images (N, C, H, W): the mean for the VAE."""
        out = self.encoder(x)
        return out[:, :self.latent] if self.variational else out

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W) decoded from codes (N, latent)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def _input_shape(dataset) -> list[int]:
    shape = list(dataset.input_shape)
    if len(shape) != 3:
        raise SpecError(f"{dataset.name} is not an image set: an autoencoder here needs images", key="input_shape")
    return shape


# ----------------------------------------------------------------------------------------------
# Losses.


def corrupt(x: torch.Tensor, noise: float, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """`x` plus Gaussian noise of standard deviation `noise`, clipped back to [0, 1]."""
    if noise <= 0:
        return x
    eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device="cpu" if generator else x.device)
    return (x + noise * eps.to(x.device)).clamp(0.0, 1.0)


def _kl_per_example(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, e^logvar) ‖ N(0, 1)) in nats for each row: -½ Σ (1 + logvar - mu² - e^logvar)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)


def _bce_per_example(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x | z) of a Bernoulli decoder, in nats for each example: binary cross-entropy over pixels."""
    return F.binary_cross_entropy(out.clamp(1e-6, 1 - 1e-6), x, reduction="none").flatten(1).sum(1)


def loss_terms(model: Autoencoder, x: torch.Tensor, objective: Objective, *, sample: bool = True,
               generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """The loss of a batch `x` and its parts, as scalar tensors.

    Keys: "loss" (what is minimized), "reconstruction" (mean squared error per pixel, or for the VAE
    the Bernoulli negative log-likelihood in nats per example), "kl" (VAE: nats per example, else 0),
    "sparsity" (mean absolute code value, for every kind). `sample` False uses the VAE's mean code
    instead of a sample (for evaluation). Noise and samples come from `generator` or torch's RNG.
    """
    target = x
    if objective.kind == "denoising":
        x = corrupt(x, objective.noise, generator=generator)
    mu, logvar = model.distribution(x)
    z = mu
    if model.variational and sample:
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device="cpu" if generator else mu.device)
        z = mu + (0.5 * logvar).exp() * eps.to(mu.device)  # the reparameterization trick
    out = model.decode(z)
    zero = out.new_zeros(())
    if model.variational:
        reconstruction = _bce_per_example(out, target).mean()
        kl = _kl_per_example(mu, logvar).mean()
        loss = reconstruction + objective.beta * kl
    else:
        reconstruction = F.mse_loss(out, target)
        kl = zero
        loss = reconstruction
    sparsity = mu.abs().mean()
    if objective.kind == "sparse":
        loss = loss + objective.sparsity * sparsity
    return {"loss": loss, "reconstruction": reconstruction, "kl": kl, "sparsity": sparsity}


@torch.no_grad()
def evaluate(model: Autoencoder, x: torch.Tensor, objective: Objective, *, seed: int = 0) -> dict[str, float]:
    """Mean loss terms of `loss_terms` over `x` (the VAE decodes its mean codes), plus "mse".

    "mse" is the mean squared error per pixel of reconstructing the clean inputs: the one error all
    kinds and PCA share. Denoising noise comes from a generator seeded with `seed`, so repeated
    evaluations of the same model agree.
    """
    was_training = model.training
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    device = placement.model_device(model)  # `x` may stay on the CPU: each chunk moves in turn
    sums = {"loss": 0.0, "reconstruction": 0.0, "kl": 0.0, "sparsity": 0.0, "mse": 0.0}
    for i in range(0, len(x), _CHUNK):
        xb = x[i:i + _CHUNK].to(device)
        terms = loss_terms(model, xb, objective, sample=False, generator=generator)
        for key, value in terms.items():
            sums[key] += value.item() * len(xb)
        sums["mse"] += F.mse_loss(model(xb), xb).item() * len(xb)
    model.train(was_training)
    return {key: value / max(len(x), 1) for key, value in sums.items()}


# ----------------------------------------------------------------------------------------------
# Training.


def strip_indices(labels: torch.Tensor, n: int = _STRIP) -> list[int]:
    """Up to `n` test indices for the live strip: the first example of each class, in class order."""
    seen: dict[int, int] = {}
    for i, label in enumerate(labels.tolist()):
        if label not in seen:
            seen[label] = i
    chosen = [seen[c] for c in sorted(seen)][:n]
    extra = [i for i in range(len(labels)) if i not in set(chosen)]
    return chosen + extra[:n - len(chosen)]


def _batches(n: int, batch_size: int, generator: torch.Generator):
    order = torch.randperm(n, generator=generator)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def _report(ctx, epoch: int, train: dict | None, test: dict, objective: Objective, *, speed: float | None,
            seconds: float) -> None:
    train = train or {}
    variational = objective.variational
    ctx.report(epoch=epoch, train_loss=train.get("loss"), train_acc=None, val_loss=test["loss"], val_acc=None,
               samples_per_s=speed, seconds=seconds,
               train_recon=train.get("reconstruction"), val_recon=test["reconstruction"],
               train_kl=train.get("kl") if variational else None, val_kl=test["kl"] if variational else None,
               beta=objective.beta if variational else None,
               train_sparsity=train.get("sparsity"), val_sparsity=test["sparsity"], val_mse=test["mse"])


def _training(ctx, model: Autoencoder):
    """The training loop, as a generator for the worker (`yield "step"` per batch, "epoch" per epoch)."""
    config, data, device = ctx.config, ctx.dataset, ctx.device
    objective = Objective.from_dict(ctx.options)
    optimizer = make_optimizer(model, config)
    # The images move to the device once, when they fit there; otherwise each batch moves in turn.
    (x_train, x_test), resident = placement.place((data.x_train, data.x_test), device)
    strip = strip_indices(data.y_test, int(ctx.options.get("strip", _STRIP)))
    shuffler = torch.Generator().manual_seed(config.seed)
    n = len(x_train)
    n_batches = max(1, math.ceil(n / config.batch_size))
    started = time.perf_counter()

    def after_epoch(epoch: int, train: dict | None, speed: float | None) -> None:
        _report(ctx, epoch, train, evaluate(model, x_test, objective, seed=config.seed), objective, speed=speed,
                seconds=time.perf_counter() - started)
        with torch.no_grad():
            model.eval()
            inputs = x_test[strip].to(device)
            shown = corrupt(inputs, objective.noise, generator=torch.Generator().manual_seed(config.seed)) \
                if objective.kind == "denoising" else inputs
            outputs = model(shown)
            model.train()
        ctx.series("reconstructions", {"epoch": epoch, "inputs": _numpy(shown), "outputs": _numpy(outputs),
                                       "labels": data.y_test[strip].tolist()})
        ctx.publish(model, force=True)

    after_epoch(0, None, None)
    ctx.progress(1, 0.0)
    yield "epoch"
    model.train()
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        sums = {"loss": 0.0, "reconstruction": 0.0, "kl": 0.0, "sparsity": 0.0}
        for b, idx in enumerate(_batches(n, config.batch_size, shuffler)):
            xb = x_train[idx] if resident else placement.to_device(x_train[idx], device)
            terms = loss_terms(model, xb, objective)
            value = terms["loss"].item()
            if not math.isfinite(value):
                raise TrainingError(f"The loss became {value} at epoch {epoch} (batch {b + 1}), so training "
                                    "stopped. Try a lower learning rate.")
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            for key in sums:
                sums[key] += terms[key].item() * len(idx)
            ctx.progress(epoch, (b + 1) / n_batches)
            yield "step"
        speed = n / max(time.perf_counter() - epoch_start, 1e-9)
        after_epoch(epoch, {key: value / n for key, value in sums.items()}, speed)
        yield "epoch"


def _numpy(images: torch.Tensor) -> np.ndarray:
    return images.detach().to("cpu", torch.float32).numpy().copy()


def _model_for(ctx) -> Autoencoder:
    objective = Objective.from_dict(ctx.options)
    if "decoder" not in ctx.options:
        raise TrainingError("The autoencoder trainer needs the decoder's spec in its options ('decoder').")
    torch.manual_seed(ctx.config.seed)
    model = Autoencoder(ctx.spec, ctx.options["decoder"], kind=objective.kind)
    if ctx.init_weights is not None:
        model.load_state_dict(state_from_bytes(ctx.init_weights))
    else:
        start_at_the_mean(model, ctx.dataset.x_train)
    return model.to(ctx.device)


def _is_linear(spec: dict) -> bool:
    return [layer["type"] for layer in spec["layers"] if layer["type"] != "unflatten"] == ["linear"]


@torch.no_grad()
def start_at_the_mean(model: Autoencoder, x_train: torch.Tensor) -> bool:
    """Start a linear autoencoder at the training images' mean: decoder bias = mean, codes centred.

    PCA codes the deviation from the mean; from a random start, Adam spends most of a short run
    learning the mean through the biases (40 epochs on the digits left it 7-17 % above PCA's error;
    from the mean it is within 0.3 %). Only for one linear layer each way (other decoders end in a
    sigmoid). Returns whether it applied.
    """
    if not (_is_linear(model.encoder_spec) and _is_linear(model.decoder_spec)) or model.variational:
        return False
    encoder = next(m for m in model.encoder.modules() if isinstance(m, nn.Linear))
    decoder = next(m for m in model.decoder.modules() if isinstance(m, nn.Linear))
    if encoder.bias is None or decoder.bias is None:
        return False
    mean = x_train.reshape(len(x_train), -1).to(decoder.bias.dtype).mean(0)
    decoder.bias.copy_(mean)
    encoder.bias.copy_(-encoder.weight @ mean)
    return True


@register_trainer("autoencoder")
def autoencoder(ctx):
    """Train an autoencoder: the job's spec is the encoder, `options["decoder"]` the decoder.

    Options: the `Objective` fields (kind, noise, beta, sparsity), "decoder" (a spec), optionally
    "strip" (how many test images to show, default 10). History rows carry, beside the usual
    columns (train_loss, val_loss: the objective), train_recon / val_recon, train_kl / val_kl and beta
    (VAE only), train_sparsity / val_sparsity, and val_mse (test reconstruction error per pixel).
    Each epoch (epoch 0 untrained) appends {"epoch", "inputs", "outputs", "labels"} to the series
    "reconstructions"; the weights are published every epoch.
    """
    if ctx.dataset.task != "classification" or len(ctx.dataset.input_shape) != 3:
        raise TrainingError("An autoencoder here learns from an image set such as digits.")
    yield from _training(ctx, _model_for(ctx))


def start(dataset, objective: Objective, encoder_spec: dict, decoder_spec: dict, config: Config | None = None,
          **kwargs) -> TrainingJob:
    """Start training an autoencoder in the worker pool; returns the job at once.

    Checks that the two specs make an autoencoder of `objective.kind` for `dataset` first (SpecError,
    ConfigError). `kwargs` go to `playground.jobs.train.start` (session, name, pool).
    """
    from playground.jobs import train

    return train.start(encoder_spec, dataset, config or default_config(dataset.name), trainer="autoencoder",
                       options=training_options(dataset, objective, encoder_spec, decoder_spec), **kwargs)


def training_options(dataset, objective: Objective, encoder_spec: dict, decoder_spec: dict) -> dict:
    """The "autoencoder" trainer's options for these specs on `dataset`, after checking they fit.

    Raises ConfigError for a bad objective and SpecError when the specs do not make an autoencoder of
    `objective.kind` for the dataset's images. The options keep the dataset's reference
    ("dataset_ref"), so whoever reads the job later can remake its data.
    """
    objective = objective.validate()
    if list(encoder_spec["input_shape"]) != _input_shape(dataset):
        raise SpecError(f"The encoder expects inputs of shape {encoder_spec['input_shape']} but {dataset.name} "
                        f"has images of shape {list(dataset.input_shape)}", key="input_shape")
    Autoencoder(encoder_spec, decoder_spec, kind=objective.kind)  # every check, before a worker is involved
    return {**objective.to_dict(), "decoder": validate(decoder_spec), "dataset_ref": dataset.ref()}


def from_job(job: TrainingJob) -> Autoencoder | None:
    """The job's latest weights as an Autoencoder in eval mode on the CPU, or None before any."""
    weights = job.weights
    if weights is None:
        return None
    model = Autoencoder(job.spec, job.options["decoder"], kind=job.options.get("kind", "plain"))
    model.load_state_dict(state_from_bytes(weights))
    return model.eval()


def fit(dataset, objective: Objective, encoder_spec: dict, decoder_spec: dict,
        config: Config | None = None) -> tuple[Autoencoder, pd.DataFrame]:
    """Train in this process with the trainer's own loop; returns the model (eval mode) and its history."""
    from playground.jobs.worker import JobContext

    config = (config or default_config(dataset.name)).validate()
    options = {**objective.validate().to_dict(), "decoder": decoder_spec}
    ctx = JobContext(0, validate(encoder_spec), dataset, config, torch.device("cpu"), options=options)
    torch.manual_seed(config.seed)
    model = _model_for(ctx)
    for _ in _training(ctx, model):
        pass
    return model.eval(), pd.DataFrame(ctx.take_update().get("rows", []))


# ----------------------------------------------------------------------------------------------
# Looking at the code space.


@torch.no_grad()
def codes(model: Autoencoder, x: torch.Tensor) -> np.ndarray:
    """The codes (N, latent) of images `x` (N, C, H, W); the VAE gives its means."""
    model.eval()
    if len(x) == 0:
        return np.zeros((0, model.latent), dtype=np.float32)
    return torch.cat([model.encode(x[i:i + _CHUNK]) for i in range(0, len(x), _CHUNK)]).numpy()


@torch.no_grad()
def decode(model: Autoencoder, z) -> np.ndarray:
    """Images (N, C, H, W) decoded from codes `z` (N, latent); one code (latent,) gives N = 1."""
    model.eval()
    z = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, model.latent)
    return model.decode(z).clamp(0.0, 1.0).numpy()


@dataclasses.dataclass
class LatentMap:
    """A flat, 2-D view of the code space: `to_map` projects codes, `from_map` lifts map points back.

    `axes` (2, latent) are orthonormal directions and `mean` (latent,) the point at the map's origin.
    With a 2-D code the map is the code itself; with more, the plane of the codes' first two principal
    components (`explained`: the share of the codes' variance along each); with one, x is the code and
    y stays 0.
    """

    mean: np.ndarray
    axes: np.ndarray
    explained: np.ndarray | None = None

    @property
    def is_identity(self) -> bool:
        return self.axes.shape == (2, 2) and bool(np.allclose(self.axes, np.eye(2)) and not self.mean.any())

    def to_map(self, z) -> np.ndarray:
        """Map points (N, 2) of codes (N, latent)."""
        return (np.asarray(z, dtype=np.float64).reshape(-1, len(self.mean)) - self.mean) @ self.axes.T

    def from_map(self, points) -> np.ndarray:
        """Codes (N, latent) at map points (N, 2): on the map's plane through `mean`."""
        return (np.asarray(points, dtype=np.float64).reshape(-1, 2) @ self.axes + self.mean).astype(np.float32)


def latent_map(code_values: np.ndarray) -> LatentMap:
    """The LatentMap for codes (N, latent): identity for 2, PCA of the codes above 2, padded for 1."""
    z = np.asarray(code_values, dtype=np.float64)
    latent = z.shape[1]
    if latent == 2:
        return LatentMap(np.zeros(2), np.eye(2))
    if latent == 1:
        return LatentMap(np.zeros(1), np.array([[1.0], [0.0]]))
    pca = fit_pca(z, 2)
    return LatentMap(pca.mean, pca.components, pca.explained)


@dataclasses.dataclass
class CodeSpace:
    """A trained autoencoder's test codes laid out on the map, with what a page needs to explore them.

    `codes` (N, latent), `points` (N, 2) their map positions, `labels` (N,), `low` and `high` (2,)
    the map's extent per axis (rounded to 0.1; sliders span it), `members`: the test indices of each
    class, in the order the map draws one trace per class.
    """

    codes: np.ndarray
    mapping: LatentMap
    points: np.ndarray
    labels: np.ndarray
    low: np.ndarray
    high: np.ndarray
    members: list[np.ndarray]

    @property
    def collapsed(self) -> bool:
        """Whether every code is almost the same (the decoder can then draw only one average picture)."""
        return bool(np.ptp(self.codes, axis=0).max() < 1e-2)

    def middle(self) -> tuple[float, float]:
        """The median map point, rounded to 2 places: where exploring a new model starts."""
        x, y = np.round(np.median(self.points, axis=0), 2)
        return float(x), float(y)

    def step(self, axis: int) -> float:
        """A slider step for `axis`: a hundredth of its extent, at least 0.001."""
        return float(max(np.round((self.high[axis] - self.low[axis]) / 100, 3), 0.001))

    def clamp(self, axis: int, value: float) -> float:
        return float(min(max(value, self.low[axis]), self.high[axis]))

    def click_grid(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """x and y values (n each) evenly over the map's extent: the faint grid a click can select."""
        return np.linspace(self.low[0], self.high[0], n), np.linspace(self.low[1], self.high[1], n)

    def nearest(self, code) -> int:
        """The test index whose code is closest to `code` (latent,)."""
        return int(np.argmin(((self.codes - np.asarray(code)) ** 2).sum(1)))

    def image_at(self, curve: int, point_index: int) -> int | None:
        """The test index of a clicked point: trace `curve` of the map, point `point_index` in it."""
        if 0 <= curve < len(self.members) and 0 <= point_index < len(self.members[curve]):
            return int(self.members[curve][point_index])
        return None


def code_space(model: Autoencoder, x: torch.Tensor, labels) -> CodeSpace:
    """The CodeSpace of images `x` (N, C, H, W) with class `labels` (N,).

    The extent runs from the 0.5th to the 99.5th percentile of the map points on each axis (for a VAE
    at least the prior's middle 95 %, ±2), padded by a tenth; a flat axis (a 1-number code's y)
    still gets 0.2.
    """
    code_values = codes(model, x)
    mapping = latent_map(code_values)
    points = mapping.to_map(code_values)
    labels = np.asarray(labels).reshape(-1)
    low, high = np.percentile(points, 0.5, axis=0), np.percentile(points, 99.5, axis=0)
    if model.variational:
        low, high = np.minimum(low, -2.0), np.maximum(high, 2.0)
    pad = 0.1 * np.maximum(high - low, 1e-3)
    low, high = np.round(low - pad, 1), np.round(high + pad, 1)
    high = np.where(high - low < 0.2, low + 0.2, high)
    members = [np.flatnonzero(labels == label) for label in np.unique(labels)]
    return CodeSpace(code_values, mapping, points, labels, low, high, members)


def walk(model: Autoencoder, start_code, end_code, steps: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Codes (steps, latent) on the straight line from `start_code` to `end_code`, ends included, and
    their decoded images (steps, C, H, W)."""
    if steps < 2:
        raise ValueError("a walk needs at least 2 steps")
    a, b = (np.asarray(c, dtype=np.float32).reshape(-1) for c in (start_code, end_code))
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    path = (1 - t) * a + t * b
    return path, decode(model, path)


def grid_coordinates(map_points: np.ndarray, n: int, *, variational: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The x and y values (n each) of an n × n grid over the latent square.

    For a VAE: the standard normal's quantiles at n evenly spaced probabilities from 0.05 to 0.95
    (`torch.distributions.Normal(0, 1).icdf`), as Kingma & Welling draw their 2-D manifolds. Otherwise
    evenly spaced from the 2nd to the 98th percentile of `map_points` (N, 2) on each axis, so a few
    far-out codes do not leave most of the grid empty.
    """
    if n < 1:
        raise ValueError("the grid needs at least one row")
    if variational:
        probabilities = torch.linspace(0.05, 0.95, n, dtype=torch.float64)
        values = torch.distributions.Normal(0.0, 1.0).icdf(probabilities).numpy()
        return values.copy(), values.copy()
    points = np.asarray(map_points, dtype=np.float64)
    low, high = np.percentile(points, 2, axis=0), np.percentile(points, 98, axis=0)
    high = np.where(high - low < 1e-6, low + 1.0, high)  # a flat axis (a 1-D code's y) still gets a range
    return np.linspace(low[0], high[0], n), np.linspace(low[1], high[1], n)


def manifold_grid(model: Autoencoder, xs, ys, mapping: LatentMap | None = None) -> np.ndarray:
    """Decoded images (len(ys), len(xs), C, H, W) at every map point (x, y); row 0 is the largest y,
    so that the grid reads like the scatter plot above it."""
    mapping = mapping or latent_map(np.zeros((1, model.latent)))
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)[::-1]
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)  # row-major: y outer, x inner
    images = decode(model, mapping.from_map(points))
    return images.reshape(len(ys), len(xs), *images.shape[1:])


@torch.no_grad()
def denoise(model: Autoencoder, x: torch.Tensor, noise: float, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Noisy versions of images `x` (N, C, H, W), the model's reconstructions of them, and the clean x.

    Returns {"noisy", "reconstruction", "clean"}, each (N, C, H, W) in [0, 1]; the noise (Gaussian,
    standard deviation `noise`) comes from a generator seeded with `seed`.
    """
    model.eval()
    noisy = corrupt(x, noise, generator=torch.Generator().manual_seed(seed))
    return {"noisy": noisy.numpy(), "reconstruction": model(noisy).clamp(0, 1).numpy(), "clean": x.numpy()}


def denoising_errors(cleaned: dict[str, np.ndarray]) -> tuple[float, float]:
    """Squared error per pixel against the clean images of `denoise`'s noisy inputs and of its reconstructions."""
    clean = cleaned["clean"].astype(np.float64)
    return (float(np.mean((cleaned["noisy"] - clean) ** 2)), float(np.mean((cleaned["reconstruction"] - clean) ** 2)))


# ----------------------------------------------------------------------------------------------
# The comparison with PCA.


@dataclasses.dataclass
class PCA:
    """Principal component analysis fitted by `fit_pca`: flattened data ≈ mean + codes @ components.

    `mean` (D,), `components` (k, D) orthonormal rows, `explained` (k,) the share of the variance each
    component carries.
    """

    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray

    def encode(self, x) -> np.ndarray:
        """Codes (N, k) of data `x` (N, ...), flattened first."""
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        return (flat - self.mean) @ self.components.T

    def decode(self, code_values, shape=None) -> np.ndarray:
        """Data (N, D), or (N, *shape), rebuilt from codes (N, k)."""
        flat = np.asarray(code_values, dtype=np.float64) @ self.components + self.mean
        return flat if shape is None else flat.reshape(len(flat), *shape)

    def reconstruct(self, x) -> np.ndarray:
        """`x` (N, ...) projected onto the components and back, in x's shape."""
        x = np.asarray(x, dtype=np.float64)
        return self.decode(self.encode(x)).reshape(x.shape)


def fit_pca(x, k: int) -> PCA:
    """The first `k` principal components of `x` (N, ...), flattened, by singular value decomposition."""
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if not 1 <= k <= min(flat.shape):
        raise ValueError(f"k must be from 1 to {min(flat.shape)}, got {k}")
    mean = flat.mean(0)
    _, singular, vt = np.linalg.svd(flat - mean, full_matrices=False)
    variance = singular**2
    total = variance.sum()
    explained = variance[:k] / total if total > 0 else np.zeros(k)
    # Fix each component's sign (largest entry positive), so refits give the same picture.
    components = vt[:k] * np.where(vt[:k][np.arange(k), np.abs(vt[:k]).argmax(1)] < 0, -1.0, 1.0)[:, None]
    return PCA(mean, components, explained)


def reconstruction_error(model: Autoencoder | PCA, x: torch.Tensor) -> float:
    """Mean squared error per pixel of rebuilding images `x` (N, C, H, W) through `model`'s code."""
    if isinstance(model, PCA):
        return float(np.mean((model.reconstruct(x.numpy()) - x.numpy().astype(np.float64)) ** 2))
    model.eval()
    with torch.no_grad():
        total = sum(F.mse_loss(model(x[i:i + _CHUNK]), x[i:i + _CHUNK], reduction="sum").item()
                    for i in range(0, len(x), _CHUNK))
    return total / max(x.numel(), 1)


def pca_map_points(pca: PCA, x) -> np.ndarray:
    """Map points (N, 2) of images `x` under `pca`: its first two codes (one code and zeros for k = 1)."""
    pca_codes = pca.encode(x)
    return pca_codes[:, :2] if pca_codes.shape[1] >= 2 else np.column_stack([pca_codes[:, 0], np.zeros(len(x))])


def pca_comparison(model: Autoencoder, dataset, *, name: str = "autoencoder") -> tuple[pd.DataFrame, PCA]:
    """The autoencoder against PCA with as many components as its code has numbers, on the same data.

    PCA is fitted on the training images; both are scored on the test images. Returns a table with
    one row each (method, numbers in the code, test error: mean squared error per pixel, error
    relative to PCA's) and the fitted PCA.
    """
    pca = fit_pca(dataset.x_train.numpy(), model.latent)
    errors = {name: reconstruction_error(model, dataset.x_test), f"PCA, {model.latent} components":
              reconstruction_error(pca, dataset.x_test)}
    pca_error = errors[f"PCA, {model.latent} components"]
    table = pd.DataFrame({"method": list(errors), "numbers in the code": [model.latent] * 2,
                          "test reconstruction error (MSE per pixel)": list(errors.values()),
                          "relative to PCA": [e / pca_error if pca_error > 0 else math.nan for e in errors.values()]})
    return table, pca
