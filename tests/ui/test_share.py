"""Links that reproduce a page, teacher exercises, and presentation mode."""

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from playground import presets
from playground.classroom.exercises import Exercise, ExerciseError
from playground.figures import style
from playground.links import LinkError, decode_json, encode_json

APP = str(Path(__file__).resolve().parents[2] / "app.py")


# ---- links ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(presets.PRESETS))
def test_every_preset_travels_in_a_link_well_under_url_limits(name):
    sizes = 0
    for input_shape in ([1, 28, 28], [3, 32, 32], [2], [64], [30, 1], [50, 2]):
        try:
            spec = presets.preset(name, input_shape=input_shape, outputs=10)
        except ValueError:
            continue  # a conv preset on flat data
        text = encode_json(spec["layers"])
        assert len(text) < 1000  # browsers and proxies take about 8,000 characters
        assert decode_json(text) == spec["layers"]
        sizes += 1
    assert sizes >= 2


def test_a_spec_too_large_for_a_link_is_refused_with_a_plain_message():
    rng = __import__("random").Random(0)
    layers = [{"type": "linear", "out": rng.randrange(1, 10**9), "name": f"layer{rng.random()}"} for _ in range(600)]
    with pytest.raises(LinkError, match="too large for a link.*as a file"):
        encode_json(layers)


def test_a_damaged_link_value_is_refused():
    with pytest.raises(LinkError, match="damaged"):
        decode_json(encode_json({"a": 1})[:-5] + "!!!")


# ---- exercises -----------------------------------------------------------------------------

def test_an_exercise_round_trips_through_its_link_and_its_file():
    ex = Exercise(page="build_train", params={"lr": "0.1", "epochs": "5"}, hide=("seed",), lock=("lr",),
                  text="Make it reach 90 %.")
    query = dict(parse_qsl(urlsplit(ex.link("https://school.example/play")).query))
    assert urlsplit(ex.link("https://school.example/play/")).path == "/play/build_train"
    assert Exercise.from_query(query) == ex
    assert Exercise.from_json(ex.to_json()) == ex
    assert ex.locked("seed") and ex.locked("lr") and not ex.locked("epochs")
    assert ex.hidden("seed") and not ex.hidden("lr")
    assert Exercise.from_query({"lr": "0.1"}) is None


@given(text=st.text(max_size=300), names=st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
                                                    max_size=6))
@settings(deadline=None, derandomize=True, max_examples=60)
def test_any_exercise_survives_its_link(text, names):
    ex = Exercise(page="dropout", params={n: n.upper() for n in names}, hide=tuple(names[:2]),
                  lock=tuple(names[2:]), text=text)
    assert Exercise.from_query(ex.query()) == ex
    assert len("".join(ex.query().values())) < 2000


def _signed(content: dict) -> str:
    """An exercise file with this content, signed by this server as `to_json` signs."""
    from playground.classroom.exercises import _signature, signing_key

    return json.dumps({**content, "signature": _signature(content, signing_key())})


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG not json", "not text"),
    ("{not json", "not valid JSON"),
    (json.dumps({"page": "x"}), "not an exercise of this app"),
    (_signed({"format": "neural-playground-exercise", "page": "../etc"}), "not a page"),
    (_signed({"format": "neural-playground-exercise", "page": "x", "hide": "seed"}), "'hide' list"),
    (_signed({"format": "neural-playground-exercise", "page": "x", "params": {"exercise": "1"}}), "cannot be part"),
    (_signed({"format": "neural-playground-exercise", "page": "x", "text": "a" * 1001}), "under 1,000"),
    (json.dumps({"format": "neural-playground-exercise", "page": "x"}), "file was changed"),
    ("x" * 70_000, "too large"),
])
def test_a_bad_exercise_file_says_what_is_wrong(content, message):
    with pytest.raises(ExerciseError, match=message):
        Exercise.from_json(content)


def test_a_damaged_exercise_link_says_so():
    with pytest.raises(ExerciseError, match="damaged"):
        Exercise.from_query({"exercise": "nonsense!." + "A" * 43})
    with pytest.raises(ExerciseError, match="link was changed"):  # no signature at all
        Exercise.from_query({"exercise": "nonsense"})


# ---- the app -------------------------------------------------------------------------------

