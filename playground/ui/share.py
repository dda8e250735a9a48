"""What every page shares, drawn by `app.py` around the page: its link, presentation mode, exercises.

- A "Share" panel in the sidebar gives the page's link (its whole state is in the URL, see
  `urlstate`), ready to copy.
- Presentation mode (a sidebar switch, or `?present=1` in a link) makes text and figures larger and
  the sidebar start collapsed, for projecting in class.
- A teacher turns the page as it is into an exercise: which controls students may not see or
  change, and an instruction; the result is a link and a small JSON file (`playground.classroom.exercises`).
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from playground.classroom.exercises import (
    PARAM,
    PRESENT_PARAM,
    RESERVED_PARAMS,
    Exercise,
    ExerciseChanged,
    ExerciseError,
    instruction_markdown,
)
from playground.figures.style import PLAIN, PRESENTATION, Style
from playground.links import LinkError
from playground.ui.urlstate import EXERCISE_HERE, GLOBAL_PARAMS, RUN_STATES, UNLINKED

EXERCISE = "_exercise"  # the session's exercise, kept when the student visits other pages
PRESENT = "present"  # the presentation switch's key
NOTE = "_exercise_note"  # (page, message, icon) about the link's exercise, shown on the page it opened


def presenting() -> bool:
    """Whether this session is being projected (its presentation switch, set from the link at first)."""
    return bool(st.session_state.get(PRESENT, False))


def current_style() -> Style:
    """The figure style for this session: `PRESENTATION` while projecting, else `PLAIN`
    (`playground.ui.charts.chart` draws every figure in it)."""
    return PRESENTATION if presenting() else PLAIN

# Presentation mode: every text grows (none shrinks) and none is cut. Plain Streamlit sizes at a 16 px rem:
# text 16, widget labels and values 14, captions 14, metric values 36 and labels 14, tables 14.
# A metric's value and label are markdown inside fixed boxes that cut them with an ellipsis: they get
# their own sizes (the rule for paragraphs would otherwise shrink the value to 1.3rem) and labels wrap.
# Dataframes and data editors draw on a canvas at the theme's size; CSS zoom would enlarge them but
# push the editor past the page's edge and misplace its clicks, so they keep their size (TODO).
PRESENTATION_CSS = """
<style>
.stApp [data-testid="stMarkdownContainer"] p, .stApp [data-testid="stMarkdownContainer"] li {
  font-size: 1.3rem; line-height: 1.55; }
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stCaptionContainer"] p {
  font-size: 1.15rem; color: #222; }
