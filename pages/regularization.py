import streamlit as st

from playground.figures.training_lab import variants as figs
from playground.jobs import train
from playground.training_lab import dropout, regularization
from playground.training_lab.regularization import AUGMENTATION_HELP, AUGMENTATIONS, EXPERIMENTS, Variant
from playground.ui import jobs, session
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.urlstate import PageState, choice, flag, number
from playground.ui.variants import accuracy_board, curves_view, train_button

ensure_navigation()

PENALTIES, EARLY, AUGMENTED = EXPERIMENTS
JOBS = {PENALTIES: "reg.job.penalty", EARLY: "reg.job.early", AUGMENTED: "reg.job.aug"}
XOR = {"n": 200, "noise": 0.4}  # 100 noisy points: a wide network overfits them within a few epochs
SHAPES = {"n": 800, "size": 16, "test_fraction": 0.5}
FEW_DIGITS, FEW_SHAPES = 200, 100  # training examples: few enough to overfit

state = PageState("reg", {
    "part": choice(PENALTIES, EXPERIMENTS),
    "rate": choice(0.1, regularization.PENALTY_RATES),
    "stop": flag(True),
    "patience": number(15, *regularization.PATIENCE_RANGE),
    **{kind: flag(kind in ("shift", "flip")) for kind in AUGMENTATIONS},
    "seed": number(0, 0, 2**31 - 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("Regularization")
st.caption("Ways to make a network do well on new examples, not only on the ones it trained on: penalize large "
           "weights, stop training when validation stops improving, or show it altered copies of its training "
           "images.")
c1, c2 = st.columns([3, 1])
state.radio("part", "Experiment", container=c1, horizontal=True)
state.number_input("seed", "Seed", container=c2)


@st.cache_resource(show_spinner=False)
def few(name: str, count: int, params: tuple = ()):
    return regularization.small_training_set(session.dataset(name, params=dict(params) or None), count)


part, key = state["part"], JOBS[state["part"]]
st.markdown(regularization.INTRODUCTIONS[part])
# ---- Weight penalties -------------------------------------------------------------------------
if part == PENALTIES:
    state.select_slider("rate", "Penalty rate λ")
    spec = regularization.mlp_spec((128,))

    def start_penalties() -> str | None:  # reads the settings when pressed
        rate = state["rate"]
        variants = [Variant("no penalty", spec), Variant("L1", spec, l1=rate), Variant("L2", spec, l2=rate)]
        return jobs.start_variants(key, variants, session.dataset("digits"), train.Config(
            lr=0.003, epochs=60, seed=state["seed"]), name=f"L1 vs L2, λ={rate}", n_train=FEW_DIGITS)

    train_button("Train all three", "reg.train.penalty", start_penalties)
    jobs.job_panel(key, curves_view("reg.fig.curves.acc"),
                   live=accuracy_board(key, caption="Dashed lines: the 200 training digits; solid: validation."))
    if models := jobs.variant_models(key):
        percent = st.column_config.NumberColumn(format="percent")
        st.dataframe(regularization.weight_table(models, few("digits", FEW_DIGITS)), hide_index=True, width="stretch",
                     column_config={"weights near 0 (|w| ≤ 0.001)": percent, "validation accuracy": percent,
                                    "largest |w|": st.column_config.NumberColumn(format="%.3f")})
        weights = {name: regularization.weight_values(model) for name, model in models.items()}
        chart(figs.weight_histograms_figure(weights), key="reg.fig.weights")
        st.caption("Counts on a log scale. L1's spike at zero holds the weights it switched off; L2 shrinks every "
                   "weight by the same fraction, so none of them reaches zero. A larger rate makes both effects "
                   "stronger.")
    elif (job := jobs.current_job(key)) is not None and job.status in train.ACTIVE:
        st.caption("The three networks' weights are compared here when training ends.")
    else:
        st.info("Press **Train all three** to compare the weights (a few seconds).")

# ---- Early stopping ---------------------------------------------------------------------------
elif part == EARLY:
    e1, e2 = st.columns(2)
    state.toggle("stop", "Stop when validation stops improving", container=e1)
    state.slider("patience", "Patience (epochs without a new best)", container=e2, disabled=not state["stop"])
    data = session.dataset("xor", params=XOR)
    spec = regularization.mlp_spec((128, 128), input_shape=(2,), outputs=2)

    def start_early() -> str | None:
        variants = [Variant("network", spec, keep_best=True, patience=state["patience"] if state["stop"] else None)]
        return jobs.start_variants(key, variants, data, train.Config(lr=0.01, batch_size=16, epochs=100,
                                                                      seed=state["seed"]), name="early stopping")

    train_button("Train", "reg.train.early", start_early)

    def show_early(job) -> None:
        if tables := regularization.histories(job.series("rows")):
            best, stop = regularization.stopping_epochs(tables["network"], next(iter(job.series("best")), None),
                                                        finished=job.finished, epochs=job.config.epochs)
            chart(figs.early_stopping_figure(tables["network"], best_epoch=best, stop_epoch=stop),
                  key="reg.fig.early")

    jobs.job_panel(key, show_early)
    last, best = jobs.variant_models(key, "last"), jobs.variant_models(key, "best")
    if last and best:
        kept = regularization.restored_and_last(jobs.current_job(key), best["network"], last["network"])
        for column, (name, model) in zip(st.columns(2), kept.items()):
            score = regularization.evaluate_model(model, data)
            column.metric(f"Validation loss, {name}", f"{score['val_loss']:.3f}")
            column.metric(f"Validation accuracy, {name}", f"{score['val_acc']:.1%}")
        grids = {name: dropout.probability_grid(model) for name, model in kept.items()}
        chart(figs.boundaries_figure(grids, data.x_train.numpy(), data.y_train.numpy()),
              key="reg.fig.restored")
        st.caption("What each set of weights learned: the later ones had more epochs to bend the boundary around "
                   "single noisy points, which is what made their validation loss rise.")
    else:
        st.info("Press **Train** to train for up to 100 epochs and see where the validation loss is lowest.")

# ---- Data augmentation ------------------------------------------------------------------------
else:
    for column, kind in zip(st.columns(len(AUGMENTATIONS)), AUGMENTATIONS):
        state.checkbox(kind, kind, container=column, help=AUGMENTATION_HELP[kind])
    chosen = tuple(kind for kind in AUGMENTATIONS if state[kind])
    st.session_state.setdefault("reg.aug_seed", 0)
    data = few("shapes", FEW_SHAPES, tuple(SHAPES.items()))
    originals = data.x_train[:10]
    versions = regularization.augmented_examples(originals, chosen, seed=st.session_state["reg.aug_seed"])
    chart(figs.augmented_examples_figure(originals.numpy(), versions), key="reg.fig.examples")
    st.button("🎲 New random copies", key="reg.resample",
              on_click=lambda: st.session_state.update({"reg.aug_seed": st.session_state["reg.aug_seed"] + 1}))
    spec = regularization.mlp_spec((128,), input_shape=data.input_shape, outputs=len(data.classes))

    def start_augmented() -> str | None:
        kinds = tuple(kind for kind in AUGMENTATIONS if state[kind])
        variants = [Variant("no augmentation", spec), Variant(" + ".join(kinds), spec, augment=kinds)]
        return jobs.start_variants(key, variants, session.dataset("shapes", params=SHAPES), train.Config(
            lr=0.003, epochs=60, seed=state["seed"]), name="augmentation", n_train=FEW_SHAPES)

    if not chosen:
        st.warning("Pick at least one augmentation to compare with.")
    train_button("Train with and without", "reg.train.aug", start_augmented, disabled=not chosen)
    jobs.job_panel(key, curves_view("reg.fig.curves.aug", last=5), live=accuracy_board(key, last=5))
    st.caption("Dashed: accuracy on the 100 original training images; solid: on 400 new ones. Shifting and "
               "flipping match how these shapes vary, so they help; augmentations that make images unlike "
               "the real ones can hurt.")
state.save()
