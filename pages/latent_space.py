import numpy as np
import streamlit as st

from playground import autoencoders, data, figures
from playground.figures.latent import (
    autoencoder_curves_figure,
    image_strip_figure,
    latent_scatter_figure,
    manifold_figure,
    pca_scatter_figure,
    walk_animation_figure,
)
from playground.ui import session
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import memo
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.urlstate import Field, PageState

ensure_navigation()

JOB = "ae.job"  # the session's autoencoder, trained here or in the Autoencoder studio
MAP_KEY = "lat.fig.map"
CLICK_GRID = 25  # points a side of the faint grid a click on the map selects
DEFAULT_NAME = "plain MLP autoencoder, code 2, on digits"

state = PageState("lat", {
    "x": Field(0.0, float),
    "y": Field(0.0, float),
    "image": Field(0, int, check=lambda v: v >= 0),
    "start": Field(0, int, check=lambda v: v >= 0),
    "end": Field(1, int, check=lambda v: v >= 0),
    "steps": Field(10, int, check=lambda v: 3 <= v <= 30),
    "grid": Field(12, int, check=lambda v: 3 <= v <= 25),
    "noise": Field(0.3, float, check=lambda v: 0 <= v <= 1),
})
for problem in state.restore():
    st.warning(problem)

st.title("Latent map & walks")
st.caption("Every image becomes a short code. Here you see where the codes of the test images land, decode any "
           "point you choose, walk from one image's code to another's, and compare with PCA.")


def train_default() -> None:
    dataset = session.dataset("digits")
    encoder, decoder = autoencoders.network_specs(dataset.input_shape)
    options = autoencoders.training_options(dataset, autoencoders.Objective(), encoder, decoder)
    st.session_state["lat.error"] = start_job(JOB, encoder, dataset, autoencoders.default_config("digits"),
                                              trainer="autoencoder", options=options, name=DEFAULT_NAME)


def show_training(job) -> None:
    st.plotly_chart(autoencoder_curves_figure(job.history), key="lat.fig.curves")


job = current_job(JOB)
if job is None or job.weights is None or job.status in ("queued", "running", "paused") and job.rows < 2:
    if job is None:
        st.info("No autoencoder in this session yet. Train the default one here (a plain MLP autoencoder with a "
                "2-number code, on the 8×8 digits: about ten seconds), or set one up in the Autoencoder studio.")
    if job is None or job.finished:
        st.button("Train a default autoencoder here", type="primary", key="lat.train", on_click=train_default)
        st.page_link("pages/autoencoder.py", label="Or open the Autoencoder studio", icon=":material/compress:")
    if st.session_state.get("lat.error"):
        st.error(st.session_state.pop("lat.error"))
    job_panel(JOB, show_training)
    state.save()
    st.stop()

if job.status in ("queued", "running", "paused"):
    st.caption("Still training: everything below uses the weights of the moment this page last ran, and updates "
               "when training ends.")
    job_panel(JOB, show_training)
elif job.status == "failed":
    st.warning(f"The last training run failed ({job.error}); below are the weights it had reached.")

ref = job.options["dataset_ref"]
try:
    dataset = session.dataset(ref["name"], seed=ref.get("seed", 0), params=ref.get("params", {}))
except data.DatasetError as e:
    st.error(str(e))
    state.save()
    st.stop()

weights_key = (job.id, id(job.weights))
model = memo(("lat.model", *weights_key), lambda: autoencoders.from_job(job))
x_test, labels = dataset.x_test, dataset.y_test.numpy()
classes = dataset.classes
code_values = memo(("lat.codes", *weights_key), lambda: autoencoders.codes(model, x_test))
mapping = memo(("lat.map", *weights_key), lambda: autoencoders.latent_map(code_values))
points = mapping.to_map(code_values)
count = len(x_test)
class_members = [np.flatnonzero(labels == label) for label in np.unique(labels)]  # the map's traces, in order

# Sliders span the codes (and, for a VAE, the prior's middle 95 %), with a margin.
low, high = np.percentile(points, 0.5, axis=0), np.percentile(points, 99.5, axis=0)
if model.variational:
    low, high = np.minimum(low, -2.0), np.maximum(high, 2.0)
pad = 0.1 * np.maximum(high - low, 1e-3)
low, high = np.round(low - pad, 1), np.round(high + pad, 1)
high = np.where(high - low < 0.2, low + 0.2, high)  # a 1-number code's y axis still gets a range
if st.session_state.get("lat.seen") != job.id:
    # A new model: start at the middle of its codes and keep numbers that fit its test set.
    st.session_state["lat.seen"] = job.id
    middle = np.median(points, axis=0)
    state["x"], state["y"] = float(np.round(middle[0], 2)), float(np.round(middle[1], 2))
