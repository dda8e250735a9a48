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
