"""The transfer learning page in AppTest: it opens with Play to press, a short run (5 pictures a class)
trains in the pool with the live board's feed, and then the page shows the curves, the lesson's table and
the filters before and after fine-tuning; ResNet-18 without its weights says which file is missing."""

from playground.jobs.live import FEEDS
from tests.pages.test_pages import open_page

PAGE = "pages/transfer.py"


def errors(at) -> list[str]:
    return [e.value for e in at.exception]


def test_the_page_opens_and_a_short_run_shows_curves_lesson_and_filters():
    at = open_page(PAGE)
    assert at.title[0].value == "Transfer learning"
    assert any("Press **Play**" in i.value for i in at.info)
    at.segmented_control(key="tl.sizes").set_value("5").run()
    at.button(key="tl.play").click().run()
    job = at.session_state["tl.job"]
    token = at.session_state["tl.job.feed"][1]
    view = FEEDS.read(token)
    assert view is not None and view["status"] in ("queued", "running", "done")
    assert job.wait(120) == "done", job.error
    view = FEEDS.read(token)
    assert len(view["charts"]["size0"]["series"]) == 3 and view["charts"]["pretrain"]["series"]
    at.run()
    assert not errors(at)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Pretraining on 0–4"].endswith("%") and shown["Fine-tune − scratch (5 a class)"].endswith("points")
    assert len(at.get("plotly_chart")) == 2  # the curves and the filters
    assert len(at.table) == 1 and any("With 5 images a class: from scratch" in m.value for m in at.markdown)


def test_resnet_without_its_weights_names_the_file(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    at = open_page(PAGE)
    at.radio(key="tl.features").set_value("resnet18").run()
    assert not errors(at)
    assert any("resnet18-f37072fd.pth" in i.value and str(tmp_path) in i.value for i in at.info)
