"""Neural Playground: the entry point. It only routes: `streamlit run app.py`."""

import streamlit as st

from playground.ui import session, share
from playground.ui.navigation import pages

st.set_page_config(page_title="Neural Playground", page_icon="🧠", layout="wide",
                   initial_sidebar_state="collapsed" if share.presentation_requested() else "auto")

navigation = st.navigation(pages(), expanded=True)  # every section and page in view
session.warm_pool()
share.before_page(navigation)
navigation.run()
share.after_page(navigation)
session.training_status()
