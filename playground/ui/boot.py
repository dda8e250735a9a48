"""Make every page run under the app's navigation, also when a deep link is a server's first visit.

A folder named `pages/` beside `app.py` makes Streamlit start in its older multipage mode: until
some session has run `app.py` (whose `st.navigation` switches that mode off), a visitor who opens
`/build_train` directly gets the page script alone, with a plain file-name sidebar. Each page calls
`ensure_navigation()` first; in that case it switches the mode off and reruns through `app.py`.
"""

import streamlit as st


def ensure_navigation() -> None:
    """Rerun through app.py if this page was started without it (see the module docstring)."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without this mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
