import pandas as pd
import streamlit as st

from playground import figures, inspect_cnn, train
from playground.attacks import predict
from playground.figures.conv import maps_figure
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import image_model, input_image, memo, model_key
from playground.ui.jobs import train_here
from playground.ui.urlstate import Field, PageState

ensure_navigation()

state = PageState("in", {
    "image": Field(0, int, check=lambda v: v >= 0),
    "dx": Field(0, int, check=lambda v: -4 <= v <= 4),
    "dy": Field(0, int, check=lambda v: -4 <= v <= 4),
    "angle": Field(0, int, check=lambda v: -180 <= v <= 180),
    "scale": Field(1.0, float, check=lambda v: 0.5 <= v <= 1.5),
})
for problem in state.restore():
    st.warning(problem)

st.title("Inside a trained CNN")
st.caption("What a convolutional network has learned: its filters, what each layer makes of one image, which "
           "images excite a channel most, how shifting or turning the input changes its mind, and what "
           "happens when channels are switched off.")

record, dataset = image_model("in.model")
model = record.model()
conv_layers = inspect_cnn.conv_layer_indices(model)
if not conv_layers:
    st.info("This model has no convolution layers: pick a CNN, or train one below.")


def layer_name(index: int) -> str:
    return f"{index}: {record.spec['layers'][index]['type']}"


# ---- Kernels ---------------------------------------------------------------------------------
if conv_layers:
    st.subheader("Filters")
    layer = st.selectbox("Convolution layer", conv_layers, format_func=layer_name, key="in.kernel_layer")
    bank = inspect_cnn.kernels(model, layer)  # (out, in, k, k)
    if bank.shape[1] == 1:
        st.plotly_chart(maps_figure(bank[:, 0], [f"filter {i}" for i in range(len(bank))], columns=8),
                        key="in.fig.kernels")
        st.caption("Red weights add the pixel under them, blue ones subtract it; white is zero.")
    else:
        which = st.number_input(f"Filter (0–{bank.shape[0] - 1})", 0, bank.shape[0] - 1, key="in.filter")
        st.plotly_chart(maps_figure(bank[which], [f"input channel {c}" for c in range(bank.shape[1])], columns=8),
                        key="in.fig.kernels")
        st.caption(f"A filter of layer {layer} has one slice per channel of the layer before it.")

# ---- One image through the network -------------------------------------------------------------
st.subheader("One image, layer by layer")
left, right = st.columns([2, 3])
with left:
    x, label, caption = input_image(dataset, key="in.input", index_key=state.key("image"))
    st.caption("Move or turn the image and watch the prediction:")
    t1, t2 = st.columns(2)
    t1.slider("Shift right", -4, 4, key=state.key("dx"))
    t2.slider("Shift down", -4, 4, key=state.key("dy"))
    t1.slider("Turn (degrees)", -180, 180, key=state.key("angle"), step=5)
    t2.slider("Scale", 0.5, 1.5, key=state.key("scale"), step=0.05)
    moved = inspect_cnn.transform(x[0], shift=(state["dx"], state["dy"]), angle=state["angle"],
                                  scale=state["scale"])[None]
with right:
    predicted, confidence = (t.item() for t in predict(model, moved))
    st.plotly_chart(figures.image_figure(moved[0].numpy(), title=caption), key="in.fig.input")
    verdict = "" if label is None else (" ✓" if predicted == label else f" ✗ (it is a {dataset.classes[label]})")
    st.markdown(f"The network says **{dataset.classes[predicted]}** ({confidence:.0%} sure){verdict}.")

outputs = inspect_cnn.feature_maps(model, moved)
spatial = [o for o in outputs if o.output.ndim == 3]
if spatial:
    chosen = st.selectbox("Layer", [o.index for o in spatial], format_func=layer_name, key="in.map_layer")
    maps = next(o for o in spatial if o.index == chosen).output
    st.plotly_chart(maps_figure(maps[:32], [f"channel {c}" for c in range(min(len(maps), 32))], columns=8,
                                signed=bool((maps < 0).any())), key="in.fig.maps")
    if len(maps) > 32:
        st.caption(f"The first 32 of {len(maps)} channels.")
st.dataframe(pd.DataFrame([{"layer": layer_name(o.index), "output": figures.format_shape(list(o.output.shape)),
                            **o.stats} for o in outputs]), hide_index=True, width="stretch",
             column_config={"zero_fraction": st.column_config.NumberColumn("share of zeros", format="percent"),
                            "mean": st.column_config.NumberColumn(format="%.3f"),
                            "std": st.column_config.NumberColumn(format="%.3f"),
                            "min": st.column_config.NumberColumn(format="%.3f"),
                            "max": st.column_config.NumberColumn(format="%.3f")})

# ---- What excites a channel -----------------------------------------------------------------------
if spatial:
    st.subheader("Which test images excite a channel most?")
    c1, c2 = st.columns(2)
    top_layer = c1.selectbox("Layer", [o.index for o in spatial], format_func=layer_name, key="in.top_layer")
    channels = next(o for o in spatial if o.index == top_layer).output.shape[0]
    channel = c2.number_input(f"Channel (0–{channels - 1})", 0, channels - 1, key="in.top_channel")
    indices, values = memo(("top", *model_key(record), top_layer, channel),
                           lambda: inspect_cnn.top_activating(model, dataset, top_layer, channel, k=8))
    images = dataset.x_test[indices].numpy()
    titles = [f"{dataset.classes[int(dataset.y_test[i])]} ({v:.2f})" for i, v in zip(indices, values)]
    st.plotly_chart(figures.image_grid_figure(images, titles, columns=8), key="in.fig.top")

# ---- Switching channels off ---------------------------------------------------------------------
if conv_layers:
    st.subheader("Switch channels off")
    a1, a2 = st.columns([1, 3])
    off_layer = a1.selectbox("Layer", conv_layers, format_func=layer_name, key="in.off_layer")
    width = record.spec["layers"][off_layer]["out_channels"]
    off = a2.multiselect("Channels to switch off", list(range(width)), key="in.off_channels")
    clean = memo(("acc", *model_key(record)), lambda: inspect_cnn.accuracy(model, dataset))
    after = memo(("ablate", *model_key(record), off_layer, tuple(off)),
                 lambda: inspect_cnn.accuracy(inspect_cnn.ablated(model, off_layer, off), dataset))
    m1, m2 = st.columns(2)
    m1.metric("Test accuracy", f"{clean:.1%}")
    m2.metric(f"With {len(off)} of {width} channels of layer {off_layer} off", f"{after:.1%}",
              delta=f"{(after - clean) * 100:+.1f} points", delta_color="normal")

# ---- Train one here ------------------------------------------------------------------------------
with st.expander("Train a LeNet-5 here"):
    which = st.radio("Data", ["digits", "shapes"], horizontal=True, key="in.train_data")

    train_here("in", "lenet5", which, train.Config(epochs=10, lr=0.005, seed=0), name=f"LeNet-5 on {which}")

state.save()
