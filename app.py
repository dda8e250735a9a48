"""Neural Playground: the entry point. `streamlit run app.py` serves it.

Two things live here. `app` is the server: Streamlit's own routes plus the live feeds that pages'
live boards read while a run trains (`playground.ui.live`). The rest routes each session's page:
Streamlit runs this file for every page view, where `app` is only built again, never served.
"""

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from playground.ui import live

app = st.App(__file__, routes=live.routes())

if get_script_run_ctx(suppress_warning=True) is not None:  # a page view, not the server starting
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
