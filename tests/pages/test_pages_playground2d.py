"""The 2-D Playground page in AppTest: play, pause, single step, reset, a weight edited by hand, and the URL."""

import time

from playground.jobs.live import FEEDS
from tests.pages.test_pages import open_page


def metrics(at) -> dict[str, str]:
    """The numbers the page shows: its metrics, or while a run trains, what its live board draws (the
    feed the browser reads)."""
    held = at.session_state["pg.feed"] if "pg.feed" in at.session_state else None
    if held is not None:
        view = FEEDS.read(held[1])
        if view is not None and "metrics" in view:
            assert not at.metric  # no stale numbers beside the live ones
            return view["metrics"]
    return {m.label: m.value for m in at.metric}


def epoch(at) -> int:
    return int(metrics(at)["Epoch"].replace(",", ""))


def run_until(at, condition, timeout: float = 30.0) -> None:
    """Rerun the page until `condition(at)` holds (AppTest does not tick timed fragments)."""
    deadline = time.time() + timeout
    while not condition(at):
        assert time.time() < deadline, metrics(at)
        time.sleep(0.3)
        at.run()
        assert not at.exception, [e.value for e in at.exception]


def test_it_opens_on_circle_with_an_untrained_network():
    at = open_page("pages/playground2d.py")
    assert at.title[0].value == "2-D Playground"
    assert epoch(at) == 0
    assert 0.5 < float(metrics(at)["Test loss"]) < 1.0  # an untrained guess: about ln 2
    assert at.button(key="pg.play").label == "Play"


def test_play_trains_live_then_pause_and_step_move_one_epoch():
    at = open_page("pages/playground2d.py")
    first_loss = float(metrics(at)["Test loss"])
    at.button(key="pg.play").click().run()
    assert at.button(key="pg.play").label == "Pause"
    assert at.button(key="pg.step").disabled
    run_until(at, lambda at: epoch(at) >= 100 and float(metrics(at)["Test loss"]) < first_loss / 2)
    at.button(key="pg.play").click().run()  # pause
    run_until(at, lambda at: at.button(key="pg.play").label == "Play")
    time.sleep(0.3)
    at.run()
    paused_at = epoch(at)
    at.button(key="pg.step").click().run()
    run_until(at, lambda at: epoch(at) == paused_at + 1)
    at.button(key="pg.reset").click().run()
    assert epoch(at) == 0


def test_a_weight_set_by_hand_changes_the_output_and_training_goes_on_from_it():
    at = open_page("pages/playground2d.py")
    before = metrics(at)["Test loss"]
    at.selectbox(key="pg.pick_index").set_value(3 * 4 + 5 * 2 + 2).run()  # the last entry: the output's bias
    value_input = next(n for n in at.number_input if n.key.startswith("pg.new_value"))
    value_input.set_value(5.0).run()
    at.button(key="pg.apply_weight").click().run()
    assert not at.exception
    assert "Now 5.0000" in " ".join(c.value for c in at.caption)
    assert metrics(at)["Test loss"] != before  # everything is now called orange
    edited = float(metrics(at)["Test loss"])
    assert edited > 2.0
    at.button(key="pg.step").click().run()  # one epoch from the edited weights
    run_until(at, lambda at: epoch(at) == 1)
    # Lower than just after the edit, and still far above an untrained net's: it went on from the edit.
    assert 1.0 < float(metrics(at)["Test loss"]) < edited


def test_settings_go_into_the_url_and_a_new_dataset_starts_again():
    at = open_page("pages/playground2d.py")
    at.button(key="pg.step").click().run()
    run_until(at, lambda at: epoch(at) == 1)
    at.selectbox(key="pg.data").set_value("spiral").run()
    at.number_input(key="pg.depth").set_value(3).run()
    assert not at.exception
    assert epoch(at) == 0
    assert at.query_params["data"] == "spiral" and at.query_params["depth"] == "3"
    # A regression set offers only squared error.
    at.selectbox(key="pg.data").set_value("reg_gauss").run()
    assert at.selectbox(key="pg.loss").options == ["squared error (MSE)"]
    assert not at.exception


def test_no_inputs_asks_for_one():
    at = open_page("pages/playground2d.py")
    at.session_state["pg.features"] = []
    at.run()
    assert any("at least one input" in i.value for i in at.info)


def _curve_points(at) -> int:
    """How many epochs the (still) loss-curve figure draws."""
    import json

    chart = next(c for c in at.get("plotly_chart") if "loss" in c.proto.spec and "epoch" in c.proto.spec)
    data = json.loads(chart.proto.spec)["data"]
    return max(len(trace.get("x") or []) for trace in data)


def test_the_loss_curve_stays_while_paused():
    at = open_page("pages/playground2d.py")
    at.button(key="pg.play").click().run()
    run_until(at, lambda at: epoch(at) >= 200)
    at.button(key="pg.play").click().run()  # pause
    run_until(at, lambda at: at.button(key="pg.play").label == "Play")
    assert at.session_state["pg.job"].status == "paused"  # the job lives on: its curve must still show
    assert _curve_points(at) >= 20
    assert "No epochs yet" not in at.get("plotly_chart")[-1].proto.spec
    at.button(key="pg.reset").click().run()


def test_regression_sets_have_their_own_caption():
    at = open_page("pages/playground2d.py")
    assert any("Pale orange areas" in c.value for c in at.caption)
    at.selectbox(key="pg.data").set_value("reg_gauss").run()
    captions = " ".join(c.value for c in at.caption)
    assert "predicted value" in captions and "Pale orange areas" not in captions
    assert "says orange" not in captions


def test_the_speed_is_a_field_that_links_keep_and_a_change_carries_on_the_run():
    at = open_page("pages/playground2d.py")
    assert at.select_slider(key="pg.speed").value == 0  # full speed by default
    at.select_slider(key="pg.speed").set_value(2).run()
    assert at.query_params["speed"] == "2"
    at.button(key="pg.play").click().run()
    job = at.session_state["pg.job"]
    assert job.options["epochs_per_s"] == 2
    at.select_slider(key="pg.speed").set_value(0).run()  # full speed again: the run carries on at once
    run_until(at, lambda at: epoch(at) >= 50, timeout=30)
    assert at.session_state["pg.job"] is not job
    at.button(key="pg.reset").click().run()
