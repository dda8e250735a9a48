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
}

navigation = st.navigation(PAGES)
session.warm_pool()
navigation.run()
session.training_status()
