"""The session's autoencoder: one training job shared by the Autoencoder studio and the Latent map page.

The studio trains it with the student's settings; the Latent map page trains the default one in
place when there is none yet, and waits for weights before it draws anything (`trained_job`).
"""

from __future__ import annotations

import streamlit as st

from playground import data
from playground.figures.latent_space.autoencoders import autoencoder_curves_figure
from playground.jobs.train import TrainingJob
from playground.latent_space import autoencoders
from playground.ui import session
from playground.ui.charts import chart
from playground.ui.jobs import current_job, job_panel, start_job
from playground.ui.urlstate import PageState

JOB = "ae.job"
DEFAULT_NAME = "plain MLP autoencoder, code 2, on digits"
_ERROR = "lat.error"
_ACTIVE = ("queued", "running", "paused")


def train_default() -> None:
    """Start the default autoencoder (plain MLP, a 2-number code, on the digits) as the session's job."""
    dataset = session.dataset("digits")
    encoder, decoder = autoencoders.network_specs(dataset.input_shape)
    options = autoencoders.training_options(dataset, autoencoders.Objective(), encoder, decoder)
    st.session_state[_ERROR] = start_job(JOB, encoder, dataset, autoencoders.default_config("digits"),
                                         trainer="autoencoder", options=options, name=DEFAULT_NAME)


def _show_training(job: TrainingJob) -> None:
    chart(autoencoder_curves_figure(job.history), key="lat.fig.curves")


def trained_job(state: PageState) -> TrainingJob:
    """The session's autoencoder once it has weights to explore; until then a prompt to train one (or its
    progress), and the page stops there (after saving `state`)."""
    job = current_job(JOB)
    if job is None or job.weights is None or job.status in _ACTIVE and job.rows < 2:
        if job is None:
            st.info("No autoencoder in this session yet. Train the default one here (a plain MLP autoencoder with "
                    "a 2-number code, on the 8×8 digits: about ten seconds), or set one up in the Autoencoder "
                    "studio.")
        if job is None or job.finished:
            st.button("Train a default autoencoder here", type="primary", key="lat.train", on_click=train_default)
            st.page_link("pages/autoencoder.py", label="Or open the Autoencoder studio", icon=":material/compress:")
        if st.session_state.get(_ERROR):
            st.error(st.session_state.pop(_ERROR))
        job_panel(JOB, _show_training)
        state.save()
        st.stop()
    if job.status in _ACTIVE:
        st.caption("Still training: everything below uses the weights of the moment this page last ran, and "
                   "updates when training ends.")
        job_panel(JOB, _show_training)
    elif job.status == "failed":
        st.warning(f"The last training run failed ({job.error}); below are the weights it had reached.")
    return job


def job_dataset(job: TrainingJob, state: PageState):
    """The dataset `job` trained on, remade from its reference; a message and a stop if it cannot be."""
    ref = job.options["dataset_ref"]
    try:
        return session.dataset(ref["name"], seed=ref.get("seed", 0), params=ref.get("params", {}))
    except data.DatasetError as e:
        st.error(str(e))
        state.save()
        st.stop()
