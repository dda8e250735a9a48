import numpy as np
import pandas as pd
import streamlit as st
import torch

from playground import dropout, regularization, train
from playground.figures.training_lab2 import (
    augmented_examples_figure,
    boundaries_figure,
    early_stopping_figure,
    variant_curves_figure,
    weight_histograms_figure,
)
from playground.regularization import AUGMENTATION_HELP, AUGMENTATIONS, Variant
from playground.ui import jobs, session
from playground.ui.boot import ensure_navigation
from playground.ui.urlstate import Field, PageState, bool_field

ensure_navigation()

PARTS = ["Weight penalties", "Early stopping", "Data augmentation"]
PENALTY_RATES = [0.01, 0.03, 0.1, 0.3]
JOBS = {"Weight penalties": "reg.job.penalty", "Early stopping": "reg.job.early", "Data augmentation": "reg.job.aug"}
XOR = {"n": 200, "noise": 0.4}  # 100 noisy points: a wide network overfits them within a few epochs
SHAPES = {"n": 800, "size": 16, "test_fraction": 0.5}

state = PageState("reg", {
    "part": Field(PARTS[0], check=lambda v: v in PARTS),
    "rate": Field(0.1, float, check=lambda v: v in PENALTY_RATES),
    "stop": bool_field(True),
    "patience": Field(15, int, check=lambda v: 1 <= v <= 50),
    **{kind: bool_field(kind in ("shift", "flip")) for kind in AUGMENTATIONS},
    "seed": Field(0, int, check=lambda v: v >= 0),
})
for problem in state.restore():
    st.warning(problem)

st.title("Regularization")
st.caption("Ways to make a network do well on new examples, not only on the ones it trained on: penalize large "
           "weights, stop training when validation stops improving, or show it altered copies of its training "
           "images.")
c1, c2 = st.columns([3, 1])
c1.radio("Experiment", PARTS, key=state.key("part"), horizontal=True)
c2.number_input("Seed", 0, 2**31 - 1, key=state.key("seed"))


FEW_DIGITS, FEW_SHAPES = 200, 100  # training examples: few enough to overfit


@st.cache_resource(show_spinner=False)
def few_digits():
    return regularization.small_training_set(session.dataset("digits"), FEW_DIGITS)


@st.cache_resource(show_spinner=False)
def few_shapes():
    return regularization.small_training_set(session.dataset("shapes", params=SHAPES), FEW_SHAPES)


def start(part: str, data, variants: list[Variant], config: train.Config, name: str, *,
          n_train: int | None = None) -> None:
    """Train `variants` side by side on `data` (a registered dataset; the worker takes `n_train` examples)."""
    st.session_state["reg.error"] = jobs.start_variants(JOBS[part], variants, data, config, name=name,
                                                        n_train=n_train)


def curves(part: str, metric: str = "acc"):
    def show(job) -> None:
        tables = regularization.histories(job.series("rows"))
        if tables:
            st.plotly_chart(variant_curves_figure(tables, metric=metric), key=f"reg.fig.curves.{metric}")
    return show


def live_accuracies(part: str, *, last: int = 1, caption: str | None = None):
    """A live board for `part`'s job while it trains: each variant's validation accuracy (the mean of its
    `last` epochs) and every variant's curves."""
    names = [v.name for v in st.session_state.get(f"{JOBS[part]}.variants", [])]

    def accuracies(tables: dict) -> dict[str, str]:
        return {f"Validation accuracy, {name}": f"{table['val_acc'].tail(last).mean():.1%}"
                for name, table in tables.items()}

    return jobs.variants_board(JOBS[part], accuracies, [f"Validation accuracy, {name}" for name in names],
                               caption=caption)


