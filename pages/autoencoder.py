import dataclasses

import streamlit as st

from playground import data
from playground.figures.latent_space.autoencoders import autoencoder_curves_figure, reconstruction_figure
from playground.jobs import train
from playground.latent_space import autoencoders as ae
from playground.layers import SpecError
from playground.ui import session
from playground.ui.autoencoder_job import JOB  # the session's autoencoder; the Latent map page reads it too
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.urlstate import PageState, choice, number

ensure_navigation()

DEFAULTS = ae.default_config("digits")  # the same settings the Latent map page trains with
OBJECTIVE = ae.Objective()  # the default noise, β and sparsity

state = PageState("ae", {
    "dataset": choice("digits", ae.DATASETS),
    "kind": choice("plain", ae.KINDS),
    "architecture": choice("mlp", ae.ARCHITECTURES),
    "latent": number(2, 1, ae.MAX_LATENT),
    "width": choice(128, ae.WIDTHS),
    "noise": choice(OBJECTIVE.noise, ae.NOISE_LEVELS),
    "beta": choice(OBJECTIVE.beta, ae.BETAS),
    "sparsity": choice(OBJECTIVE.sparsity, ae.SPARSITIES),
    "epochs": number(DEFAULTS.epochs, 1, ae.MAX_EPOCHS),
    "lr": choice(DEFAULTS.lr, ae.LEARNING_RATES),
    "seed": number(0, 0, 2**31 - 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("Autoencoder studio")
st.caption("An autoencoder squeezes each image through a narrow code (2 numbers by default) and tries to rebuild "
           "it from that code alone. Nobody tells it the classes: whatever it keeps in the code is what it found "
           "most useful for rebuilding.")

# ---- Settings ----------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    state.selectbox("dataset", "Data", format_func=ae.DATASET_LABELS.get)
    state.radio("kind", "Kind", horizontal=True)
    kind = state["kind"]
    st.caption(f"A **{kind}** autoencoder {ae.KINDS[kind]}.")
    if kind == "denoising":
        state.select_slider("noise", "Noise added to each input (standard deviation; pixels span 0 to 1)")
        st.caption("Two numbers leave little room for detail: a code of 8 or more shows the cleaning best.")
    elif kind == "variational":
        state.select_slider("beta", "β: weight of the KL term (1 is the classic VAE; larger pulls codes to the prior)")
    elif kind == "sparse":
        state.select_slider("sparsity", "Sparsity weight: how much a large code costs (L1 penalty)")
        st.caption("The penalty pulls code values towards zero; watch the mean |code value| while it trains. "
                   "Too strong, and every image gets the same code.")
with right:
    state.radio("architecture", "Architecture", horizontal=True, format_func=ae.ARCHITECTURE_LABELS.get)
    st.caption(ae.ARCHITECTURES[state["architecture"]])
    a, b = st.columns(2)
    state.number_input("latent", "Code size (numbers in the bottleneck)", container=a,
                       help="2 lets the Latent map page draw the codes directly; with more it draws their main "
                            "plane (PCA) and says so.")
    if state["architecture"] == "mlp":
        state.select_slider("width", "Hidden neurons", container=b)
    state.number_input("epochs", "Epochs", container=a)
    state.select_slider("lr", "Learning rate (Adam)", container=b)
    state.number_input("seed", "Seed", container=a,
                       help="Fixes the initial weights, the batch order and the noise: same seed, same run.")

# ---- The two networks --------------------------------------------------------------------------
name = state["dataset"]
problem = None
dataset = None
try:
    dataset = session.dataset(name, params=ae.DATASET_PARAMS[name])
except data.DatasetError as e:
    problem = str(e)
objective = ae.Objective(kind=kind, noise=state["noise"], beta=state["beta"], sparsity=state["sparsity"])
if dataset is not None:
    try:
        encoder, decoder = ae.network_specs(
            dataset.input_shape, architecture=state["architecture"], latent=state["latent"], width=state["width"],
            variational=kind == "variational")
        options = ae.training_options(dataset, objective, encoder, decoder)
    except (SpecError, train.ConfigError) as e:
        problem = str(e)
    else:
        st.caption(ae.describe_networks(encoder, decoder, dataset, variational=kind == "variational"))
if problem:
    st.error(problem)


def start_training() -> None:
    config = dataclasses.replace(DEFAULTS, lr=state["lr"], epochs=state["epochs"], seed=state["seed"])
    label = f"{kind} {ae.ARCHITECTURE_LABELS[state['architecture']]} autoencoder, code {state['latent']}, on {name}"
    st.session_state["ae.error"] = start_job(JOB, encoder, dataset, config, trainer="autoencoder", options=options,
                                             name=label)


st.button("Train", type="primary", key="ae.train", on_click=start_training, disabled=problem is not None)
if st.session_state.get("ae.error"):
    st.error(st.session_state.pop("ae.error"))


# ---- Live ----------------------------------------------------------------------------------------
def show(job) -> None:
    history = job.history
    chart(autoencoder_curves_figure(history), key="ae.fig.curves")
    if not history.empty:
        last = history.iloc[-1]
        m1, m2, m3 = st.columns(3)
        m1.metric("Epoch", f"{int(last['epoch'])} of {job.config.epochs}")
        m2.metric("Test reconstruction error (MSE per pixel)", f"{last['val_mse']:.4f}",
                  delta=f"{last['val_mse'] - history['val_mse'].iloc[0]:+.4f} since epoch 0", delta_color="inverse")
        if job.options.get("kind") == "variational":
            m3.metric("KL per test image", f"{last['val_kl']:.2f} nats")
        elif job.options.get("kind") == "sparse":
            m3.metric("Mean |code value| on test images", f"{last['val_sparsity']:.3f}")
    strips = job.series("reconstructions")
    if strips:
        strip = strips[-1]
        first_row = "noisy input" if job.options.get("kind") == "denoising" else "test input"
        chart(reconstruction_figure(strip["inputs"], strip["outputs"],
                                    titles=(first_row, f"reconstruction after epoch {strip['epoch']}")),
              key="ae.fig.strip")


job = current_job(JOB)
if job is not None:
    st.subheader(job.name)
job_panel(JOB, show)
job = current_job(JOB)
if job is not None and job.status == "done":
    st.success("Trained. Explore its codes: the map, walks between images, the decoded grid and PCA.")
    st.page_link("pages/latent_space.py", label="Open Latent map & walks", icon=":material/scatter_plot:")
elif job is None:
    st.info("Press **Train**: the curves and a strip of test images with their reconstructions update every "
            "epoch.")
state.save()