for name, (lo, hi) in {"x": (low[0], high[0]), "y": (low[1], high[1])}.items():
    state[name] = float(min(max(state[name], lo), hi))
for name in ("image", "start", "end"):
    if state[name] >= count:
        state[name] = 0


def on_pick() -> None:
    """A click on a test image's point selects that image; a click elsewhere selects the faint grid: decode there."""
    event = st.session_state.get(MAP_KEY)
    picked = event["selection"]["points"] if event else []
    for point in picked:
        curve = point.get("curve_number")
        if curve == len(class_members):  # the grid, drawn right after one trace per class
            state["x"], state["y"] = float(point["x"]), float(point["y"])
        elif curve is not None and curve < len(class_members):
            state["image"] = int(class_members[curve][point["point_index"]])


axis_titles = ("z₁", "z₂")
if model.latent > 2:
    axis_titles = ("first principal direction of the codes", "second principal direction")
    st.info(f"This code has {model.latent} numbers, more than a flat map can show. The map shows the plane of "
            f"their first two principal components (PCA of the codes; {mapping.explained.sum():.0%} of their "
            "spread). A point you choose is decoded from that plane.")
elif model.latent == 1:
    axis_titles = ("z (the one code number)", "nothing: the code has one number")
    st.info("This code has a single number: the map spreads it along x only.")

if np.ptp(code_values, axis=0).max() < 1e-2:
    st.warning("Every test image gets almost the same code, so the decoder can only draw one average picture. "
               "The autoencoder has collapsed: train again with a weaker penalty (sparsity or β) or more epochs.")

# ---- The walk is computed first: it is drawn on the map -------------------------------------------
start, end, steps = state["start"], state["end"], state["steps"]
path, walk_images = autoencoders.walk(model, code_values[start], code_values[end], steps)
walk_points = mapping.to_map(path)
chosen = np.array([state["x"], state["y"]])
chosen_code = mapping.from_map(chosen)[0]

# ---- The map -------------------------------------------------------------------------------------
st.subheader("The map of codes")
st.caption(f"Each point is one of the {count:,} test images, placed at its code and marked by its class (the "
           "autoencoder never saw the classes). Click a point to see its image; click anywhere else on the map "
           "to decode that spot.")
map_column, side = st.columns([3, 2])
with map_column:
    click_grid = (np.linspace(low[0], high[0], CLICK_GRID), np.linspace(low[1], high[1], CLICK_GRID))
    st.plotly_chart(latent_scatter_figure(points, labels, classes, axis_titles=axis_titles, grid=click_grid,
                                          walk=walk_points, chosen=chosen, selected=state["image"]),
                    key=MAP_KEY, on_select=on_pick, selection_mode="points")
with side:
    st.markdown("**Decode a point** (the ★ on the map)")
    span = (high - low) / 100
    s1, s2 = st.columns(2)
    s1.slider(axis_titles[0] if model.latent <= 2 else "x on the map", float(low[0]), float(high[0]),
              key=state.key("x"), step=float(max(np.round(span[0], 3), 0.001)))
    s2.slider(axis_titles[1] if model.latent == 2 else "y on the map", float(low[1]), float(high[1]),
              key=state.key("y"), step=float(max(np.round(span[1], 3), 0.001)), disabled=model.latent == 1)
    decoded = autoencoders.decode(model, chosen_code)[0]
    nearest = int(np.argmin(((code_values - chosen_code) ** 2).sum(1)))
    st.plotly_chart(figures.image_figure(decoded), key="lat.fig.decoded")
    st.caption(f"Decoded from ({state['x']:.2f}, {state['y']:.2f}). The nearest test code belongs to a "
               f"**{classes[labels[nearest]]}** (test image {nearest}).")

    st.markdown("**A test image and its reconstruction** (ringed on the map)")
    st.number_input(f"Test image (0–{count - 1})", 0, count - 1, key=state.key("image"))
    index = state["image"]
    rebuilt = autoencoders.decode(model, code_values[index])[0]
    st.plotly_chart(figures.image_grid_figure([x_test[index].numpy(), rebuilt],
                                              [f"test image {index}: {classes[labels[index]]}", "reconstruction"],
                                              columns=2), key="lat.fig.selected")
    st.caption(f"Its code: ({', '.join(f'{v:.2f}' for v in code_values[index][:6])}"
               f"{', …' if model.latent > 6 else ''}).")

