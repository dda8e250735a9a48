import streamlit as st

from playground import figures
from playground.figures.latent_space import autoencoders as fig
from playground.latent_space import autoencoders as ae
from playground.ui.autoencoder_job import job_dataset, trained_job
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import memo, weights_key
from playground.ui.urlstate import PageState, number

ensure_navigation()

MAP_KEY = "lat.fig.map"
CLICK_GRID = 25  # points a side of the faint grid a click on the map selects

state = PageState("lat", {
    "x": number(0.0), "y": number(0.0),  # bounds: the trained model's codes
    "image": number(0, 0), "start": number(0, 0), "end": number(1, 0),  # at most the test set's last image
    "steps": number(10, 3, 30), "grid": number(12, 3, 25), "noise": number(0.3, 0.0, 1.0, step=0.05),
})
for problem in state.restore():
    st.warning(problem)

st.title("Latent map & walks")
st.caption("Every image becomes a short code. Here you see where the codes of the test images land, decode any "
           "point you choose, walk from one image's code to another's, and compare with PCA.")

job = trained_job(state)
dataset = job_dataset(job, state)

weights_key = (job.id, weights_key(job.weights))
model = memo(("lat.model", *weights_key), lambda: ae.from_job(job))
x_test, classes, count = dataset.x_test, dataset.classes, len(dataset.x_test)
space = memo(("lat.space", *weights_key), lambda: ae.code_space(model, x_test, dataset.y_test.numpy()))
labels = space.labels
if st.session_state.get("lat.seen") != job.id:  # a new model: keep a chosen point on its map, or start mid-map
    st.session_state["lat.seen"] = job.id
    chosen = (state["x"], state["y"])
    state["x"], state["y"] = space.middle() if chosen == (0.0, 0.0) else (space.clamp(0, chosen[0]),
                                                                        space.clamp(1, chosen[1]))


def on_pick() -> None:
    """A click on a test image's point selects that image; a click elsewhere selects the faint grid: decode there."""
    event = st.session_state.get(MAP_KEY)
    for point in event["selection"]["points"] if event else []:
        curve = point.get("curve_number")
        if curve == len(space.members):  # the grid, drawn right after one trace per class
            state["x"], state["y"] = space.clamp(0, point["x"]), space.clamp(1, point["y"])
        elif curve is not None and (picked := space.image_at(curve, point["point_index"])) is not None:
            state["image"] = picked


axes = {1: ("z (the one code number)", "nothing: the code has one number"), 2: ("z₁", "z₂")}.get(
    model.latent, ("first principal direction of the codes", "second principal direction"))
if model.latent > 2:
    st.info(f"This code has {model.latent} numbers, more than a flat map can show. The map shows the plane of "
            f"their first two principal components (PCA of the codes; {space.mapping.explained.sum():.0%} of their "
            "spread). A point you choose is decoded from that plane.")
elif model.latent == 1:
    st.info("This code has a single number: the map spreads it along x only.")
if space.collapsed:
    st.warning("Every test image gets almost the same code, so the decoder can only draw one average picture. "
               "The autoencoder has collapsed: train again with a weaker penalty (sparsity or β) or more epochs.")

# ---- The map (with the walk drawn on it) and a decoded point --------------------------------------
st.subheader("The map of codes")
st.caption(f"Each point is one of the {count:,} test images, placed at its code and marked by its class: a colour "
           "and a shape each (the autoencoder never saw the classes). Click a point to see its image; click "
           "anywhere else on the map to decode that spot.")
map_column, side = st.columns([3, 2])
with side:
    st.markdown("**Decode a point** (the ★ on the map)")
    s1, s2 = st.columns(2)
    state.slider("x", axes[0] if model.latent <= 2 else "x on the map", container=s1, low=float(space.low[0]),
                 high=float(space.high[0]), step=space.step(0))
    state.slider("y", axes[1] if model.latent == 2 else "y on the map", container=s2, low=float(space.low[1]),
                 high=float(space.high[1]), step=space.step(1), disabled=model.latent == 1)
    chosen_code = space.mapping.from_map([state["x"], state["y"]])[0]
    nearest = space.nearest(chosen_code)
    chart(figures.image_figure(ae.decode(model, chosen_code)[0]), key="lat.fig.decoded")
    st.caption(f"Decoded from ({state['x']:.2f}, {state['y']:.2f}). The nearest test code belongs to a "
               f"**{classes[labels[nearest]]}** (test image {nearest}).")
    st.markdown("**A test image and its reconstruction** (ringed on the map)")
    index = state.number_input("image", f"Test image (0–{count - 1})", high=count - 1)
    chart(figures.image_grid_figure(
        [x_test[index].numpy(), ae.decode(model, space.codes[index])[0]],
        [f"test image {index}: {classes[labels[index]]}", "reconstruction"], columns=2), key="lat.fig.selected")
    shown = ", ".join(f"{v:.2f}" for v in space.codes[index][:6])
    st.caption(f"Its code: ({shown}{', …' if model.latent > 6 else ''}).")

