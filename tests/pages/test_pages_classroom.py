"""The For teachers page: an exercise file opens its page with the exercise applied."""

from playground.classroom.exercises import Exercise
from tests.pages.test_pages import open_page


def test_an_exercise_file_opens_its_page_locked_and_a_bad_file_says_why():
    at = open_page("pages/teachers.py")
    assert at.title[0].value == "For teachers"
    at.file_uploader(key="teach.file").set_value(("notes.json", b"{not json", "application/json")).run()
    assert "not valid JSON" in at.error[0].value

    ex = Exercise(page="initialization", params={"depth": "3"}, lock=("depth",), text="Count the layers.")
    at.file_uploader(key="teach.file").set_value(("ex.json", ex.to_json().encode(), "application/json")).run()
    assert not at.error
    assert any("Initialization" in m.value and "Count the layers." in m.value for m in at.markdown)
    at.button(key="teach.open").click().run()
    assert not at.exception
    # (AppTest runs the next rerun on the page it last switched to itself, so only this run is checked
    # here; that locked controls hold their value is tested in test_share.)
    assert at.title[0].value == "Initialization and vanishing gradients"
    assert any("Count the layers." in i.value for i in at.info)
    assert at.slider(key="init.depth").value == 3


def test_an_exercise_for_a_page_the_app_lacks_is_refused():
    at = open_page("pages/teachers.py")
    ex = Exercise(page="no_such_page", text="?")
    at.file_uploader(key="teach.file").set_value(("ex.json", ex.to_json().encode(), "application/json")).run()
    assert "does not have" in at.error[0].value


def test_a_changed_or_deeply_nested_exercise_file_gets_a_message_and_the_uploader_stays():
    at = open_page("pages/teachers.py")
    ex = Exercise(page="initialization", params={"depth": "3"}, lock=("depth",), text="Count the layers.")
    edited = ex.to_json().replace('"lock": [\n    "depth"\n  ]', '"lock": []')
    assert edited != ex.to_json()
    at.file_uploader(key="teach.file").set_value(("ex.json", edited.encode(), "application/json")).run()
    assert "This exercise file was changed after it was downloaded" in at.error[0].value
    assert not at.get("button") or all(b.key != "teach.open" for b in at.button)

    deep = b"[" * 10_000 + b"]" * 10_000
    at.file_uploader(key="teach.file").set_value(("deep.json", deep, "application/json")).run()
    assert not at.exception
    assert "nests 10,000 levels deep" in at.error[0].value
    assert at.file_uploader(key="teach.file")  # the uploader is still there


# ---- Build & Train: the layer table under an exercise ----------------------------------------

LAYERS = [{"type": "linear", "out_features": 5}, {"type": "relu"}, {"type": "linear", "out_features": 2}]
STUDENT_ROWS = [{"type": "relu", "settings": ""}, {"type": "linear", "settings": "out_features=2"},
                {"type": "linear", "settings": "out_features=5"}]


def _open_build_train(ex: Exercise):
    from streamlit.testing.v1 import AppTest

    from tests.ui.test_share import APP

    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in ex.query().items():
        at.query_params[key] = value
    at.switch_page("pages/build_train.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _trained_layers(at) -> list[dict]:
    """Press Train and return the layers of the run it started."""
    at.button(key="bt.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    record = at.session_state["runs"][at.session_state["bt.current"]]
    record.job.stop()
    return [{k: v for k, v in layer.items() if k in ("type", "out_features")} for layer in record.spec["layers"]]


def _exercise(group: str) -> Exercise:
    from playground.links import encode_json

    params = {"dataset": "xor", "preset": "mlp", "epochs": "1", "layers": encode_json(LAYERS)}
    return Exercise(page="build_train", params=params, **{group: ("layers",)}, text="Train this network.")


def test_locked_layers_show_read_only_and_are_what_trains_whatever_the_session_holds():
    at = _open_build_train(_exercise("lock"))
    table = at.dataframe
    assert len(table) == 1 and table[0].proto.disabled
    assert list(table[0].value["type"]) == ["linear", "relu", "linear"]
    assert any("Locked by the exercise" in c.value for c in at.caption)
    assert not [b for b in at.button if b.key in ("bt.rows.up", "bt.rows.down")]  # no reordering
    at.session_state["bt.rows"] = STUDENT_ROWS  # a reordered network in the session
    at.run()
    assert list(at.dataframe[0].value["type"]) == ["linear", "relu", "linear"]
    assert _trained_layers(at) == LAYERS


def test_hidden_layers_are_not_drawn_and_the_exercises_layers_train():
    at = _open_build_train(_exercise("hide"))
    assert not at.dataframe and not at.get("plotly_chart")
    assert any("they are not shown" in c.value for c in at.caption)
    at.session_state["bt.rows"] = STUDENT_ROWS
    at.run()
    assert _trained_layers(at) == LAYERS


def test_without_an_exercise_the_layer_table_stays_editable():
    at = open_page("pages/build_train.py")
    table = at.dataframe
    assert len(table) == 1 and not table[0].proto.disabled
    assert [b for b in at.button if b.key == "bt.rows.up"]
