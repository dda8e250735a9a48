"""The 2-D Playground's run in the session: the network's weights, epoch and loss curve, and the job
that trains it on in the worker pool.

The network's shape, the data and the seed define a run: change one and it starts again from fresh
weights. Training settings (rate, optimizer, loss, regularization, batch, speed) and edited points
carry on from the current weights: a running job is stopped and a new one starts where it stood.
Between jobs the page keeps the weights ("pg.weights"), the epoch ("pg.epoch") and the curve of the
runs so far ("pg.curve": (epoch, train loss, test loss) points).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from playground.basics import playground2d as p2
from playground.data import Dataset
from playground.jobs import train
from playground.jobs.train import ACTIVE
from playground.ui.inputs import memo
from playground.ui.jobs import current_job, start_job
from playground.ui.transport import job_actions

JOB = "pg.job"
RUN_EPOCHS = 100_000  # one Play runs this long at most; Play again carries on


@dataclasses.dataclass
class PlaygroundRun:
    """What defines the page's network now; its methods act on the run kept in session state."""

    spec: dict
    task: str
    dataset: Dataset  # feature values, as the job trains on them
    config: train.Config
    options: dict  # the trainer's options (regularization, speed)
    seed: int
    structure: tuple  # what starts a new run when it changes
    training: tuple  # what a running job carries on with when it changes

    def sync(self) -> None:
        """Apply changes since the last rerun (a new structure resets; new training settings restart a
        running job from where it stood) and take in a job that has ended."""
        state = st.session_state
        if "pg.curve" not in state:
            self.reset()
        if state.get("pg.structure") != self.structure:
            if "pg.structure" in state:
                self.reset()
            state["pg.structure"] = self.structure
        if state.get("pg.training") != self.training:
            if "pg.training" in state and current_job(JOB) is not None and self.settle():
                self.launch(RUN_EPOCHS)
            state["pg.training"] = self.training
        job = current_job(JOB)
        if job is not None and job.finished:
            if job.status == "failed":
                state["pg.error"] = job.error
            self.absorb(job)

    def settle(self) -> bool:
        """Stop the job, if any, and keep its weights and epoch; True if it was running."""
        job = current_job(JOB)
        if job is None:
            return False
        was_running = job.status == "running"
        if job.status in ACTIVE:
            job.stop()
            job.wait(3)
        self.absorb(job)
        return was_running

    def absorb(self, job) -> None:
        """Keep an ended job's weights and loss curve as the page's own, and forget the job."""
        state = st.session_state
        state.pop(JOB, None)
        if job.weights is not None:
            net = p2.net_from_weights(job.spec, self.task, job.weights)
            if np.isfinite(net.params).all():
                state["pg.weights"], state["pg.epoch"] = job.weights, job.epoch
        epochs, train_loss, test_loss = p2.curve_points(job.history, job.series("frame"))
        last = state["pg.curve"][-1][0] if state["pg.curve"] else -1
        keep = (epochs <= state.get("pg.epoch", 0)) & (epochs > last)
        state["pg.curve"] += list(zip(epochs[keep], train_loss[keep], test_loss[keep]))

    @staticmethod
    def reset() -> None:
        """Fresh weights from the seed at epoch 0, no curve, no job."""
        job = current_job(JOB)
        if job is not None and job.status in ACTIVE:
            job.stop()
        st.session_state.pop(JOB, None)
        st.session_state["pg.weights"], st.session_state["pg.epoch"], st.session_state["pg.curve"] = None, 0, []
        st.session_state.pop("pg.pick", None)

    def net(self):
        """The page's own network: the last run's weights, or fresh ones from the seed."""
        weights = st.session_state["pg.weights"]
        if weights:
            return p2.net_from_weights(self.spec, self.task, weights)
        return p2.net_from_spec(self.spec, self.task, seed=self.seed)

    def launch(self, epochs: int) -> None:
        """Train from the current weights in the worker pool, for `epochs` more epochs."""
        run_config = train.Config(**{**self.config.to_dict(), "epochs": epochs})
        st.session_state["pg.error"] = start_job(
            JOB, self.spec, self.dataset, run_config, trainer="playground2d", init_weights=p2.weights_of(self.net()),
            options={**self.options, "start_epoch": st.session_state["pg.epoch"]}, name="2-D playground")

    def actions(self):
        """Play, pause, step and reset of the job (`playground.ui.transport`)."""
        return job_actions(JOB, start=lambda: self.launch(RUN_EPOCHS), start_step=lambda: self.launch(1),
                           on_reset=self.reset)

    def own_view(self, loss: str) -> p2.Snapshot:
        """The page's own network with its losses."""
        state = st.session_state
        return memo(("pg.view", state["pg.weights"], self.structure, loss, self.training, state["pg.epoch"]),
                    lambda: p2.snapshot(self.net(), state["pg.epoch"], self.dataset, loss))

    def view(self, loss: str) -> p2.Snapshot:
        """The network as it is now: the job's latest state, or the page's own weights."""
        job = current_job(JOB)
        if job is not None:
            job.touch()
            shot = p2.frame_of(job, self.spec, self.dataset, loss)
            if shot is not None:
                return shot
        return self.own_view(loss)

    def curve(self):
        """The loss curve over every run of this network, the current job's included (paused too)."""
        return p2.run_curve(list(st.session_state["pg.curve"]), current_job(JOB))

    def edit_weight(self, pick: tuple[int, int, int], value: float) -> None:
        """Stop the job (keeping where it stood) and set one weight of the page's network."""
        self.settle()
        st.session_state["pg.weights"] = p2.weights_of(p2.edit_weight(self.net(), *pick, float(value)))