st.subheader("Walk from one image to another")
st.caption("The dotted line on the map is the straight path between two test images' codes. Each step along it "
           "is decoded: where the decoder has learned a smooth space, one digit turns gradually into the other.")
w1, w2, w3 = st.columns(3)
start = state.number_input("start", f"From test image (0–{count - 1})", container=w1, high=count - 1)
end = state.number_input("end", f"To test image (0–{count - 1})", container=w2, high=count - 1)
steps = state.slider("steps", "Steps", container=w3)
path, walk_images = ae.walk(model, space.codes[start], space.codes[end], steps)
with map_column:
    chart(fig.latent_scatter_figure(space.points, labels, classes, axis_titles=axes,
                                    grid=space.click_grid(CLICK_GRID),
                                    walk=space.mapping.to_map(path), chosen=(state["x"], state["y"]),
                                    selected=index), key=MAP_KEY, on_select=on_pick, selection_mode="points")
st.caption(f"From a **{classes[labels[start]]}** (test image {start}) to a **{classes[labels[end]]}** "
           f"(test image {end}).")
strip_tab, animation_tab = st.tabs(["Strip", "Animation"])
step_labels = [f"{k / (steps - 1):.0%}" for k in range(steps)]
chart(fig.image_strip_figure(walk_images, step_labels), key="lat.fig.walk", container=strip_tab)
chart(fig.walk_animation_figure(walk_images, step_labels), key="lat.fig.animation", container=animation_tab)

st.subheader("The decoded grid")
n = state.slider("grid", "Images per side")
xs, ys = ae.grid_coordinates(space.points, n, variational=model.variational)
grid = memo(("lat.grid", *weights_key, n), lambda: ae.manifold_grid(model, xs, ys, space.mapping))
st.caption("A variational autoencoder's codes follow a standard normal prior, so the grid samples it evenly by "
           "probability: each axis runs through the normal's quantiles from 5 % to 95 % (values from −1.64 to 1.64), "
           "as in Kingma and Welling's 2-D digit manifold." if model.variational else
           "Evenly spaced points over the square the test codes fill (from the 2nd to the 98th percentile on each "
           "axis), each decoded into an image. Empty parts of the map decode into blurry in-between shapes: nothing "
           "made the decoder learn them.")
chart(fig.manifold_figure(grid, xs, ys, axis_titles=axes), key="lat.fig.grid")

st.subheader("Denoising")
noise = state.slider("noise", "Noise (standard deviation; pixels span 0 to 1)")
cleaned = ae.denoise(model, x_test[index:index + 1], noise, seed=index)
chart(figures.image_grid_figure(
    [cleaned["noisy"][0], cleaned["reconstruction"][0], cleaned["clean"][0]],
    [f"noisy input (σ = {noise:.2f})", "reconstruction", "clean original"], columns=3), key="lat.fig.denoise")
noisy_error, rebuilt_error = ae.denoising_errors(cleaned)
st.caption(f"Test image {index}. Squared error per pixel against the clean original: noisy input {noisy_error:.4f}, "
           f"reconstruction {rebuilt_error:.4f}." + ("" if job.options.get("kind") == "denoising" else
           " This autoencoder learned from clean images only; train a denoising one in the studio and compare."))

st.subheader("Against PCA")
table, pca = memo(("lat.pca", *weights_key), lambda: ae.pca_comparison(model, dataset, name=job.name))
st.caption(f"PCA finds the best flat code with {model.latent} number{'s' if model.latent > 1 else ''}: it projects "
           "each image onto the directions of largest spread in the training images. A linear autoencoder learns "
           "the same thing (its error is within a few percent of PCA's); one with nonlinear layers can bend its "
           "code around the data and rebuild more from as few numbers. Both are scored on the test images.")
st.dataframe(table, hide_index=True, column_config={
    "test reconstruction error (MSE per pixel)": st.column_config.NumberColumn(format="%.4f"),
    "relative to PCA": st.column_config.NumberColumn(format="%.2f ×")})
pca_title = (f"PCA, first two of {model.latent} components" if model.latent > 2 else
             f"PCA, {model.latent} component{'s' if model.latent > 1 else ''}")
chart(fig.pca_scatter_figure(space.points, ae.pca_map_points(pca, x_test.numpy()), labels, classes,
                             titles=("autoencoder's map", pca_title)), key="lat.fig.pca")
state.save()
