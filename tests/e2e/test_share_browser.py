"""Sharing in real Chromium: a copied link reproduces the page, an exercise hides and locks controls,
and presentation mode enlarges the text."""

from urllib.parse import urlencode

from playwright.sync_api import expect

from playground.classroom.exercises import Exercise
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


# What presentation mode does to each kind of text, measured as the browser computes it (px).
_SIZES = """() => {
  const shown = sel => [...document.querySelectorAll('.stMain ' + sel)].filter(e => e.offsetParent !== null);
  const size = e => parseFloat(getComputedStyle(e).fontSize);
  const smallest = sel => Math.min(...shown(sel).map(size));
  const cut = [...shown('[data-testid="stMetricLabel"] *'), ...shown('[data-testid="stMetricValue"] *')]
    .filter(e => e.scrollWidth > e.clientWidth + 1);  // text wider than its box: the box cuts it
  return {
    metric_value: smallest('[data-testid="stMetricValue"] p'),
    metric_label: smallest('[data-testid="stMetricLabel"] p'),
    widget_label: smallest('[data-testid="stWidgetLabel"] p'),
    slider_value: smallest('[data-testid="stSliderThumbValue"]'),
    number_value: smallest('[data-testid="stNumberInput"] input'),
    caption: smallest('[data-testid="stCaptionContainer"]'),
    cut_labels: cut.map(e => e.textContent),
    label_lines: Math.max(...shown('[data-testid="stMetricLabel"] p').map(e =>
      Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)))),
  };
}"""


def _text_sizes(browser, url, *, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 720})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(url)
        page.locator('[data-testid="stMetricValue"]').first.wait_for()
        page.locator('[data-testid="stSliderThumbValue"]').first.wait_for()
        page.wait_for_timeout(500)
        assert_no_exception(page)
        return page.evaluate(_SIZES)
    finally:
        context.close()


def test_presentation_mode_grows_every_text_and_cuts_no_metric_label(browser, app_url):
    """Metric values once shrank to 20.8 px (the paragraph rule beat the metric's own size) and long
    metric labels were cut with an ellipsis; widget values stayed at 14 px."""
    for path in ("/initialization", "/playground2d"):
        plain = _text_sizes(browser, app_url + path)
        large = _text_sizes(browser, app_url + path + "?present=1")
        assert plain["metric_value"] == 36
        assert large["metric_value"] > plain["metric_value"], path
        for kind in ("metric_label", "widget_label", "slider_value", "number_value", "caption"):
            assert large[kind] >= plain[kind] * 1.2, (path, kind, plain[kind], large[kind])
        assert large["cut_labels"] == [], path
    # In narrow columns a long label wraps onto more lines instead of losing its end.
    narrow_plain = _text_sizes(browser, app_url + "/initialization", width=900)
    narrow = _text_sizes(browser, app_url + "/initialization?present=1", width=900)
    assert narrow_plain["cut_labels"]  # plain Streamlit cuts "Gradient norm, first layer ÷ output layer"
    assert narrow["cut_labels"] == [] and narrow["label_lines"] >= 2


def test_an_instruction_with_an_image_and_html_fetches_nothing(page, app_url):
    """Markdown `![x](http://…)` in an instruction was fetched by every student's browser."""
    fetched = []
    page.on("request", lambda request: fetched.append(request.url) if "tracker" in request.url else None)
    ex = Exercise(page="initialization", lock=("depth",),
                  text="**Watch** ![x](http://tracker.example/p.png) <img src=http://tracker.example/q.png>")
    page.goto(f"{app_url}/initialization?{urlencode(ex.query())}")
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="Watch")
    alert.wait_for()
    page.get_by_text("Gradient norm of each layer").first.wait_for()
    assert alert.locator("img").count() == 0
    assert alert.locator("strong", has_text="Watch").count() == 1  # formatting still works
    assert "![x](http://tracker.example/p.png)" in alert.inner_text()  # shown as typed
    assert fetched == []
    assert_no_exception(page)


def test_an_exercise_link_edited_in_the_address_bar_keeps_the_teachers_values(page, app_url):
    teacher = {"lr": "0.01", "depth": "3", "seed": "7", "data": "spiral", "optimizer": "adam"}
    ex = Exercise(page="playground2d", params=teacher, lock=tuple(teacher), text="Reach 90 %.")
    link = f"{app_url}/playground2d?{urlencode(ex.query())}"
    page.goto(link.replace("seed=7", "seed=3") + "&lr=1.0")  # one value replaced, one appended
    page.get_by_text("This exercise link was changed: lr, seed are set by the exercise").wait_for(timeout=60_000)
    # The warning is drawn before the sidebar's widgets: wait for them as a reader would.
    expect(page.locator(".st-key-pg-lr")).to_contain_text("0.01", timeout=30_000)
    expect(page.locator(".st-key-pg-seed input")).to_have_value("7", timeout=30_000)
    assert_no_exception(page)

    payload, signature = ex.query()["exercise"].rsplit(".", 1)
    page.goto(link.replace(signature, "A" * 43))
    page.get_by_text("This exercise link was changed after it was made").wait_for(timeout=60_000)
    expect(page.get_by_text("Reach 90 %.")).to_have_count(0)
    assert_no_exception(page)
