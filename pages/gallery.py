import pandas as pd
import streamlit as st

from playground import figures
from playground.cnn_lab import gallery
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.urlstate import PageState, choice

ensure_navigation()

state = PageState("gal", {"name": choice(next(iter(gallery.ARCHITECTURES)), gallery.ARCHITECTURES)})
for problem in state.restore():
    st.warning(problem)

st.title("Architecture gallery")
st.caption("Landmark networks written as specs: every layer's output shape and parameter count, computed "
           "without building the network, so even the largest fit on a small server.")

name = state.pills("name", "Network")
architecture = gallery.ARCHITECTURES[name]
rows = gallery.summary_table(name)
total = sum(r["params"] for r in rows)

st.subheader(f"{architecture.name} ({architecture.year})")
st.markdown(architecture.description)
m1, m2, m3 = st.columns(3)
m1.metric("Parameters", f"{total:,}")
m2.metric("Input", figures.format_shape(architecture.spec["input_shape"]))
m3.metric("Output", figures.format_shape(gallery.output_shape(name)))
if architecture.expected_params is not None:
    agrees = "matches" if total == architecture.expected_params else "differs from"
    if architecture.torchvision is None:
        reference = "the published count"
    else:
        parts = ", ".join(f"`{p}`" for p in architecture.torchvision_parts)
        reference = f"torchvision's `{architecture.torchvision}`" + (f" ({parts})" if parts else "")
    st.caption(f"This count {agrees} {reference}: {architecture.expected_params:,}.")
if architecture.note:
    st.info(architecture.note, icon=":material/info:")
st.caption(f"Paper: {architecture.paper}")

chart(figures.network_figure(gallery.diagram_rows(name), input_shape=list(architecture.spec["input_shape"]),
                             stagger=True), key="gal.fig.diagram")
st.caption("Each box includes the activation (and batch norm) that follows it; hover over a box for its details.")
table = pd.DataFrame({
    "layer": ["  " * r["depth"] + r["path"] for r in rows],
    "type": [r["type"] for r in rows],
    "details": [r["detail"] for r in rows],
    "output shape": [figures.format_shape(r["output_shape"]) for r in rows],
    "parameters": [r["params"] for r in rows],
    "share": [r["params"] / total if total else 0.0 for r in rows],
})
st.dataframe(table, hide_index=True, width="stretch", height=min(36 * (len(table) + 1), 700), column_config={
    "parameters": st.column_config.NumberColumn(format="localized"),
    "share": st.column_config.ProgressColumn("share of all parameters", format="percent", min_value=0.0,
                                             max_value=1.0)})
st.caption("Nested rows (indented) are the layers inside a residual block or an inception block's branches.")
state.save()
