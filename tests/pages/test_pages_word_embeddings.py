"""The Word embeddings page in AppTest: it opens on random vectors (analogies fail), an unknown word gets a
message with suggestions, and Play trains in the pool (pausing and resuming) until king − man + woman is
queen; the t-SNE map comes with its warning."""

from __future__ import annotations

import json

from tests.pages.test_pages import open_page
from tests.waiting import rerun_until

PAGE = "pages/word_embeddings.py"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def run_until(at, condition, timeout: float = 90):
    return rerun_until(at, condition, timeout=timeout, shows=metrics)


def test_the_page_opens_on_random_vectors_and_explains_an_unknown_word():
    at = open_page(PAGE)
    assert at.title[0].value == "Word embeddings"
    shown = metrics(at)
    assert shown["Epoch"] == "0" and all(int(shown[f"Analogies: {r}"].rstrip("%")) <= 20
                                         for r in ("gender", "plural", "capital"))
    assert len(at.get("plotly_chart")) == 3  # the map, the neighbours and the arithmetic
    at.text_input(key="we.word").input("Kingg").run()
    assert not at.exception
    assert any("“kingg” is not in the corpus's vocabulary" in w.value and "king" in w.value for w in at.warning)
    at.text_input(key="we.plus").input("").run()
    assert any("Type a word first" in w.value for w in at.warning) and not at.exception


def test_play_trains_live_pauses_and_ends_with_king_minus_man_plus_woman_queen():
    at = open_page(PAGE)
    at.select_slider(key="we.epochs").set_value(30).run()  # long enough to pause on a busy machine
    at.button(key="we.play").click().run()
    job = at.session_state["we.job"]
    run_until(at, lambda a: job.rows >= 3)
    assert at.button(key="we.play").label == "Pause"
    at.button(key="we.play").click().run()
    assert job.status == "paused"
    run_until(at, lambda a: any("Paused" in c.value for c in a.caption), timeout=20)
    at.button(key="we.play").click().run()
    run_until(at, lambda a: job.status == "done")
    at.run()
    shown = metrics(at)
    assert shown["Epoch"] == "30" and all(int(shown[f"Analogies: {r}"].rstrip("%")) >= 80
                                         for r in ("gender", "plural", "capital")), shown
    assert len(at.get("plotly_chart")) == 4  # the map, the curves, the neighbours and the arithmetic
    specs = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    arithmetic = next(s for s in specs if s["layout"].get("title", {}).get("text", "").startswith("king − man"))
    assert arithmetic["data"][0]["y"][0] == "queen"
    at.radio(key="we.projection").set_value("tsne").run()
    assert not at.exception
    assert any("How t-SNE misleads" in i.value for i in at.info)
    titles = [json.loads(e.proto.spec)["layout"].get("title", {}).get("text", "") for e in at.get("plotly_chart")]
    assert any(t.startswith("t-SNE") for t in titles)
