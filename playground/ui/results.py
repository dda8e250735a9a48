"""What Build & Train shows once a run has finished: final figures, confusion matrix, sample predictions."""

from __future__ import annotations

import math

import streamlit as st

from playground import figures
from playground.evaluation import test_predictions, test_values
from playground.figures.regression import predicted_vs_true_figure
from playground.jobs.runs import RunRecord
from playground.ui.charts import chart
from playground.ui.inputs import weights_key

_SAMPLES = 24  # test images in the predictions grid


def _predictions(record: RunRecord, dataset):
    """Test-set predictions of `record`, computed once per set of weights and kept in the session."""
    memo = st.session_state.setdefault("_predictions", {})
    key = (record.name, weights_key(record.weights), dataset.name, dataset.task)
    if key not in memo:
        memo.clear()
        evaluate = test_predictions if dataset.task == "classification" else test_values
        memo[key] = evaluate(record.model(), dataset)
    return memo[key]


def misfit(record: RunRecord, dataset) -> str | None:
    """Why `record`'s network cannot be run on `dataset` (other inputs or outputs), or None."""
    from playground import models

    try:
        inputs, outputs = list(record.spec["input_shape"]), models.output_shape(record.spec)
    except (models.SpecError, KeyError, TypeError) as e:
        return f"The network of {record.name} cannot be built ({e})."
    trained_on = record.dataset.get("name") or "other data"
    if inputs != list(dataset.input_shape):
        return (f"{record.name} was trained on {trained_on}: its network takes inputs of shape {inputs}, "
                f"{dataset.name} has {list(dataset.input_shape)}. Choose {trained_on} to see its results.")
    if outputs != [dataset.num_outputs]:
        return (f"{record.name} was trained on {trained_on}: its network gives {outputs[0] if outputs else 0} "
                f"outputs, {dataset.name} needs {dataset.num_outputs}. Choose {trained_on} to see its results.")
    return None


def _whole(value) -> str:
    """An epoch count as text: "–" for a missing (NaN) or endless one."""
    return f"{int(value):,}" if isinstance(value, int | float) and math.isfinite(value) else "–"


def _ratio(value) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) and math.isfinite(value) else "–"


def _fixed(value, digits: int) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) and math.isfinite(value) else "–"


def show_results(record: RunRecord, dataset) -> None:
    """Final metrics, and for classifiers the confusion matrix and a grid of test predictions; a
    message instead when the run's network does not fit `dataset` (a run of other data)."""
    if record.model() is None or record.history.empty:
        return
    if (why := misfit(record, dataset)) is not None:
        st.info(why)
        return
    last = record.final
    st.subheader("Results")
    m1, m2, m3, m4 = st.columns(4)
    if dataset.task == "classification":
        m1.metric("Test accuracy", _ratio(last.get("val_acc")))
        m2.metric("Training accuracy", _ratio(last.get("train_acc")))
    m3.metric("Test loss", _fixed(last.get("val_loss"), 4))
    m4.metric("Epochs · time", f"{_whole(last.get('epoch'))} · {_fixed(last.get('seconds'), 1)} s")
    if dataset.task != "classification":
        predicted, true = _predictions(record, dataset)
        chart(predicted_vs_true_figure(predicted, true), key="results.values")
        st.caption("Each point is a test example: across is its true target, up what the network predicted. "
                   "On the dashed line the prediction is exact.")
        return
    labels, confidence = _predictions(record, dataset)
    true = dataset.y_test.numpy()
    left, right = st.columns([2, 3])
    with left:
        matrix = figures.confusion_matrix(true, labels, len(dataset.classes))
        chart(figures.confusion_figure(matrix, dataset.classes), key="results.confusion")
        st.caption("Rows are the true classes, columns what the network said; the diagonal is right.")
    with right:
        if dataset.is_image:
            order = figures.order_misclassified_first(true, labels)[:_SAMPLES]
            wrong = int((labels != true).sum())
            st.markdown(f"**Test images, mistakes first** ({wrong} of {len(true)} wrong)")
            chart(figures.predictions_figure(dataset.x_test[order].numpy(), true[order], labels[order],
                                             dataset.classes, confidence=confidence[order], columns=6),
                  key="results.samples")


