import streamlit as st

from playground.ui.boot import ensure_navigation

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
c1, c2, c3 = st.columns(3)
with c1:
    st.markdown("**Training lab**: how optimizers move, why initialization matters, and how runs compare.")
    st.page_link("pages/optimizers.py", label="Optimizer race", icon=":material/speed:")
    st.page_link("pages/initialization.py", label="Initialization", icon=":material/stacked_line_chart:")
    st.page_link("pages/compare_runs.py", label="Compare runs", icon=":material/compare_arrows:")
with c2:
    st.markdown("**CNN lab**: convolution step by step, and what a trained CNN has learned.")
    st.page_link("pages/convolution.py", label="Convolution explorer", icon=":material/grid_on:")
    st.page_link("pages/pooling.py", label="Pooling & parameters", icon=":material/view_comfy:")
    st.page_link("pages/inside_cnn.py", label="Inside a trained CNN", icon=":material/layers:")
    st.page_link("pages/gallery.py", label="Architecture gallery", icon=":material/account_tree:")
with c3:
    st.markdown("**Explain & attack**: where a network looks, and how to fool it.")
    st.page_link("pages/saliency.py", label="Saliency maps", icon=":material/visibility:")
    st.page_link("pages/class_visualization.py", label="What it wants to see", icon=":material/palette:")
    st.page_link("pages/adversarial.py", label="Adversarial examples", icon=":material/bug_report:")
    st.page_link("pages/robustness.py", label="Fooling & hardening", icon=":material/shield:")

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
