"""Streamlit helpers shared by every page: URL state, the session's runs, the model picker."""
