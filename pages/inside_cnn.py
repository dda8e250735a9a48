import pandas as pd
import streamlit as st

from playground import figures
from playground.cnn_lab import inspect_cnn
from playground.explain_attack.attacks import prediction
from playground.figures.cnn_lab.conv import maps_figure
from playground.jobs import train
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import image_model, input_image, memo, model_changed, model_key
from playground.ui.jobs import train_here
from playground.ui.urlstate import Field, PageState, choice, number

ensure_navigation()

state = PageState("in", {
    "image": number(0, 0),
    "dx": number(0, -4, 4),
    "dy": number(0, -4, 4),
    "angle": number(0, -180, 180, step=5),
    "scale": number(1.0, 0.5, 1.5, step=0.05),
    "kernel_layer": number(0, 0),
    "filter": number(0, 0),
    "map_layer": number(0, 0),
    "top_layer": number(0, 0),
    "top_channel": number(0, 0),
    "off_layer": number(0, 0),
    "off_channels": Field([], parse=lambda t: [int(c) for c in t.split(",") if c],
                          format=lambda v: ",".join(map(str, v)),
                          check=lambda v: isinstance(v, list) and all(isinstance(c, int) and c >= 0 for c in v)),
    "train_data": choice("digits", ("digits", "shapes")),
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
spatial = inspect_cnn.spatial_channels(model, dataset.input_shape)  # {layer: channels}
if model_changed("in", record):  # layer numbers of the previous model must not stay on show
    for name, first in (("kernel_layer", conv_layers), ("off_layer", conv_layers), ("map_layer", list(spatial)),
                        ("top_layer", list(spatial))):
        state[name] = first[0] if first else 0
    state["filter"], state["top_channel"], state["off_channels"] = 0, 0, []
if not conv_layers:
    st.info("This model has no convolution layers: pick a CNN, or train one below.")


def layer_name(index: int) -> str:
    return f"{index}: {record.spec['layers'][index]['type']}"


# ---- Kernels ---------------------------------------------------------------------------------
if conv_layers:
    st.subheader("Filters")
    layer = state.selectbox("kernel_layer", "Convolution layer", options=conv_layers, format_func=layer_name)
    bank = inspect_cnn.kernels(model, layer)  # (out, in, k, k)
    if bank.shape[1] == 1:
        chart(maps_figure(bank[:, 0], [f"filter {i}" for i in range(len(bank))], columns=8),
              key="in.fig.kernels")
        st.caption("Red weights add the pixel under them, blue ones subtract it; white is zero.")
    else:
        which = state.number_input("filter", f"Filter (0–{bank.shape[0] - 1})", high=bank.shape[0] - 1)
        chart(maps_figure(bank[which], [f"input channel {c}" for c in range(bank.shape[1])], columns=8),
              key="in.fig.kernels")
        st.caption(f"A filter of layer {layer} has one slice per channel of the layer before it.")

# ---- One image through the network -------------------------------------------------------------
st.subheader("One image, layer by layer")
left, right = st.columns([2, 3])
with left:
    picked = input_image(dataset, key="in.input", state=state)
    st.caption("Move or turn the image and watch the prediction:")
    t1, t2 = st.columns(2)
    state.slider("dx", "Shift right", container=t1)
    state.slider("dy", "Shift down", container=t2)
    state.slider("angle", "Turn (degrees)", container=t1)
    state.slider("scale", "Scale", container=t2)
if spatial:
    chosen = state.selectbox("map_layer", "Layer", options=list(spatial), format_func=layer_name)
if picked is not None:
    x, label, caption = picked
    moved = inspect_cnn.transform(x[0], shift=(state["dx"], state["dy"]), angle=state["angle"],
                                  scale=state["scale"])[None]
    predicted, confidence = prediction(model, moved)
    chart(figures.image_figure(moved[0].numpy(), title=caption), key="in.fig.input", container=right)
    verdict = "" if label is None else (" ✓" if predicted == label else f" ✗ (it is a {dataset.classes[label]})")
    right.markdown(f"The network says **{dataset.classes[predicted]}** ({confidence:.0%} sure){verdict}.")
    outputs = inspect_cnn.feature_maps(model, moved)
    if spatial:
        maps, signed = inspect_cnn.first_maps(outputs, chosen)
        chart(maps_figure(maps, [f"channel {c}" for c in range(len(maps))], columns=8, signed=signed),
              key="in.fig.maps")
        if spatial[chosen] > len(maps):
            st.caption(f"The first {len(maps)} of {spatial[chosen]} channels.")
    st.dataframe(pd.DataFrame([{"layer": layer_name(o.index), "output": figures.format_shape(list(o.output.shape)),
                                **o.stats} for o in outputs]), hide_index=True, width="stretch",
                 column_config={"zero_fraction": st.column_config.NumberColumn("share of zeros", format="percent"),
                                **{c: st.column_config.NumberColumn(format="%.3f") for c in ("mean", "std", "min",
                                                                                             "max")}})

# ---- What excites a channel -----------------------------------------------------------------------
if spatial:
    st.subheader("Which test images excite a channel most?")
    c1, c2 = st.columns(2)
    top_layer = state.selectbox("top_layer", "Layer", options=list(spatial), format_func=layer_name, container=c1)
    channel = state.number_input("top_channel", f"Channel (0–{spatial[top_layer] - 1})", high=spatial[top_layer] - 1,
                                 container=c2)
    indices, values = memo(("top", *model_key(record), top_layer, channel),
                           lambda: inspect_cnn.top_activating(model, dataset, top_layer, channel, k=8))
    titles = [f"{dataset.classes[int(dataset.y_test[i])]} ({v:.2f})" for i, v in zip(indices, values)]
    chart(figures.image_grid_figure(dataset.x_test[indices].numpy(), titles, columns=8), key="in.fig.top")

# ---- Switching channels off ---------------------------------------------------------------------
if conv_layers:
    st.subheader("Switch channels off")
    a1, a2 = st.columns([1, 3])
    off_layer = state.selectbox("off_layer", "Layer", options=conv_layers, format_func=layer_name, container=a1)
    width = record.spec["layers"][off_layer]["out_channels"]
    off = state.multiselect("off_channels", "Channels to switch off", options=list(range(width)), container=a2)
    clean = memo(("acc", *model_key(record)), lambda: inspect_cnn.accuracy(model, dataset))
    after = memo(("ablate", *model_key(record), off_layer, tuple(off)),
                 lambda: inspect_cnn.accuracy(inspect_cnn.ablated(model, off_layer, off), dataset))
    m1, m2 = st.columns(2)
    m1.metric("Test accuracy", f"{clean:.1%}")
    m2.metric(f"With {len(off)} of {width} channels of layer {off_layer} off", f"{after:.1%}",
              delta=f"{(after - clean) * 100:+.1f} points", delta_color="normal")

# ---- Train one here ------------------------------------------------------------------------------
with st.expander("Train a LeNet-5 here"):
    which = state.radio("train_data", "Data", horizontal=True)
    train_here("in", "lenet5", which, train.Config(epochs=10, lr=0.005, seed=0), name=f"LeNet-5 on {which}")

state.save()
