"""What Build & Train shows once a run has finished: final figures, confusion matrix, sample predictions."""

from __future__ import annotations

import streamlit as st

from playground import figures
from playground.evaluation import test_predictions
from playground.runs import RunRecord

_SAMPLES = 24  # test images in the predictions grid


def _predictions(record: RunRecord, dataset):
    """Test-set predictions of `record`, computed once per set of weights and kept in the session."""
    memo = st.session_state.setdefault("_predictions", {})
    key = (record.name, id(record.weights), dataset.name)
    if key not in memo:
        memo.clear()
        memo[key] = test_predictions(record.model(), dataset)
    return memo[key]


def show_results(record: RunRecord, dataset) -> None:
    """Final metrics, and for classifiers the confusion matrix and a grid of test predictions."""
    if record.model() is None or record.history.empty:
        return
    last = record.final
    st.subheader("Results")
    m1, m2, m3, m4 = st.columns(4)
    if dataset.task == "classification":
        m1.metric("Test accuracy", f"{last['val_acc']:.1%}")
        m2.metric("Training accuracy", f"{last['train_acc']:.1%}" if last["train_acc"] == last["train_acc"] else "–")
    m3.metric("Test loss", f"{last['val_loss']:.4f}")
    m4.metric("Epochs · time", f"{int(last['epoch'])} · {last['seconds']:.1f} s")
    if dataset.task != "classification":
        return
    labels, confidence = _predictions(record, dataset)
    true = dataset.y_test.numpy()
    left, right = st.columns([2, 3])
    with left:
        matrix = figures.confusion_matrix(true, labels, len(dataset.classes))
        st.plotly_chart(figures.confusion_figure(matrix, dataset.classes), key="results.confusion")
        st.caption("Rows are the true classes, columns what the network said; the diagonal is right.")
    with right:
        if dataset.is_image:
            order = figures.order_misclassified_first(true, labels)[:_SAMPLES]
            wrong = int((labels != true).sum())
            st.markdown(f"**Test images, mistakes first** ({wrong} of {len(true)} wrong)")
            st.plotly_chart(figures.predictions_figure(dataset.x_test[order].numpy(), true[order], labels[order],
                                                       dataset.classes, confidence=confidence[order], columns=6),
                            key="results.samples")
