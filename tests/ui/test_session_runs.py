"""Every training run a page starts lands in the session's runs once, with its page, and Compare runs
lists it: the pages themselves do nothing for it (`playground.ui.session.start_run`)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from playground.jobs.runs import RunRecord, records_from_job

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _open(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _go(at: AppTest, path: str) -> AppTest:
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_runs_started_on_three_pages_are_kept_once_each_and_listed_by_page_on_compare_runs():
    at = _open("pages/batch_norm.py")
    at.select_slider(key="bn.epochs").set_value(min(at.select_slider(key="bn.epochs").options, key=int)).run()
    at.button(key="bn.train").click().run()
    bn_job = at.session_state["bn.job"]
    assert bn_job.wait(120) == "done", bn_job.error
    _go(at, "pages/initialization.py").button(key="init.train").click().run()
    init_job = at.session_state["init.job"]
    assert init_job.wait(120) == "done", init_job.error
    _go(at, "pages/inside_cnn.py").button(key="in.train").click().run()
    assert not at.error, [e.value for e in at.error]
    cnn_job = at.session_state["in.job"]
    cnn_job.wait(5)
    cnn_job.stop()  # a few epochs are enough here
    assert cnn_job.wait(60) in ("done", "stopped"), cnn_job.error
    for _ in range(2):  # pages rerun: nothing is added twice
        _go(at, "pages/inside_cnn.py")
        _go(at, "pages/batch_norm.py")
    runs: dict[str, RunRecord] = at.session_state["runs"]
    pages = {name: r.page for name, r in runs.items()}
    variants = [v["name"] for v in bn_job.options["variants"]]
    assert pages == {**{f"{bn_job.name}: {v}": "Batch normalization" for v in variants},
                     init_job.name: "Initialization", cnn_job.name: "Inside a trained CNN"}, pages
    # A variant's record follows its own rows and weights, not the job's main history.
    for v in variants:
        record = runs[f"{bn_job.name}: {v}"]
        own = [r for r in bn_job.series("rows") if r["variant"] == v]
        assert len(record.history) == len(own) > 1
        assert record.history["val_acc"].tolist() == [r["val_acc"] for r in own]
        assert record.model() is not None and record.spec == next(
            x["spec"] for x in bn_job.options["variants"] if x["name"] == v)

    at = _go(at, "pages/compare_runs.py")
    table = at.dataframe[0].value
    assert sorted(zip(table["page"], table["run"])) == sorted((p, n) for n, p in pages.items())
    assert set(at.multiselect(key="cmp.runs").options) >= {f"{p}: {n}" for n, p in pages.items()}


def test_a_job_that_trains_no_network_of_its_own_makes_no_run():
    class Job:
        trainer, name, options = "class_visualization", "dreams", {}

    assert records_from_job(Job(), {"name": "digits"}) == []
