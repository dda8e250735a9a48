"""Neural Playground: the entry point. It only routes: `streamlit run app.py`."""

import streamlit as st

from playground.ui import session

st.set_page_config(page_title="Neural Playground", page_icon="🧠", layout="wide")

PAGES = {
    "Start": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    ],
    "Build & train": [
        st.Page("pages/build_train.py", title="Build & Train", icon=":material/construction:"),
    ],
    "Training lab": [
        st.Page("pages/optimizers.py", title="Optimizer race", icon=":material/speed:"),
        st.Page("pages/initialization.py", title="Initialization", icon=":material/stacked_line_chart:"),
        st.Page("pages/compare_runs.py", title="Compare runs", icon=":material/compare_arrows:"),
    ],
    "CNN lab": [
        st.Page("pages/convolution.py", title="Convolution explorer", icon=":material/grid_on:"),
        st.Page("pages/pooling.py", title="Pooling & parameters", icon=":material/view_comfy:"),
        st.Page("pages/inside_cnn.py", title="Inside a trained CNN", icon=":material/layers:"),
        st.Page("pages/gallery.py", title="Architecture gallery", icon=":material/account_tree:"),
    ],
    "Explain & attack": [
        st.Page("pages/saliency.py", title="Saliency maps", icon=":material/visibility:"),
        st.Page("pages/class_visualization.py", title="What it wants to see", icon=":material/palette:"),
        st.Page("pages/adversarial.py", title="Adversarial examples", icon=":material/bug_report:"),
        st.Page("pages/robustness.py", title="Fooling & hardening", icon=":material/shield:"),
    ],
}

navigation = st.navigation(PAGES)
session.warm_pool()
navigation.run()
session.training_status()
