import streamlit as st

from playground import explain, figures, train
from playground.attacks import predict
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import image_model, input_image, memo, model_key
from playground.ui.jobs import train_here
from playground.ui.urlstate import Field, PageState, bool_field

ensure_navigation()

DEFAULT_METHODS = ["saliency", "integrated_gradients", "smoothgrad", "guided_backprop", "grad_cam", "occlusion"]

state = PageState("sal", {
    "image": Field(0, int, check=lambda v: v >= 0),
    "sign": Field("absolute", check=lambda v: v in explain.SIGNS),
    "overlay": bool_field(True),
    "random": bool_field(False),
    "methods": Field(DEFAULT_METHODS, parse=lambda text: text.split(","), format=",".join,
                     check=lambda v: all(m in explain.METHODS for m in v)),
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
    model = record.model()
    x, label, caption = input_image(dataset, key="sal.input", index_key=state.key("image"))
with right:
    predicted, confidence = (t.item() for t in predict(model, x))
    names = dataset.classes
    choices = ["predicted"] + list(range(len(names)))
    target_choice = st.selectbox(
        "Explain the score of class", choices, key="sal.target",
        format_func=lambda c: f"the predicted class ({names[predicted]})" if c == "predicted" else names[c])
    target = predicted if target_choice == "predicted" else int(target_choice)
    st.plotly_chart(figures.image_figure(x[0].numpy(), title=f"{caption}"), key="sal.picture")
    st.markdown(f"The network says **{names[predicted]}** ({confidence:.0%})"
                + ("" if label is None else f"; the answer is **{names[label]}**."))

# ---- Methods and their settings --------------------------------------------------------------
st.pills("Methods", list(explain.METHODS), selection_mode="multi", key=state.key("methods"),
         format_func=lambda m: explain.METHODS[m].label)
chosen = [m for m in explain.METHODS if m in (state["methods"] or [])]
c1, c2, c3 = st.columns(3)
c1.radio("Show", explain.SIGNS, key=state.key("sign"), horizontal=True,
         help="positive: pixels that raised the score; negative: pixels that lowered it; absolute: both.")
c2.toggle("Overlay on the image", key=state.key("overlay"))
c3.toggle("Sanity check: randomized weights", key=state.key("random"),
          help="The same methods on a copy of the network with random weights. A map that hardly "
               "changes shows the image, not what the network learned.")

options: dict[str, dict] = {}
with st.expander("Method settings"):
    o1, o2, o3, o4 = st.columns(4)
    options["integrated_gradients"] = {
        "baseline": o1.selectbox("Integrated Gradients: baseline", ["black", "blur", "noise", "mean"],
                                 key="sal.ig_baseline"),
        "steps": o1.slider("Integrated Gradients: steps", 4, 128, 32, key="sal.ig_steps")}
    options["smoothgrad"] = {
        "samples": o2.slider("SmoothGrad: noisy copies", 4, 64, 16, key="sal.sg_samples"),
        "noise": o2.slider("SmoothGrad: noise", 0.0, 0.5, 0.15, 0.05, key="sal.sg_noise")}
    conv = explain.conv_layers(model)
    if conv:
        options["grad_cam"] = {"layer": o3.selectbox(
            "Grad-CAM: layer", conv, index=len(conv) - 1, key="sal.cam_layer",
            format_func=lambda i: f"{i}: {record.spec['layers'][i]['type']}")}
    side = min(dataset.input_shape[1:])
    options["occlusion"] = {
        "window": o4.slider("Occlusion: window", 1, max(2, side // 2), min(4, side // 2), key="sal.occ_window"),
        "stride": o4.slider("Occlusion: stride", 1, max(2, side // 4), min(2, max(1, side // 4)), key="sal.occ_stride")}
    options["deeplift"] = {"baseline": options["integrated_gradients"]["baseline"]}

subject = explain.randomized(model, seed=0) if state["random"] else model
maps, signed, problems = {}, {}, []
for method in chosen:
    settings = options.get(method, {})
    key = ("sal", *model_key(record), state["random"], caption, float(x.sum()), target, method,
           tuple(sorted(settings.items())))
    try:
        attributions = memo(key, lambda m=method, o=settings: explain.attribute(subject, x, target, m, **o))
    except explain.ExplainError as e:
        problems.append(f"**{explain.METHODS[method].label}**: {e}")
        continue
    maps[explain.METHODS[method].label] = explain.to_map(attributions, state["sign"])[0].numpy()
    signed[explain.METHODS[method].label] = False
for problem in problems:
    st.warning(problem)
if maps:
    st.plotly_chart(figures.methods_figure(x[0].numpy(), maps, signed=signed, overlay=state["overlay"]),
                    key="sal.maps")
with st.expander("What the methods do"):
    st.markdown("\n".join(f"- **{m.label}**: {m.description} ({m.paper})" for m in explain.METHODS.values()))

# ---- Integrated Gradients adds up ------------------------------------------------------------
if "integrated_gradients" in chosen:
    settings = options["integrated_gradients"]
    base = explain.make_baseline(x, settings["baseline"])
    attributions = explain.attribute(subject, x, target, "integrated_gradients", **settings)
    total, change = (t.item() for t in explain.completeness(subject, x, target, attributions, base))
    st.markdown(f"**Integrated Gradients adds up.** The attributions sum to **{total:.4f}**; the score of "
                f"{names[target]} changes by **{change:.4f}** from the baseline to this image "
                f"(gap {abs(total - change):.4f}; more steps make it smaller).")

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
        st.plotly_chart(figures.localization_figure(table), key="sal.localization")
        st.dataframe(table, hide_index=True, column_config={
            c: st.column_config.NumberColumn(format="percent") for c in ("trained", "randomized", "uniform")})

# ---- Train a shapes model here ---------------------------------------------------------------
with st.expander("Train a model on shapes here"):
    st.caption("A small CNN (tiny_vgg) on generated shapes, in about half a minute. It joins this session's "
               "models and the picker above.")
    train_here("sal", "tiny_vgg", "shapes", train.Config(epochs=8, lr=0.005, seed=0), name="shapes CNN")

state.save()
