"""The detector page in AppTest: it opens untrained with the loss terms explained, a short run (one epoch on
250 scenes) trains in the pool with every loss term and the boxes on the live board, and the finished run
shows its numbers and figures. Every control and link value is covered by test_pages_every_control."""

import math

from playground.jobs.live import FEEDS
from playground.vision import detection
from tests.pages.test_pages import open_page, open_with_link

PAGE = "pages/detector.py"


def errors(at) -> list[str]:
    return [e.value for e in at.exception]


def test_the_page_opens_untrained_and_explains_every_loss_term():
    at = open_page(PAGE)
    assert not errors(at)
    assert at.title[0].value == "A detector that learns"
    assert any("Press **Play**" in i.value for i in at.info)
    text = " ".join(m.value for m in at.markdown)
    for term, formula in detection.TERM_FORMULAS.items():
        assert formula in text, term
    assert "λ_coord = 5" in text and "λ_noobj = 0.5" in text


def test_a_short_run_trains_live_and_then_shows_its_boxes_and_curves():
    at = open_page(PAGE)
    at.select_slider(key="det.epochs").set_value(1).run()
    at.select_slider(key="det.scenes").set_value(250).run()
    at.button(key="det.play").click().run()
    assert not errors(at)
    job = at.session_state["det.job"]
    token = at.session_state["det.job.feed"][1]
    assert job.wait(120) == "done", job.error
    view = FEEDS.read(token)
    assert [s["name"] for s in view["charts"]["terms"]["series"]][-1] == "total"
    assert view["metrics"]["Epoch"] == "1" and set(view["scenes"]) == {f"scene{k}" for k in range(4)}
    history = job.history
    assert all(math.isfinite(history[t].iloc[-1]) for t in detection.TERMS)
    at.run()
    assert not errors(at)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Epoch"] == "1" and 0 <= float(shown["Test mAP@0.5"]) <= 1
    assert len(at.get("plotly_chart")) == 2  # the boxes on test scenes, the loss terms with mAP
    at.select_slider(key="det.epochs").set_value(2).run()
    assert any("press **Reset**" in i.value for i in at.info)


def test_a_link_past_the_bounds_gets_a_message_and_the_default():
    at = open_with_link(PAGE, {"B": "9", "S": "5"})
    assert not errors(at)
    assert at.number_input(key="det.B").value == 2 and at.radio(key="det.S").value == 4
    warned = " ".join(w.value for w in at.warning)
    assert "'B'" in warned and "'S'" in warned
