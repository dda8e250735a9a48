import streamlit as st

from playground import autoencoders, data, models, train
from playground.figures.latent import autoencoder_curves_figure, reconstruction_figure
from playground.layers import SpecError
from playground.ui import session
from playground.ui.boot import ensure_navigation
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.urlstate import Field, PageState

ensure_navigation()

JOB = "ae.job"  # the session's autoencoder; the Latent map & walks page reads it too
LEARNING_RATES = [0.0003, 0.001, 0.003, 0.01, 0.03]
NOISE_LEVELS = [0.1, 0.2, 0.3, 0.5, 0.7, 1.0]
BETAS = [0.0, 0.1, 0.5, 1.0, 2.0, 4.0, 10.0]
SPARSITIES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1]
WIDTHS = [16, 32, 64, 128, 256, 512]
ARCHITECTURE_LABELS = {"mlp": "MLP", "conv": "small conv", "linear": "linear"}
DATASET_LABELS = {"digits": "digits (8×8, instant)", "mnist": "MNIST (28×28, 10,000 images)",
                  "fashion_mnist": "Fashion-MNIST (28×28, 10,000 images)"}

state = PageState("ae", {
    "dataset": Field("digits", check=lambda v: v in autoencoders.DATASETS),
    "kind": Field("plain", check=lambda v: v in autoencoders.KINDS),
    "architecture": Field("mlp", check=lambda v: v in autoencoders.ARCHITECTURES),
    "latent": Field(2, int, check=lambda v: 1 <= v <= autoencoders.MAX_LATENT),
    "width": Field(128, int, check=lambda v: v in WIDTHS),
    "noise": Field(0.3, float, check=lambda v: v in NOISE_LEVELS),
    "beta": Field(1.0, float, check=lambda v: v in BETAS),
    "sparsity": Field(0.01, float, check=lambda v: v in SPARSITIES),
    "epochs": Field(40, int, check=lambda v: 1 <= v <= 200),
    "lr": Field(0.003, float, check=lambda v: v in LEARNING_RATES),
    "seed": Field(0, int, check=lambda v: v >= 0),
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
    st.selectbox("Data", list(autoencoders.DATASETS), key=state.key("dataset"), format_func=DATASET_LABELS.get)
    st.radio("Kind", list(autoencoders.KINDS), key=state.key("kind"), horizontal=True)
    kind = state["kind"]
    st.caption(f"A **{kind}** autoencoder {autoencoders.KINDS[kind]}.")
    if kind == "denoising":
        st.select_slider("Noise added to each input (standard deviation; pixels span 0 to 1)", NOISE_LEVELS,
                         key=state.key("noise"))
        st.caption("Two numbers leave little room for detail: a code of 8 or more shows the cleaning best.")
    elif kind == "variational":
        st.select_slider("β: weight of the KL term (1 is the classic VAE; larger pulls codes to the prior)",
                         BETAS, key=state.key("beta"))
    elif kind == "sparse":
        st.select_slider("Sparsity weight: how much a large code costs (L1 penalty)", SPARSITIES,
                         key=state.key("sparsity"))
        st.caption("The penalty pulls code values towards zero; watch the mean |code value| while it trains. "
                   "Too strong, and every image gets the same code.")
with right:
    st.radio("Architecture", list(autoencoders.ARCHITECTURES), key=state.key("architecture"), horizontal=True,
             format_func=ARCHITECTURE_LABELS.get)
    st.caption(autoencoders.ARCHITECTURES[state["architecture"]])
    a, b = st.columns(2)
    a.number_input("Code size (numbers in the bottleneck)", 1, autoencoders.MAX_LATENT, key=state.key("latent"),
                   help="2 lets the Latent map page draw the codes directly; with more it draws their main "
                        "plane (PCA) and says so.")
    if state["architecture"] == "mlp":
        b.select_slider("Hidden neurons", WIDTHS, key=state.key("width"))
    a.number_input("Epochs", 1, 200, key=state.key("epochs"))
    b.select_slider("Learning rate (Adam)", LEARNING_RATES, key=state.key("lr"))
    a.number_input("Seed", 0, 2**31 - 1, key=state.key("seed"),
                   help="Fixes the initial weights, the batch order and the noise: same seed, same run.")

# ---- The two networks --------------------------------------------------------------------------
name = state["dataset"]
problem = None
dataset = None
try:
    dataset = session.dataset(name, params=autoencoders.DATASET_PARAMS[name])
except data.DatasetError as e:
    problem = str(e)
objective = autoencoders.Objective(kind=kind, noise=state["noise"], beta=state["beta"], sparsity=state["sparsity"])
if dataset is not None:
    try:
        encoder, decoder = autoencoders.network_specs(
            dataset.input_shape, architecture=state["architecture"], latent=state["latent"], width=state["width"],
            variational=kind == "variational")
        options = autoencoders.training_options(dataset, objective, encoder, decoder)
    except (SpecError, train.ConfigError) as e:
        problem = str(e)
    else:
        counts = models.count_params(encoder), models.count_params(decoder)
        st.caption(f"Encoder: {len(encoder['layers'])} layers, {counts[0]:,} parameters → code of "
                   f"{state['latent']} number{'s' if state['latent'] > 1 else ''}"
                   f"{' (a mean and a spread for each)' if kind == 'variational' else ''} → decoder: "
                   f"{len(decoder['layers'])} layers, {counts[1]:,} parameters. {len(dataset.x_train):,} training "
                   f"and {len(dataset.x_test):,} test images of {'×'.join(map(str, dataset.input_shape[1:]))} "
                   "pixels.")
if problem:
    st.error(problem)


def start_training() -> None:
    config = train.Config(optimizer="adam", lr=state["lr"], batch_size=64, epochs=state["epochs"], loss="mse",
                          seed=state["seed"])
    label = f"{kind} {ARCHITECTURE_LABELS[state['architecture']]} autoencoder, code {state['latent']}, on {name}"
    st.session_state["ae.error"] = start_job(JOB, encoder, dataset, config, trainer="autoencoder", options=options,
                                             name=label)


st.button("Train", type="primary", key="ae.train", on_click=start_training, disabled=problem is not None)
if st.session_state.get("ae.error"):
    st.error(st.session_state.pop("ae.error"))


# ---- Live ----------------------------------------------------------------------------------------
def show(job) -> None:
    history = job.history
    st.plotly_chart(autoencoder_curves_figure(history), key="ae.fig.curves")
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
        st.plotly_chart(reconstruction_figure(strip["inputs"], strip["outputs"],
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
