import streamlit as st

from playground import figures
from playground.explain_attack import explain
from playground.explain_attack.attacks import prediction
from playground.jobs import train
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import image_key, image_model, input_image, memo, model_changed, model_key
from playground.ui.jobs import train_here
from playground.ui.urlstate import Field, PageState, choice, flag, number

ensure_navigation()

DEFAULT_METHODS = ["saliency", "integrated_gradients", "smoothgrad", "guided_backprop", "grad_cam", "occlusion"]
IG, SG = explain.METHODS["integrated_gradients"].options, explain.METHODS["smoothgrad"].options

state = PageState("sal", {
    "image": number(0, 0),
    "target": number(-1, -1),  # -1: the predicted class
    "sign": choice("absolute", explain.SIGNS),
    "overlay": flag(True),
    "random": flag(False),
    "methods": Field(DEFAULT_METHODS, parse=lambda text: text.split(","), format=",".join,
                     check=lambda v: all(m in explain.METHODS for m in v)),
    "ig_baseline": choice(IG["baseline"], explain.BASELINES),
    "ig_steps": number(IG["steps"], 4, 128),
    "sg_samples": number(SG["samples"], 4, 64),
    "sg_noise": number(SG["noise"], 0.0, 0.5, step=0.05),
    "cam_layer": number(-1, -1),  # -1: the last convolution layer, Grad-CAM's own default
    "occ_window": number(4, 1, 14),
    "occ_stride": number(2, 1, 7),
})
for problem in state.restore():
    st.warning(problem)

st.title("Saliency maps")
st.caption("Which pixels did the network look at? Each method answers differently; compare them, "
           "and check whether a map really depends on what the network learned.")

# ---- Model, input and target -----------------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    record, dataset = image_model("sal.model", prefer="shapes CNN")
    model, names = record.model(), dataset.classes
    if model_changed("sal", record):  # no class name or layer of the previous model may stay on show
        state["target"], state["cam_layer"] = -1, -1
    picked = input_image(dataset, key="sal.input", state=state)
with right:
    state.selectbox("target", "Explain the score of class", options=[-1, *range(len(names))],
                    format_func=lambda c: "the predicted class" if c < 0 else names[c])
    if picked is not None:
        x, label, caption = picked
        predicted, confidence = prediction(model, x)
        target = predicted if state["target"] < 0 else state["target"]
        chart(figures.image_figure(x[0].numpy(), title=caption), key="sal.picture")
        st.markdown(f"The network says **{names[predicted]}** ({confidence:.0%})"
                    + ("." if label is None else f"; the answer is **{names[label]}**."))

# ---- Methods and their settings --------------------------------------------------------------
state.pills("methods", "Methods", options=list(explain.METHODS), selection_mode="multi",
            format_func=lambda m: explain.METHODS[m].label)
chosen = [m for m in explain.METHODS if m in (state["methods"] or [])]
c1, c2, c3 = st.columns(3)
state.radio("sign", "Show", container=c1, horizontal=True,
            help="positive: pixels that raised the score; negative: pixels that lowered it; absolute: both.")
state.toggle("overlay", "Overlay on the image", container=c2)
state.toggle("random", "Sanity check: randomized weights", container=c3,
             help="The same methods on a copy of the network with random weights. A map that hardly "
                  "changes shows the image, not what the network learned.")

