"""Play / Pause / Step / Reset: the transport controls of a page that runs something, drawn as one row.

A page describes its run by a few callables and gets the buttons with the protections every page
needs against clicks that arrive twice (a timed fragment or a live board can make a click reach its
callback twice):

- Play/Pause binds what the button *said* when it was drawn (`running`), so a doubled click still
  means "play" (or "pause") and never undoes itself, as a toggle would;
- Step runs through `session.once`, so a doubled click steps once.

For a run in the worker pool, `job_actions(job_key, start=..., start_step=...)` gives the play, pause
and step callables (and `reset`) for the job kept in `st.session_state[job_key]`::

    actions = job_actions("pg.job", start=lambda: launch(100_000), start_step=lambda: launch(1))
    beside = transport("pg", running=actions.running(), **actions.callbacks())

Anything else (an animation driven by a session-state flag, say) passes its own callables::

    transport("opt", running=st.session_state["opt.playing"], play=start_race, pause=stop_race)

Buttons get the keys `<key>.play`, `<key>.step`, `<key>.reset`. `transport` returns the column to
the right of the buttons, for a control that belongs beside them (a speed, a note).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import streamlit as st

from playground.jobs.train import ACTIVE
from playground.ui import session


def transport(key: str, *, running: bool, play: Callable[[], None], pause: Callable[[], None],
              step: Callable[[], None] | None = None, reset: Callable[[], None] | None = None,
              step_disabled: bool = False, step_help: str = "One step, then stop",
              reset_help: str = "Back to the start", container=st, widths=(1, 1, 1, 5)):
    """Draw Reset, Play (Pause while `running`) and Step in one row; return the row's last column.

    `play`/`pause` run on a click of the button that said Play/Pause when drawn; `step` (None: no
    Step button) runs once per click; `reset` (None: no Reset button) on a click of Reset.
    """
    columns = container.columns(list(widths), vertical_alignment="bottom")
    where = iter(columns)
    if reset is not None:
        next(where).button("Reset", key=f"{key}.reset", on_click=reset, icon=":material/restart_alt:",
                           help=reset_help, width="stretch")

    def play_or_pause(pausing: bool) -> None:
        (pause if pausing else play)()

    next(where).button("Pause" if running else "Play", key=f"{key}.play", on_click=play_or_pause, args=(running,),
                       type="primary", icon=":material/pause:" if running else ":material/play_arrow:",
                       width="stretch")
    if step is not None:
        next(where).button("Step", key=f"{key}.step", **session.once(f"{key}.step", step), disabled=step_disabled,
                           icon=":material/skip_next:", help=step_help, width="stretch")
    return columns[-1]


@dataclasses.dataclass
class JobActions:
    """Play, pause, step and reset for a pool job kept in `st.session_state[job_key]`.

    `start()` starts a new job (and keeps it under `job_key`); `start_step()` one that takes a single
    step (None: `start` then pause and step). Each callable looks the job up when it runs, so it acts on
    the job as it is at the click, not as it was when the page was drawn.
    """

    job_key: str
    start: Callable[[], None]
    start_step: Callable[[], None] | None = None
    step_unit: str = "epoch"
    on_reset: Callable[[], None] | None = None  # what else Reset clears (the page's own weights, say)

    def job(self):
        return st.session_state.get(self.job_key)

    def running(self) -> bool:
        """Whether the job is training now or waiting for a worker (the button then says Pause)."""
        job = self.job()
        return job is not None and job.status in ("queued", "running")

    def play(self) -> None:
        job = self.job()
        if job is None or job.status not in ACTIVE:
            self.start()
        elif job.status == "paused":
            job.resume()

    def pause(self) -> None:
        job = self.job()
        if job is not None and job.status in ("queued", "running"):
            job.pause()

    def step(self) -> None:
        """One step of a paused job; a new job that takes one; a running one is paused."""
        job = self.job()
        if job is None or job.status not in ACTIVE:
            if self.start_step is not None:
                self.start_step()
                return
            self.start()
            new = self.job()
            if new is not None and new is not job:  # started (a refused start leaves the old one, or none)
                new.pause()
                new.step(1, self.step_unit)
        elif job.status == "paused":
            job.step(1, self.step_unit)
        else:
            job.pause()

    def reset(self) -> None:
        job = self.job()
        if job is not None and job.status in ACTIVE:
            job.stop()
        st.session_state.pop(self.job_key, None)
        if self.on_reset is not None:
            self.on_reset()

    def callbacks(self) -> dict:
        """`play`, `pause`, `step` and `reset` for `transport`."""
        return {"play": self.play, "pause": self.pause, "step": self.step, "reset": self.reset}


def job_actions(job_key: str, *, start: Callable[[], None], start_step: Callable[[], None] | None = None,
                step_unit: str = "epoch", on_reset: Callable[[], None] | None = None) -> JobActions:
    """The `JobActions` of the pool job kept under `job_key` (see there)."""
    return JobActions(job_key, start, start_step, step_unit, on_reset)