def param(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def open_with(path: str, params: dict[str, str]) -> AppTest:
    """A fresh session opening `path` with `params` in its URL, as a shared link does."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(path)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_exercise_link_sets_the_page_locks_and_hides_controls_and_shows_the_instruction():
    ex = Exercise(page="initialization", params={"depth": "4", "activation": "sigmoid"}, hide=("seed",),
                  lock=("depth",), text="Make the gradient vanish.")
    at = open_with("pages/initialization.py", ex.query())
    assert any("Make the gradient vanish." in i.value for i in at.info)
    assert at.slider(key="init.depth").value == 4
    assert at.radio(key="init.activation").value == "sigmoid"
    css = " ".join(h.body for h in at.get("html"))
    assert ".st-key-init-seed { display: none" in css and ".st-key-init-depth { pointer-events: none" in css

    at.slider(key="init.depth").set_value(12).run()  # a locked control keeps the teacher's value
    assert at.slider(key="init.depth").value == 4
    at.radio(key="init.activation").set_value("relu").run()  # the others are the student's
    assert at.radio(key="init.activation").value == "relu"
    assert param(at, "exercise") == ex.query()["exercise"]  # a reload keeps the exercise

    at.button(key="share.leave").click().run()
    at.slider(key="init.depth").set_value(12).run()
    assert at.slider(key="init.depth").value == 12
    assert not at.info


def test_the_share_panel_gives_the_pages_current_link_and_makes_exercises():
    at = open_with("pages/initialization.py", {})
    at.slider(key="init.depth").set_value(6).run()
    link = at.sidebar.code[0].value
    assert urlsplit(link).path.endswith("/initialization") and "depth=6" in link

    at.multiselect(key="share.initialization.lock").set_value(["depth"]).run()
    at.text_area(key="share.initialization.text").input("Why does it vanish?").run()
    made = at.sidebar.code[1].value
    ex = Exercise.from_query(dict(parse_qsl(urlsplit(made).query)))
    assert ex == Exercise(page="initialization", params={"depth": "6"}, lock=("depth",),
                          text="Why does it vanish?")


def test_presentation_mode_from_a_link_enlarges_text_and_figures_and_stays_in_the_url():
    at = open_with("pages/initialization.py", {"present": "1"})
    assert at.toggle(key="present").value
    assert any("font-size: 1.3rem" in h.body for h in at.get("html"))
    assert param(at, "present") == "1"
    at.slider(key="init.depth").set_value(6).run()
    assert param(at, "present") == "1" and param(at, "depth") == "6"
    at.toggle(key="present").set_value(False).run()
    assert "present" not in at.query_params


def _chart_script():
    import pandas as pd
    import streamlit as st

    from playground.figures.training import curves_figure
    from playground.ui.charts import chart

    history = pd.DataFrame({"epoch": [0, 1], "train_loss": [1.0, 0.5], "val_loss": [1.1, 0.6]})
    left, _ = st.columns(2)
    chart(curves_figure(history), key="curves", container=left, config={"displayModeBar": False})


def _drawn_layout(present: bool) -> dict:
    at = AppTest.from_function(_chart_script)
    at.session_state["present"] = present
    at.run()
    assert not at.exception
    return json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]


def test_chart_draws_figures_in_the_sessions_style():
    """Figures no longer ask who is watching: `chart` restyles them for a projected session."""
    plain, large = _drawn_layout(False), _drawn_layout(True)
    assert plain["font"]["size"] == style.FONT_SIZE == 14
    assert large["font"]["size"] == style.LARGE_FONT_SIZE == 20
    assert large["height"] == round(plain["height"] * style.PRESENTATION.height_scale) > plain["height"]


def test_presentation_css_keeps_metric_values_large_and_labels_whole():
    """The paragraph rule once shrank metric values to 1.3rem (20.8 px, from 36) and labels kept
    Streamlit's cut-off ellipsis."""
    from playground.ui.share import PRESENTATION_CSS

    rules = {sel.strip(): body for block in PRESENTATION_CSS.split("}") if "{" in block
             for sels, body in [block.split("{", 1)] for sel in sels.replace("<style>", "").split(",")}
    value_p = rules['.stApp [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p']
    assert float(value_p.split("font-size:")[1].split("rem")[0]) * 16 > 36
    assert "white-space: normal" in rules['.stApp [data-testid="stMetricLabel"] *']


def test_a_page_that_stops_early_still_offers_presentation_mode():
    at = open_with("pages/latent_space.py", {"present": "1"})
    assert any("No autoencoder" in i.value for i in at.info)  # the page stops, waiting for a model
    assert at.toggle(key="present").value
    assert any("font-size: 1.3rem" in h.body for h in at.get("html"))


def test_compare_runs_keeps_its_sweep_in_the_link():
    at = open_with("pages/compare_runs.py", {})
    at.selectbox(key="cmp.setting").set_value("batch_size").run()
    at.multiselect(key="cmp.values").set_value([16, 64]).run()
    link = {k: param(at, k) for k in at.query_params}
    again = open_with("pages/compare_runs.py", link)
    assert again.selectbox(key="cmp.setting").value == "batch_size"
    assert again.multiselect(key="cmp.values").value == [16, 64]


# ---- exercises that students cannot edit ----------------------------------------------------

TEACHER = {"lr": "0.01", "depth": "3", "seed": "7", "data": "spiral", "optimizer": "adam"}
STUDENT = {"lr": "1", "depth": "6", "seed": "1", "data": "xor", "optimizer": "sgd"}
PG_VALUES = {"lr": 0.01, "depth": 3, "seed": 7, "data": "spiral", "optimizer": "adam"}


def _warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


def open_link(path: str, params: dict[str, str]) -> AppTest:
    """A fresh session whose first run is `path` with `params`, as a browser opening a link."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("edit", ["replace", "append"])
def test_a_playground_exercise_keeps_its_locked_values_whatever_the_address_says(edit):
    """The issue's link: replacing `lr=0.01&depth=3&seed=7&data=spiral&optimizer=adam` with other
    values, or appending `&lr=1.0`, once opened the page with the student's values shown as locked."""
    ex = Exercise(page="playground2d", params=TEACHER, lock=tuple(TEACHER), text="Reach 90 %.")
    query = {**ex.query(), **(STUDENT if edit == "replace" else {"lr": "1.0"})}
    at = open_link("pages/playground2d.py", query)
    assert {name: at.session_state[f"pg.{name}"] for name in PG_VALUES} == PG_VALUES
    assert at.select_slider(key="pg.lr").value == 0.01 and at.selectbox(key="pg.data").value == "spiral"
    changed = "lr, depth, seed, data, optimizer are" if edit == "replace" else "lr is"
    assert f"This exercise link was changed: {changed} set by the exercise" in _warnings(at)
    assert any("Reach 90 %." in i.value for i in at.info)
    at.select_slider(key="pg.lr").set_value(3.0).run()
    assert at.session_state["pg.lr"] == 0.01
    assert "This exercise link was changed" in _warnings(at)  # still said after a rerun
    assert param(at, "lr") == "0.01" and param(at, "data") == "spiral"  # the link now says the teacher's


def test_an_exercise_link_with_an_edited_exercise_opens_unlocked_and_says_so():
    ex = Exercise(page="playground2d", params=TEACHER, lock=tuple(TEACHER), text="Reach 90 %.")
    payload, signature = ex.query()["exercise"].rsplit(".", 1)
    content = decode_json(payload)
    content["params"] = STUDENT
    at = open_link("pages/playground2d.py", {**STUDENT, "exercise": f"{encode_json(content)}.{signature}"})
    assert "This exercise link was changed after it was made" in _warnings(at)
    assert not at.info  # no instruction: the exercise is not applied
    assert at.session_state["pg.lr"] == 1.0 and at.session_state["pg.data"] == "xor"  # the page as usual
    at.select_slider(key="pg.lr").set_value(0.3).run()
    assert at.session_state["pg.lr"] == 0.3
    assert "exercise" not in at.query_params


def test_json_nested_10000_deep_in_an_exercise_link_gives_a_message_not_a_traceback():
    import base64
    import zlib

    deep = base64.urlsafe_b64encode(zlib.compress(b"[" * 10_000 + b"]" * 10_000)).decode().rstrip("=")
    for value in (deep, deep + "." + "A" * 43):
        at = open_link("pages/playground2d.py", {"exercise": value})
        assert "changed" in _warnings(at) or "nests 10,000 levels deep" in _warnings(at)
        assert at.title[0].value == "2-D Playground"


def test_an_instruction_shows_its_text_but_loads_no_image():
    ex = Exercise(page="initialization", params={}, lock=("depth",),
                  text="**Look** ![x](http://tracker.example/p.png) <img src=http://tracker.example/q.png>")
    at = open_link("pages/initialization.py", ex.query())
    body = next(i.value for i in at.info if "Look" in i.value)
    assert body == ("**Exercise.** **Look** !\\[x](http://tracker.example/p.png) "
                    "\\<img src=http://tracker.example/q.png>")
