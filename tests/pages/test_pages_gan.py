"""The 2-D GAN page in AppTest: it opens on round 0, Play runs the game live, Pause and Step move it
one round at a time, Reset goes back, and the user's own points make a target."""

import time

from playground.jobs.live import FEEDS
from tests.pages.test_pages import open_page
from tests.waiting import rerun_until

PAGE = "pages/gan2d.py"


def metrics(at) -> dict[str, str]:
    """The numbers the page shows: its metrics, or while the game runs, what its live board draws (the
    feed the browser reads; empty before the first picture)."""
    held = at.session_state["gan.job.feed"] if "gan.job.feed" in at.session_state else None
    if held is not None:
        view = FEEDS.read(held[1])
        if view is not None and view["status"] in ("queued", "running"):
            assert not at.metric  # no stale numbers beside the live ones
            return view.get("metrics", {})
    return {m.label: m.value for m in at.metric}


def metric(at, label: str) -> str:
    return metrics(at).get(label, "")


def round_shown(at) -> int:
    shown = metric(at, "Round").replace(",", "")
    return int(shown) if shown else -1


def run_until(at, condition, timeout: float = 60):
    return rerun_until(at, condition, timeout=timeout, shows=lambda at: f"round {metric(at, 'Round')}")


def test_the_page_opens_on_round_zero_with_both_charts():
    at = open_page(PAGE)
    assert at.title[0].value == "2-D GAN"
    assert round_shown(at) == 0
    assert 1.0 < float(metric(at, "Distance to the target")) < 1.5  # untrained points sit in the ring's middle
    assert len(at.get("plotly_chart")) == 2  # the plane and the curves
    assert any("forger" in m.value and "inspector" in m.value for m in at.markdown)


def test_play_runs_the_game_and_pause_then_step_moves_one_round():
    at = open_page(PAGE)
    untrained = metric(at, "Distance to the target")
    at.button(key="gan.play").click().run()
    run_until(at, lambda a: round_shown(a) >= 100)
    assert metric(at, "Distance to the target") != untrained  # the points have moved
    assert at.button(key="gan.play").label == "Pause"
    view = FEEDS.read(at.session_state["gan.job.feed"][1])  # what the live board draws
    assert len(view["charts"]["losses"]["series"]) == 4 and view["charts"]["distance"]["series"]
    assert view["scenes"]["plane"]["images"] and view["scenes"]["plane"]["lines"]  # D's verdict, G's arrows
    assert len(view["scenes"]["plane"]["markers"][0]["x"]) == 250  # G's shown points

    at.button(key="gan.play").click().run()
    job = at.session_state["gan.job"]
    assert job.status == "paused"
    # Once paused, the picture is drawn from the weights published at the pause: the exact round.
    run_until(at, lambda a: round_shown(a) == job.history["epoch"].iloc[-1], timeout=30)
    paused_at = round_shown(at)
    assert at.button(key="gan.play").label == "Play"

    at.button(key="gan.step").click().run()
    run_until(at, lambda a: round_shown(a) == paused_at + 1, timeout=30)
    time.sleep(0.5)
    at.run()
    assert round_shown(at) == paused_at + 1 and job.status == "paused"

    at.button(key="gan.reset").click().run()
    assert "gan.job" not in at.session_state
    assert job.wait(10) == "stopped"
    assert round_shown(at) == 0


def test_step_from_round_zero_starts_a_paused_game():
    at = open_page(PAGE)
    at.button(key="gan.step").click().run()
    job = at.session_state["gan.job"]
    # The pause follows the start at once; a worker that is quick off the mark may play a few rounds first.
    run_until(at, lambda a: round_shown(a) >= 1 and round_shown(a) == job.history["epoch"].iloc[-1], timeout=60)
    assert job.status == "paused"
    now = round_shown(at)
    at.button(key="gan.step").click().run()
    run_until(at, lambda a: round_shown(a) == now + 1, timeout=30)
    time.sleep(0.6)
    at.run()
    assert round_shown(at) == now + 1 and job.status == "paused"
    at.button(key="gan.reset").click().run()


def test_your_own_points_make_the_target_and_changes_are_flagged():
    at = open_page(PAGE)
    at.radio(key="gan.target").set_value("points").run()
    assert not at.exception
    assert any(c.value == "3 points placed." for c in at.caption)
    assert len(at.get("plotly_chart")) == 3  # the placing grid, the plane and the curves
    assert at.query_params["target"] == "points"

    at.button(key="gan.clear").click().run()
    assert any("Place at least one point" in w.value for w in at.warning)
    assert not at.exception

    at.session_state["gan.points"] = [[1.0, 1.0], [-1.0, -1.0]]
    at.run()
    assert any(c.value == "2 points placed." for c in at.caption)
    at.button(key="gan.play").click().run()
    at.session_state["gan.d_lr"] = 0.003
    at.run()
    assert any("settings have changed" in i.value for i in at.info)
    at.button(key="gan.reset").click().run()
    assert not at.exception


def test_clearing_the_points_leaves_every_other_control_as_it_was():
    at = open_page(PAGE)
    at.radio(key="gan.target").set_value("points").run()
    at.session_state["gan.d_lr"] = 0.003
    at.run()
    before = {k: at.session_state[k] for k in ("gan.heatmap", "gan.arrows", "gan.d_lr", "gan.rounds", "gan.seed")}
    assert before["gan.heatmap"] is True and before["gan.arrows"] is True
    at.button(key="gan.clear").click().run()
    assert not at.exception
    assert at.session_state["gan.points"] == []
    # The view's check boxes are still drawn and still ticked, with no game to show.
    assert at.checkbox(key="gan.heatmap").value is True and at.checkbox(key="gan.arrows").value is True
    assert {k: at.session_state[k] for k in before} == before
    at.session_state["gan.points"] = [[1.0, 1.0]]  # a point placed again
    at.run()
    assert at.checkbox(key="gan.heatmap").value is True and at.checkbox(key="gan.arrows").value is True
    assert {k: at.session_state[k] for k in before} == before
    assert any(c.value == "1 point placed." for c in at.caption)
    assert len(at.get("plotly_chart")) == 3  # the placing grid, the plane and the curves
    assert not at.exception
