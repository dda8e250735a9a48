"""The language model page in AppTest: it opens with the untrained model writing noise, Play trains it live
(AppTest does not tick the live board, so the test reruns the page) until its loss is below the baseline and
it writes words, and bad text (an upload that is not UTF-8, empty or short pasted text) gets a message."""

from playground.jobs.live import FEEDS
from playground.text import MIN_TEXT_CHARS
from tests.pages.test_pages import open_page

PAGE = "pages/language_model.py"


def errors(at) -> list[str]:
    return [e.value for e in at.exception]


def test_the_page_opens_with_the_untrained_model_and_its_next_character_chart():
    at = open_page(PAGE)
    assert at.title[0].value == "A language model that writes"
    assert any("Press **Play**" in i.value for i in at.info)
    assert any("untrained model" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 1  # the next-character bars
    at.text_input(key="lm.prefix").set_value("The € ").run()
    assert not errors(at) and any("does not know 1 of these characters ('€')" in w.value for w in at.warning)
    at.text_input(key="lm.prefix").set_value("").run()
    assert any("at least one character" in w.value for w in at.warning)


def test_play_trains_live_below_the_baseline_and_the_model_then_writes_words():
    at = open_page(PAGE)
    at.select_slider(key="lm.steps").set_value(200).run()  # the default 600 take about 20 s; 200 are enough here
    at.button(key="lm.play").click().run()
    job = at.session_state["lm.job"]
    token = at.session_state["lm.job.feed"][1]
    view = FEEDS.read(token)  # what the live board draws while it runs
    assert view is not None and view["status"] in ("queued", "running", "done")
    assert job.wait(120) == "done", job.error
    view = FEEDS.read(token)
    assert [s["name"] for s in view["charts"]["loss"]["series"]][-1].startswith("unigram baseline")
    assert view["texts"]["sample"].startswith("Step 200:\nThe ")
    at.run()
    assert not errors(at)
    shown = {m.label: m.value for m in at.metric}
    held, baseline = (float(shown[k].split()[0]) for k in ("Held-out loss", "Unigram baseline"))
    assert held < baseline - 1.0, shown  # about 1.3 nats against 3.09
    assert len(at.get("plotly_chart")) == 2  # the loss and the next-character bars
    written = [t.value for t in at.text]
    words = {"the", "was", "is", "and", "in"}
    assert any(len(words & set(t.lower().split())) >= 3 for t in written)  # words, not noise
    assert any("the model after 200 steps" in c.value for c in at.caption)
    at.slider(key="lm.temperature").set_value(0.1).run()
    assert not errors(at) and any("repeats itself" in c.value for c in at.caption)


def test_bad_text_gets_a_message_not_a_traceback():
    at = open_page(PAGE)
    at.radio(key="lm.source").set_value("upload").run()
    at.file_uploader(key="lm.file").set_value(("story.txt", b"a" * 250 + b"\xe9t\xe9" + b"b" * 50,
                                                "text/plain")).run()
    assert not errors(at)
    assert any("not valid UTF-8" in e.value and "offset 250" in e.value for e in at.error)
    at.radio(key="lm.source").set_value("paste").run()
    assert any("Paste some text" in i.value for i in at.info)
    at.text_area(key="lm.paste").set_value("   \n  ").run()
    assert any("empty" in e.value for e in at.error)
    at.text_area(key="lm.paste").set_value("Too short.").run()
    assert any(f"only 10 characters; at least {MIN_TEXT_CHARS}" in e.value for e in at.error)
    at.text_area(key="lm.paste").set_value("The cat sat on the mat. " * 20).run()
    assert not errors(at) and not at.error
    assert any("480 characters" in c.value for c in at.caption)