def export_buttons(spec: dict, dataset_ref: dict, config: dict, *, title: str, key: str,
                   record: RunRecord | None = None, with_weights: bool = True) -> None:
    """Downloads that take a network out of the playground: a PyTorch script that trains it, its
    trained weights (when `record` has them and `with_weights`) and the network as ONNX, made only
    when clicked."""
    import torch

    from playground import export, models

    try:
        text = export.script(spec, dataset_ref, config, title=title)
    except export.ExportError as e:
        st.warning(str(e))
        return

    def onnx() -> bytes:
        if record is not None and record.model() is not None:
            module = record.model()
        else:  # untrained: the starting weights the seed gives
            torch.manual_seed(int(config.get("seed", 0)))
            module = models.build(spec)
        return export.onnx_bytes(module, spec["input_shape"])

    stem = export.script_file_name(title)[len("train_"):-len(".py")]
    c1, c2, c3 = st.columns(3) if with_weights else (*st.columns(2), None)  # c3 unused without weights
    c1.download_button("PyTorch script (.py)", text, file_name=export.script_file_name(title), mime="text/x-python",
                       on_click="ignore", icon=":material/code:", key=f"{key}.script", width="stretch",
                       help="Defines the same network, makes the same data and trains it with the same settings "
                            "and seed: run it with `python` anywhere PyTorch is installed.")
    trained = record is not None and record.weights is not None and not record.active
    if with_weights:
        c2.download_button("Weights (.safetensors)", record.to_checkpoint if trained else b"",
                           file_name=f"{stem}.safetensors", mime="application/octet-stream", on_click="ignore",
                           icon=":material/download:", key=f"{key}.weights", disabled=not trained, width="stretch",
                           help="The trained weights with the network's spec inside: load them on Build & Train, "
                                "or into the script's network." if trained else "Train the network first.")
    (c3 if with_weights else c2).download_button(
        "Network (.onnx)", onnx, file_name=f"{stem}.onnx", mime="application/octet-stream", on_click="ignore",
        icon=":material/account_tree:", key=f"{key}.onnx", width="stretch",
        help="The network in the ONNX format, for Netron (netron.app) and other tools"
             + ("." if trained else "; untrained, with the starting weights of the seed."))
    with st.expander("Look at the script"):
        st.code(text, language="python")


def show_runs_table(names: list[str] | None = None) -> None:
    """The session's runs (only `names`, when given) as a table: page, data, status, results, time."""
    from playground.ui import session

    table = session.runs_table()
    if names is not None and not table.empty:
        table = table[table["run"].isin(names)]
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "test accuracy": st.column_config.NumberColumn(format="percent"),
        "test loss": st.column_config.NumberColumn(format="%.4f"),
        "seconds": st.column_config.NumberColumn(format="%.1f")})


def show_progress(record: RunRecord, dataset, *, key: str) -> None:
    """A run's progress: a live board while it trains (redrawn by the browser from the run's feed),
    then its status line, curves and `show_results`."""
    from playground.figures.training import ACCURACY_CHART, LOSS_CHART
    from playground.jobs import live as live_feeds
    from playground.ui import live, session

    job = record.job
    if record.active:
        session.page_polls()
        token = live.feed_for(f"{key}.feed", job, lambda: live_feeds.training_producer(job))
        name = record.dataset.get("name")
        regression = session.has_dataset(name) and session.dataset_info(name).task != "classification"
        charts = [live.chart("loss", **LOSS_CHART)] + ([] if regression else [live.chart("accuracy", **ACCURACY_CHART)])
        live.board(token, [live.status(record.name), live.row(*charts)], key=f"{key}.live",
                   first=live.FEEDS.read(token), interval=0.5)
        return
    live.close_feed(f"{key}.feed")
    if job is not None:
        last = record.final
        speed = last.get("samples_per_s")
        speed_text = f" · {speed:,.0f} samples/s" if speed == speed and speed else ""
        st.markdown(f"**{record.name}** · {record.status} · epoch {int(last.get('epoch', 0))} of {job.config.epochs}"
                    f"{speed_text} · device: {job.where or '…'}")
        st.progress(job.progress)
        if record.error:
            (st.error if record.status == "failed" else st.warning)(record.error)
    elif record.error:  # a run brought back from the run store, e.g. one a restart interrupted
        st.warning(f"**{record.name}** · {record.status}: {record.error}")
    chart(figures.curves_figure(record.history), key=f"{key}.curves")
    show_results(record, dataset)