.stApp [data-testid="stWidgetLabel"] p { font-size: 1.15rem; }
.stApp h1 { font-size: 3rem; }
.stApp h2 { font-size: 2.3rem; }
.stApp h3 { font-size: 1.9rem; }
.stApp [data-testid="stMetricValue"], .stApp [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 3rem; line-height: 1.25; }
.stApp [data-testid="stMetricLabel"], .stApp [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p {
  font-size: 1.2rem; line-height: 1.4; }
.stApp [data-testid="stMetricLabel"] *, .stApp [data-testid="stMetricValue"] * {
  white-space: normal; overflow: visible; text-overflow: clip; height: auto; }
.stApp [data-testid="stMetricLabel"] { height: auto; min-height: 1.4em; }
.stApp [data-testid="stMetricDelta"], .stApp [data-testid="stMetricDelta"] p { font-size: 1.2rem; }
.stApp [data-testid="stSliderThumbValue"], .stApp [data-testid="stSliderTickBarMin"],
.stApp [data-testid="stSliderTickBarMax"] { font-size: 1.15rem; }
.stApp input, .stApp textarea, .stApp [data-baseweb="select"], .stApp [data-baseweb="tag"] span {
  font-size: 1.15rem; }
.stApp [data-testid="stTable"] td, .stApp [data-testid="stTable"] th { font-size: 1.15rem; }
.stApp [data-testid="stCode"] code { font-size: 1rem; }
</style>
"""


def presentation_requested() -> bool:
    """Whether this run should present: the switch if it was drawn, else the link's `present` flag."""
    if PRESENT not in st.session_state:
        st.session_state[PRESENT] = st.query_params.get(PRESENT_PARAM) == "1"
    return presenting()


def before_page(page) -> None:
    """Call after `st.navigation` and before `page.run()`: reads the link's exercise and
    presentation flag, and shows the exercise's instruction above the page."""
    st.session_state[RUN_STATES] = []
    st.session_state[UNLINKED] = []
    if presentation_requested():
        st.html(PRESENTATION_CSS)
    # Drawn before the page, so that pages which stop early (e.g. "train a model first") have it too.
    st.sidebar.toggle("Presentation mode", key=PRESENT, help="Larger text and figures for a projector. "
                      "Links made while it is on open in presentation mode too.")

    code = st.query_params.get(PARAM)
    if code is not None and code != st.session_state.get("_exercise_code"):
        st.session_state["_exercise_code"] = code
        st.session_state[NOTE] = (page.url_path, *_read_exercise())
    if (note := st.session_state.get(NOTE)) and note[0] == page.url_path and note[1]:
        st.warning(note[1], icon=note[2])  # on every run of the page the link opened, not only the first
    exercise = st.session_state.get(EXERCISE)
    here = exercise if exercise is not None and exercise.page == page.url_path else None
    st.session_state[EXERCISE_HERE] = here

    keep = {PRESENT_PARAM: "1"} if presenting() else {}
    if here is not None:
        keep[PARAM] = st.session_state["_exercise_code"] if code is None else code
        st.info(f"**Exercise.** {instruction_markdown(here.text)}" if here.text
                else "**Exercise.** Some controls are set for you.",
                icon=":material/school:")
    st.session_state[GLOBAL_PARAMS] = keep


def _read_exercise() -> tuple[str, str]:
    """Read the link's exercise into the session; return a note for the student (empty if none) and its icon."""
    try:
        st.session_state[EXERCISE] = exercise = Exercise.from_query(st.query_params.to_dict())
    except ExerciseChanged as e:  # edited by hand: the page opens as usual, without the exercise
        st.session_state.pop(EXERCISE, None)
        return str(e), ":material/gpp_bad:"
    except ExerciseError as e:
        st.session_state.pop(EXERCISE, None)
        return f"{e} The page opens as usual.", ":material/info:"
    if changed := exercise.changed_values(st.query_params.to_dict()):
        return (f"This exercise link was changed: {', '.join(changed)} {'is' if len(changed) == 1 else 'are'} set "
                "by the exercise, so the exercise's values are used.", ":material/gpp_maybe:")
    return "", ""


def _field_keys(names: tuple[str, ...]) -> list[str]:
    """The widget keys of this page's fields called `names`."""
    return [state.key(name) for state in st.session_state.get(RUN_STATES, []) for name in names
            if name in state.fields]


def _css_class(key: str) -> str:
    """The class Streamlit gives the element of the widget with key `key`."""
    return "st-key-" + "".join(c if c.isalnum() or c in "_-" else "-" for c in key)


def exercise_css(exercise: Exercise) -> str:
    """Hide the hidden controls and grey out the locked ones (their values are enforced anyway)."""
    hidden = [f".{_css_class(k)}" for k in _field_keys(exercise.hide)]
    locked = [f".{_css_class(k)}" for k in _field_keys(tuple(n for n in exercise.lock if n not in exercise.hide))]
    rules = []
    if hidden:
        rules.append(", ".join(hidden) + " { display: none !important; }")
    if locked:
        rules.append(", ".join(locked) + " { pointer-events: none; opacity: 0.55; }")
    return "<style>" + "\n".join(rules) + "</style>" if rules else ""


def _app_base(page) -> str | None:
    """The app's address without the page (None where the server does not say, e.g. in tests)."""
    url = st.context.url
    if not url:
        return None
    url = url.split("?")[0].rstrip("/")
    if page.url_path and url.endswith("/" + page.url_path):
        url = url[: -len(page.url_path) - 1]
    return url


def page_link(page, params: dict[str, str]) -> str:
    base = _app_base(page) or ""
    path = f"{base}/{page.url_path}" if page.url_path else (base or "/")
    return path + ("?" + urlencode(params) if params else "")


def after_page(page) -> None:
    """Call after `page.run()`: enforce the exercise's look, and draw the sidebar's share panel.

    (A page that calls `st.stop()` ends the run before this: it gets no share panel, which suits
    pages that stop while waiting for something, as they hold nothing worth sharing yet.)"""
    here = st.session_state.get(EXERCISE_HERE)
    if here is not None and (css := exercise_css(here)):
        st.html(css)

    fields = {name: state for state in st.session_state.get(RUN_STATES, []) for name in state.fields}
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in RESERVED_PARAMS}
    with st.sidebar:
        with st.expander("Share this page", icon=":material/link:"):
            st.caption("This link opens the page as you see it now: data, network, settings and seed.")
            st.code(page_link(page, {**params, **({PRESENT_PARAM: "1"} if presenting() else {})}),
                    language=None, wrap_lines=True)
            if st.session_state.get(UNLINKED):
                st.warning("Part of this page (" + ", ".join(st.session_state[UNLINKED]) + ") is too large for "
                           "a link: download it from the page as a file and send that with the link.")
        if fields:
            _exercise_maker(page, fields, params)
        if here is not None:
            st.button("Leave the exercise", key="share.leave", on_click=_leave_exercise,
                      help="Unlock every control on this page.")


def _leave_exercise() -> None:
    for key in (EXERCISE, "_exercise_code", EXERCISE_HERE, NOTE):
        st.session_state.pop(key, None)
    if PARAM in st.query_params:
        del st.query_params[PARAM]


def _exercise_maker(page, fields: dict, params: dict[str, str]) -> None:
    with st.expander("Make an exercise", icon=":material/school:"):
        st.caption("Set the page up as students should find it, then choose what they may not see or change.")
        names = sorted(fields)
        hide = st.multiselect("Hide these controls", names, key=f"share.{page.url_path}.hide",
                              format_func=_label)
        lock = st.multiselect("Lock these controls (shown, not changeable)", [n for n in names if n not in hide],
                              key=f"share.{page.url_path}.lock", format_func=_label)
        text = st.text_area("Instruction for students", key=f"share.{page.url_path}.text", max_chars=1000,
                            placeholder="e.g. Find a learning rate that reaches 90 % test accuracy in 5 epochs.")
        # Locked and hidden controls need their value in the link even where it is the default.
        state = {**params}
        for name in (*hide, *lock):
            field_state = fields[name]
            if name not in state:
                value = st.session_state.get(field_state.key(name), field_state.fields[name].default)
                try:
                    state[name] = field_state.fields[name].format(value)
                except LinkError:
                    pass
        try:
            exercise = Exercise(page=page.url_path, params=state, hide=tuple(hide), lock=tuple(lock), text=text)
            link = page_link(page, exercise.query())
        except (ExerciseError, LinkError) as e:
            st.error(str(e))
            return
        st.code(link, language=None, wrap_lines=True)
        st.download_button("Download as a file", exercise.to_json(), file_name=f"exercise-{page.url_path or 'home'}"
                           ".json", mime="application/json", on_click="ignore", icon=":material/download:",
                           key=f"share.{page.url_path}.download")


def _label(name: str) -> str:
    return {"lr": "learning rate"}.get(name, name.replace("_", " "))
