"""The segmentation page in AppTest: it opens with the sliding-window cost and a prompt to play; a short run
(2 epochs on 100 scenes) streams to its live board and ends with the masks, IoU and curve figures."""

from playground.jobs.live import FEEDS
from tests.pages.test_pages import open_page

PAGE = "pages/segmentation.py"


def errors(at) -> list[str]:
    return [e.value for e in at.exception]


def test_the_page_opens_with_the_cost_of_sliding_windows():
    at = open_page(PAGE)
    assert not errors(at)
    assert at.title[0].value == "A network that paints pixels"
    assert any("Press **Play**" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 1  # the sliding-window cost
    assert any("2,304 passes" in c.value for c in at.caption)  # one per pixel of a 48×48 picture


def test_a_short_run_streams_and_ends_with_its_figures():
    at = open_page(PAGE)
    at.select_slider(key="seg.epochs").set_value(2).run()
    at.select_slider(key="seg.scenes").set_value(100).run()
    at.button(key="seg.play").click().run()
    assert not errors(at)
    job = at.session_state["seg.job"]
    token = at.session_state["seg.job.feed"][1]
    assert job.wait(120) == "done", job.error
    view = FEEDS.read(token)
    assert set(view["metrics"]) == {"Epoch", "Pixel accuracy", "Mean IoU"} and view["metrics"]["Epoch"] == "2"
    assert len(view["scenes"]["masks"]["images"]) == 8  # four true masks, four predicted
    at.run()
    assert not errors(at)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Epoch"] == "2" and shown["Pixel accuracy"].endswith("%")
    assert len(at.get("plotly_chart")) == 4  # masks, IoU per class, curves, sliding-window cost
    assert any("mean IoU 0.18" in c.value for c in at.caption)  # the all-background baseline
