"""Neural Playground: the entry point. It only routes: `streamlit run app.py`."""

import streamlit as st

from playground.ui import session
from playground.ui.navigation import pages

st.set_page_config(page_title="Neural Playground", page_icon="🧠", layout="wide")

navigation = st.navigation(pages())
session.warm_pool()
navigation.run()
session.training_status()