part = state["part"]
# ---- Weight penalties -------------------------------------------------------------------------
if part == "Weight penalties":
    st.markdown("After every step, **L2** shrinks each weight by the same *fraction* (large weights lose most); "
                "**L1** moves each weight towards zero by the same *amount* and stops it at zero, so weights that "
                "matter little end up exactly 0. The same network (one hidden layer of 128 ReLU units) trains on "
                "200 digits with no penalty, L1 and L2 at the same rate.")
    st.select_slider("Penalty rate λ", PENALTY_RATES, key=state.key("rate"))
    data = few_digits()
    spec = regularization.mlp_spec((128,))

    def start_penalties() -> None:
        rate = state["rate"]
        variants = [Variant("no penalty", spec), Variant("L1", spec, l1=rate), Variant("L2", spec, l2=rate)]
        start(part, session.dataset("digits"), variants, train.Config(lr=0.003, epochs=60, seed=state["seed"]),
              f"L1 vs L2, λ={rate}", n_train=FEW_DIGITS)

    st.button("Train all three", key="reg.train.penalty", on_click=start_penalties, type="primary")
    if st.session_state.get("reg.error"):
        st.error(st.session_state.pop("reg.error"))
    jobs.job_panel(JOBS[part], curves(part), live=live_accuracies(
        part, caption="Dashed lines: the 200 training digits; solid: validation."))
    models = jobs.variant_models(JOBS[part])
    if models:
        weights = {name: regularization.weight_values(model) for name, model in models.items()}
        rows = [{"network": name, "weights near 0 (|w| ≤ 0.001)": regularization.near_zero_fraction(w),
                 "largest |w|": float(np.abs(w).max()),
                 "validation accuracy": regularization.evaluate_model(models[name], data)["val_acc"]}
                for name, w in weights.items()]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
            "weights near 0 (|w| ≤ 0.001)": st.column_config.NumberColumn(format="percent"),
            "validation accuracy": st.column_config.NumberColumn(format="percent"),
            "largest |w|": st.column_config.NumberColumn(format="%.3f")})
        st.plotly_chart(weight_histograms_figure(weights), key="reg.fig.weights")
        st.caption("Counts on a log scale. L1's spike at zero holds the weights it switched off; L2 shrinks every "
                   "weight by the same fraction, so none of them reaches zero. A larger rate makes both effects "
                   "stronger.")
    elif (job := jobs.current_job(JOBS[part])) is not None and job.status in train.ACTIVE:
        st.caption("The three networks' weights are compared here when training ends.")
    else:
        st.info("Press **Train all three** to compare the weights (a few seconds).")

# ---- Early stopping ---------------------------------------------------------------------------
elif part == "Early stopping":
    st.markdown("Trained long enough on a small, noisy set, a network starts learning the noise: its validation "
                "loss falls, then rises again. Early stopping watches the validation loss after every epoch, "
                "keeps a copy of the best weights, and puts them back at the end.")
    e1, e2 = st.columns(2)
    e1.toggle("Stop when validation stops improving", key=state.key("stop"))
    e2.slider("Patience (epochs without a new best)", 1, 50, key=state.key("patience"), disabled=not state["stop"])
    data = session.dataset("xor", params=XOR)
    spec = regularization.mlp_spec((128, 128), input_shape=(2,), outputs=2)

    def start_early() -> None:
        patience = state["patience"] if state["stop"] else None
        variants = [Variant("network", spec, keep_best=True, patience=patience)]
        start(part, data, variants, train.Config(lr=0.01, batch_size=16, epochs=100, seed=state["seed"]),
              "early stopping")

    st.button("Train", key="reg.train.early", on_click=start_early, type="primary")
    if st.session_state.get("reg.error"):
        st.error(st.session_state.pop("reg.error"))

    def show_early(job) -> None:
        tables = regularization.histories(job.series("rows"))
        if not tables:
            return
        history = tables["network"]
        best = next(iter(job.series("best")), None)
        best_epoch = best["epoch"] if best else int(history.loc[history["val_loss"].idxmin(), "epoch"])
        stopped = int(history["epoch"].iloc[-1])
        stop_line = stopped if job.finished and stopped < job.config.epochs else None
        st.plotly_chart(early_stopping_figure(history, best_epoch=best_epoch, stop_epoch=stop_line),
                        key="reg.fig.early")

    jobs.job_panel(JOBS[part], show_early)
    last, best = jobs.variant_models(JOBS[part], "last"), jobs.variant_models(JOBS[part], "best")
    if last and best:
        job = jobs.current_job(JOBS[part])
        best_row = job.series("best")[0]
        last_epoch = int(regularization.histories(job.series("rows"))["network"]["epoch"].iloc[-1])
        scores = {f"restored (epoch {best_row['epoch']})": regularization.evaluate_model(best["network"], data),
                  f"last (epoch {last_epoch})": regularization.evaluate_model(last["network"], data)}
        columns = st.columns(2)
        for column, (name, score) in zip(columns, scores.items()):
            column.metric(f"Validation loss, {name}", f"{score['val_loss']:.3f}")
            column.metric(f"Validation accuracy, {name}", f"{score['val_acc']:.1%}")
        grids = {name: dropout.probability_grid(model) for name, model in
                 zip(scores, (best["network"], last["network"]))}
        st.plotly_chart(boundaries_figure(grids, data.x_train.numpy(), data.y_train.numpy()), key="reg.fig.restored")
        st.caption("What each set of weights learned: the later ones had more epochs to bend the boundary around "
                   "single noisy points, which is what made their validation loss rise.")
    else:
        st.info("Press **Train** to train for up to 100 epochs and see where the validation loss is lowest.")