side = min(dataset.input_shape[1:])
conv = explain.conv_layers(model)
with st.expander("Method settings"):
    o1, o2, o3, o4 = st.columns(4)
    state.selectbox("ig_baseline", "Integrated Gradients: baseline", container=o1)
    state.slider("ig_steps", "Integrated Gradients: steps", container=o1)
    state.slider("sg_samples", "SmoothGrad: noisy copies", container=o2)
    state.slider("sg_noise", "SmoothGrad: noise", container=o2)
    if conv:
        state.selectbox("cam_layer", "Grad-CAM: layer", options=[-1, *conv], container=o3,
                        format_func=lambda i: "the last convolution" if i < 0 else f"layer {i}")
    state.slider("occ_window", "Occlusion: window", high=max(2, side // 2), container=o4)
    state.slider("occ_stride", "Occlusion: stride", high=max(2, side // 4), container=o4)
cam_layer = conv[-1] if conv and state["cam_layer"] < 0 else state["cam_layer"]
ig = {"baseline": state["ig_baseline"], "steps": state["ig_steps"]}
options = {"integrated_gradients": ig, "smoothgrad": {"samples": state["sg_samples"], "noise": state["sg_noise"]},
           "grad_cam": {"layer": cam_layer}, "deeplift": {"baseline": state["ig_baseline"]},
           "occlusion": {"window": state["occ_window"], "stride": state["occ_stride"]}}

subject = explain.randomized(model, seed=0) if state["random"] else model
if picked is not None:
    maps, problems = {}, []
    for method in chosen:
        settings, label_of = options.get(method, {}), explain.METHODS[method].label
        key = ("sal", *model_key(record), state["random"], image_key(x), target, method,
               state["sign"], tuple(sorted(settings.items())))
        try:
            maps[label_of] = memo(key, lambda m=method, o=settings: explain.attribution_map(
                subject, x, target, m, state["sign"], **o))
        except explain.ExplainError as e:
            problems.append(f"**{label_of}**: {e}")
    blank = [name for name, m in maps.items() if explain.is_blank(m)]
    for problem in problems:
        st.warning(problem)
    if blank:
        st.info(f"**{', '.join(blank)}**: zero everywhere for this image and class ({state['sign']} part), so "
                "there is nothing to show. Grad-CAM keeps only regions that raise the score: try an earlier "
                "layer, another class or another image.", icon=":material/info:")
    if maps:
        chart(figures.methods_figure(x[0].numpy(), maps, signed={k: False for k in maps},
                                     overlay=state["overlay"]), key="sal.maps")
    if "integrated_gradients" in chosen:
        total, change = explain.integrated_gradients_sum(subject, x, target, **ig)
        st.markdown(f"**Integrated Gradients adds up.** The attributions sum to **{total:.4f}**; the score of "
                    f"{names[target]} changes by **{change:.4f}** from the baseline to this image "
                    f"(gap {abs(total - change):.4f}; more steps make it smaller).")
with st.expander("What the methods do"):
    st.markdown("\n".join(f"- **{m.label}**: {m.description} ({m.paper})" for m in explain.METHODS.values()))

# ---- Measured localization (shapes) ----------------------------------------------------------
st.subheader("Do the maps point at the object?")
if dataset.masks_test is None:
    st.caption(f"{dataset.name} has no object masks; choose a model trained on shapes to measure this.")
else:
    st.caption("On the shapes test set we know which pixels are the object. The share of each map's mass that "
               "falls inside the object is compared with a uniform map (the object's share of the image) and "
               "with the same method on randomized weights.")
    table_key = ("loc", *model_key(record), tuple(chosen))

    def measure() -> None:
        with st.spinner("Measuring…"):
            memo(table_key, lambda: explain.localization(model, dataset, chosen, n=200))

    st.button("Measure on 200 test images", key="sal.measure", disabled=not chosen, on_click=measure)
    table = st.session_state.get("_memo", {}).get(table_key)
    if table is not None:
        table = table.assign(method=table["method"].map(lambda m: explain.METHODS[m].label))
        chart(figures.localization_figure(table), key="sal.localization")
        st.dataframe(table, hide_index=True, column_config={
            c: st.column_config.NumberColumn(format="percent") for c in ("trained", "randomized", "uniform")})

with st.expander("Train a model on shapes here"):
    st.caption("A small CNN (tiny_vgg) on generated shapes, in about half a minute. It joins this session's "
               "models and the picker above.")
    train_here("sal", "tiny_vgg", "shapes", train.Config(epochs=8, lr=0.005, seed=0), name="shapes CNN")

state.save()