# ---- Walk ------------------------------------------------------------------------------------------
st.subheader("Walk from one image to another")
st.caption("The dotted line on the map is the straight path between two test images' codes. Each step along it "
           "is decoded: where the decoder has learned a smooth space, one digit turns gradually into the other.")
w1, w2, w3 = st.columns(3)
w1.number_input(f"From test image (0–{count - 1})", 0, count - 1, key=state.key("start"))
w2.number_input(f"To test image (0–{count - 1})", 0, count - 1, key=state.key("end"))
w3.slider("Steps", 3, 30, key=state.key("steps"))
st.caption(f"From a **{classes[labels[start]]}** (test image {start}) to a **{classes[labels[end]]}** "
           f"(test image {end}).")
strip_tab, animation_tab = st.tabs(["Strip", "Animation"])
step_labels = [f"{t:.0%}" for t in np.linspace(0, 1, steps)]
strip_tab.plotly_chart(image_strip_figure(walk_images, step_labels), key="lat.fig.walk")
animation_tab.plotly_chart(walk_animation_figure(walk_images, step_labels), key="lat.fig.animation")

# ---- The decoded manifold -------------------------------------------------------------------------------
st.subheader("The decoded grid")
n = st.slider("Images per side", 3, 25, key=state.key("grid"))
xs, ys = autoencoders.grid_coordinates(points, n, variational=model.variational)
grid = memo(("lat.grid", *weights_key, n), lambda: autoencoders.manifold_grid(model, xs, ys, mapping))
if model.variational:
    st.caption("A variational autoencoder's codes follow a standard normal prior, so the grid samples it evenly by "
               "probability: each axis runs through the normal's quantiles from 5 % to 95 % (values from −1.64 "
               "to 1.64), as in Kingma and Welling's 2-D digit manifold.")
else:
    st.caption("Evenly spaced points over the square the test codes fill (from the 2nd to the 98th percentile on "
               "each axis), each decoded into an image. Empty parts of the map decode into blurry in-between "
               "shapes: nothing made the decoder learn them.")
st.plotly_chart(manifold_figure(grid, xs, ys, axis_titles=axis_titles), key="lat.fig.grid")

# ---- Denoising ------------------------------------------------------------------------------------------
st.subheader("Denoising")
kind = job.options.get("kind", "plain")
st.slider("Noise (standard deviation; pixels span 0 to 1)", 0.0, 1.0, key=state.key("noise"), step=0.05)
cleaned = autoencoders.denoise(model, x_test[index:index + 1], state["noise"], seed=index)
st.plotly_chart(figures.image_grid_figure(
    [cleaned["noisy"][0], cleaned["reconstruction"][0], cleaned["clean"][0]],
    [f"noisy input (σ = {state['noise']:.2f})", "reconstruction", "clean original"], columns=3),
    key="lat.fig.denoise")
noisy_error = float(np.mean((cleaned["noisy"] - cleaned["clean"]) ** 2))
rebuilt_error = float(np.mean((cleaned["reconstruction"] - cleaned["clean"]) ** 2))
st.caption(f"Test image {index}. Squared error per pixel against the clean original: noisy input "
           f"{noisy_error:.4f}, reconstruction {rebuilt_error:.4f}."
           + ("" if kind == "denoising" else " This autoencoder learned from clean images only; train a denoising "
              "one in the studio and compare."))

# ---- Against PCA -------------------------------------------------------------------------------------------
st.subheader("Against PCA")
table, pca = memo(("lat.pca", *weights_key), lambda: autoencoders.pca_comparison(model, dataset, name=job.name))
st.caption(f"PCA finds the best flat code with {model.latent} number{'s' if model.latent > 1 else ''}: it projects "
           "each image onto the directions of largest spread in the training images. A linear autoencoder can at "
           "best learn the same thing; one with nonlinear layers can bend its code around the data and rebuild "
           "more from as few numbers. Both are scored on the test images.")
st.dataframe(table, hide_index=True, column_config={
    "test reconstruction error (MSE per pixel)": st.column_config.NumberColumn(format="%.4f"),
    "relative to PCA": st.column_config.NumberColumn(format="%.2f ×")})
pca_codes = pca.encode(x_test.numpy())
pca_points = pca_codes[:, :2] if model.latent >= 2 else np.column_stack([pca_codes[:, 0], np.zeros(count)])
st.plotly_chart(pca_scatter_figure(points, pca_points, labels, classes,
                                   titles=("autoencoder's map", f"PCA, first two of {model.latent} components"
                                           if model.latent > 2 else f"PCA, {model.latent} component"
                                           f"{'s' if model.latent > 1 else ''}")),
                key="lat.fig.pca")
state.save()
