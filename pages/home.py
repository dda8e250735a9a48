import streamlit as st

from playground.ui.boot import ensure_navigation
from playground.ui.navigation import section_links

ensure_navigation()

st.title("Neural Playground")
st.markdown(
    "Build a neural network from layers, train it live, and look inside. "
    "Everything here runs in your browser tab against a small server: change a layer and the shapes "
    "update; press **Train** and watch the curves move while it learns."
)

left, right = st.columns(2)
with left:
    st.subheader("Start here")
    st.markdown(
        "1. Open **Build & Train**.\n"
        "2. Pick a dataset (the 8×8 handwritten **digits** load instantly) and a preset network such as "
        "**lenet5**.\n"
        "3. Edit the layers in the table if you like: each row shows its output shape and parameter count, "
        "and a layer that cannot work says why.\n"
        "4. Press **Train**. Loss and accuracy curves grow epoch by epoch; afterwards you see the confusion "
        "matrix and the test images the network got wrong."
    )
    st.page_link("pages/build_train.py", label="Open Build & Train", icon=":material/construction:")
st.subheader("What is here")
SUMMARIES = {
    "Training lab": "how optimizers move, why initialization matters, and how runs compare.",
    "CNN lab": "convolution step by step, and what a trained CNN has learned.",
    "Explain & attack": "where a network looks, and how to fool it.",
}
for column, (section, summary) in zip(st.columns(len(SUMMARIES)), SUMMARIES.items()):
    with column:
        st.markdown(f"**{section}**: {summary}")
        section_links(section)

with right:
    st.subheader("Good to know")
    st.markdown(
        "- Training runs in background worker processes, so the page stays responsive; the sidebar shows "
        "your runs on every page.\n"
        "- The address bar holds your network and settings: copy it to share exactly what you see, or "
        "reload without losing it.\n"
        "- Download a trained model as a `.safetensors` checkpoint (the network's spec is inside) and "
        "upload it later to carry on."
    )
