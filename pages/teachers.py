import streamlit as st

from playground.classroom.exercises import Exercise, ExerciseError, instruction_markdown
from playground.ui import session
from playground.ui.boot import ensure_navigation
from playground.ui.navigation import SECTIONS

ensure_navigation()

PAGES = {entry.path.removeprefix("pages/").removesuffix(".py"): entry for entries in SECTIONS.values()
         for entry in entries}

st.title("For teachers")
st.caption("Project the playground in class, hand students a link that opens a page exactly as you set it up, "
           "and lock what they should not change. No accounts: everything travels in the link.")

left, right = st.columns(2)
with left:
    st.subheader("Share a page")
    st.markdown(
        "Every page keeps its settings in its address: the data, the network, the training settings, the seed "
        "and what you are looking at. Open **Share this page** in the sidebar and copy the link; whoever opens "
        "it sees the same thing, and a reload keeps it. A network too large for a link is offered as a file "
        "on its page instead.")
    st.subheader("Presentation mode")
    st.markdown(
        "Switch on **Presentation mode** in the sidebar, or add `?present=1` to a link: text, numbers and "
        "figures become larger, lines thicker, and the sidebar starts folded away. Links you copy while it is "
        "on open in presentation mode too.")
with right:
    st.subheader("Make an exercise")
    st.markdown(
        "1. Open the page and set it up as students should find it.\n"
        "2. In the sidebar, open **Make an exercise**: choose the controls to **hide** and those to **lock** "
        "(shown, but fixed at your value), and write the instruction.\n"
        "3. Copy the link, or download the exercise as a small file to keep or share.\n\n"
        "Students who open the link see your instruction above the page. Locked values hold whatever they "
        "click; **Leave the exercise** in the sidebar unlocks the page again. It is a guide for the lesson, "
        "not an exam lock: a student who opens the page without the link can change everything.\n\n"
        "Links and files are signed by this server: one edited by hand (a locked value changed in the "
        "address, say) opens the page without the exercise and says the link was changed.")

st.subheader("Open an exercise file")


def open_exercise_file() -> None:
    upload = st.session_state.get("teach.file")
    st.session_state.pop("teach.opened", None)
    st.session_state.pop("teach.error", None)
    if upload is None:
        return
    try:
        exercise = Exercise.from_json(upload.getvalue())
        if exercise.page not in PAGES:
            raise ExerciseError(f"This exercise is for a page called '{exercise.page}', which this app does not have.")
    except ExerciseError as e:
        st.session_state["teach.error"] = str(e)
        return
    st.session_state["teach.opened"] = exercise


st.file_uploader("Exercise file (.json)", type=["json"], key="teach.file", on_change=open_exercise_file,
                 help="A file saved with **Download as a file** under **Make an exercise**.")
if st.session_state.get("teach.error"):
    st.error(st.session_state["teach.error"])
exercise: Exercise | None = st.session_state.get("teach.opened")
if exercise is not None:
    entry = PAGES[exercise.page]
    st.markdown(f"An exercise on **{entry.title}**" + (f": {instruction_markdown(exercise.text)}" if exercise.text
                                                        else "."))
    details = []
    if exercise.hide:
        details.append("hidden: " + ", ".join(exercise.hide))
    if exercise.lock:
        details.append("locked: " + ", ".join(exercise.lock))
    if details:
        st.caption("; ".join(details))
    st.button("Open the exercise", key="teach.open", type="primary", icon=":material/school:",
              on_click=lambda: st.session_state.update({"teach.go": True}))
    if st.session_state.pop("teach.go", False):
        st.switch_page(entry.path, query_params=exercise.query())

st.subheader("The class's runs")
stored = session.stored_runs()
if stored is None:
    st.info("This server keeps runs only while a page is open: no run store is set up (see the README).")
else:
    st.markdown(f"The server keeps **{stored:,} run{'' if stored == 1 else 's'}** of everyone who trained here: "
                "each student's own come back "
                "after a reload or a restart. Download them all as one zip of two tables: **runs.csv** (who, "
                "by a short code per browser, the page, dataset, settings and final results) and **curves.csv** "
                "(every epoch of every run).")
    st.download_button("Download the class's runs", data=session.class_export, file_name="class-runs.zip",
                       mime="application/zip", key="teach.export", icon=":material/download:", on_click="ignore",
                       disabled=not stored)
