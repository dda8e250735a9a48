"""Sharing in real Chromium: a copied link reproduces the page, an exercise hides and locks controls,
and presentation mode enlarges the text."""

from urllib.parse import urlencode

from playwright.sync_api import expect

from playground.exercises import Exercise
from tests.e2e.conftest import assert_no_exception


def open_share_panel(page):
    page.get_by_text("Share this page").click()
    return page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first


def test_the_share_link_reproduces_the_page_for_someone_else(browser, page, app_url):
    page.goto(app_url + "/initialization?depth=7&activation=tanh")
    page.get_by_text("Gradient norm of each layer").first.wait_for()
    link = open_share_panel(page).inner_text().strip()
    assert link.startswith(app_url + "/initialization?") and "depth=7" in link and "activation=tanh" in link

    other = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    other.goto(link)
    other.get_by_text("… last hidden layer (7)").wait_for(timeout=60_000)
    assert other.get_by_role("radio", name="tanh").is_checked()
    assert_no_exception(other)
    other.context.close()


def test_an_exercise_link_hides_and_locks_its_controls(page, app_url):
    ex = Exercise(page="initialization", params={"depth": "5"}, hide=("seed",), lock=("activation",),
                  text="Which activation keeps the signal alive?")
    page.goto(f"{app_url}/initialization?{urlencode(ex.query())}")
    page.get_by_text("Which activation keeps the signal alive?").wait_for()
    page.get_by_text("… last hidden layer (5)").wait_for()
    expect(page.locator(".st-key-init-seed")).to_be_hidden()
    expect(page.locator(".st-key-init-depth")).to_be_visible()
    locked = page.locator(".st-key-init-activation")
    expect(locked).to_be_visible()
    expect(locked).to_have_css("pointer-events", "none")
    assert_no_exception(page)


def test_presentation_mode_enlarges_the_text(page, app_url):
    page.goto(app_url + "/initialization")
    caption = page.locator('[data-testid="stCaptionContainer"]').first
    caption.wait_for()
    normal = float(caption.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    page.goto(app_url + "/initialization?present=1")
    page.get_by_text("Gradient norm of each layer").first.wait_for()
    page.wait_for_timeout(500)
    large = float(page.locator('[data-testid="stCaptionContainer"]').first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"))
    assert large >= normal * 1.2
    assert_no_exception(page)