# ---- Data augmentation ------------------------------------------------------------------------
else:
    st.markdown("With only 100 training images of shapes at random places, a network learns those 100 pictures "
                "rather than what a square or a circle looks like. Augmentation shows it a new, randomly altered "
                "copy of each image every time, as if there were many more.")
    a_cols = st.columns(len(AUGMENTATIONS))
    for column, kind in zip(a_cols, AUGMENTATIONS):
        column.checkbox(kind, key=state.key(kind), help=AUGMENTATION_HELP[kind])
    chosen = tuple(kind for kind in AUGMENTATIONS if state[kind])
    data = few_shapes()
    if "reg.aug_seed" not in st.session_state:
        st.session_state["reg.aug_seed"] = 0

    def new_examples() -> None:
        st.session_state["reg.aug_seed"] += 1

    originals = data.x_train[:10]
    versions = {}
    for kind in chosen if len(chosen) > 1 else ():
        generator = torch.Generator().manual_seed(st.session_state["reg.aug_seed"])
        versions[kind] = regularization.augment(originals, (kind,), generator=generator).numpy()
    if chosen:
        generator = torch.Generator().manual_seed(st.session_state["reg.aug_seed"] + 10_000)
        versions[" + ".join(chosen)] = regularization.augment(originals, chosen, generator=generator).numpy()
    st.plotly_chart(augmented_examples_figure(originals.numpy(), versions), key="reg.fig.examples")
    st.button("🎲 New random copies", key="reg.resample", on_click=new_examples)
    spec = regularization.mlp_spec((128,), input_shape=data.input_shape, outputs=len(data.classes))

    def start_augmented() -> None:
        variants = [Variant("no augmentation", spec), Variant(" + ".join(chosen), spec, augment=chosen)]
        start(part, session.dataset("shapes", params=SHAPES), variants,
              train.Config(lr=0.003, epochs=60, seed=state["seed"]), "augmentation", n_train=FEW_SHAPES)

    if not chosen:
        st.warning("Pick at least one augmentation to compare with.")
    st.button("Train with and without", key="reg.train.aug", on_click=start_augmented, type="primary",
              disabled=not chosen)
    if st.session_state.get("reg.error"):
        st.error(st.session_state.pop("reg.error"))

    def show_augmented(job) -> None:
        tables = regularization.histories(job.series("rows"))
        if not tables:
            return
        columns = st.columns(len(tables))
        for column, (name, table) in zip(columns, tables.items()):
            column.metric(f"Validation accuracy, {name}", f"{table['val_acc'].tail(5).mean():.1%}",
                          help="mean of the last 5 epochs")
        st.plotly_chart(variant_curves_figure(tables, metric="acc"), key="reg.fig.curves.aug")

    jobs.job_panel(JOBS[part], show_augmented, live=live_accuracies(part, last=5))
    st.caption("Dashed: accuracy on the 100 original training images; solid: on 400 new ones. Shifting and "
               "flipping match how these shapes vary, so they help; augmentations that make images unlike "
               "the real ones can hurt.")
state.save()
