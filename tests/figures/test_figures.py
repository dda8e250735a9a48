"""Figures are checked through their traces and layout: kind, count, names and values."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from playground.figures import (
    accuracy_figure,
    apply_style,
    confusion_figure,
    confusion_matrix,
    curves_figure,
    format_shape,
    layer_family,
    loss_figure,
    network_figure,
    order_misclassified_first,
    predictions_figure,
)
from playground.figures.style import (
    CORRECT_COLOR,
    DIVERGING,
    ERROR_COLOR,
    PALETTE,
    PLAIN,
    PRESENTATION,
    SEQUENTIAL,
    TRAIN_COLOR,
    VAL_COLOR,
    WRONG_COLOR,
    Style,
    _array,
    styled,
)

FIGURES_DIR = Path(__file__).resolve().parents[2] / "playground" / "figures"


def _history(epochs: int = 5) -> pd.DataFrame:
    e = np.arange(1, epochs + 1)
    return pd.DataFrame(
        {
            "epoch": e,
            "train_loss": 2.0 / e,
            "val_loss": 2.2 / e,
            "train_acc": 1 - 0.5 / e,
            "val_acc": 1 - 0.6 / e,
            "lr": 0.1,  # extra columns are ignored
        }
    )


def _texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


# --- style -----------------------------------------------------------------------------------


def test_palette_starts_with_train_and_validation_colours():
    assert (TRAIN_COLOR, VAL_COLOR) == ("#0072B2", "#E69F00")
    assert PALETTE[:2] == [TRAIN_COLOR, VAL_COLOR]
    assert len(set(PALETTE)) == len(PALETTE) == 8
    # The scales are names Plotly accepts.
    go.Heatmap(z=[[0]], colorscale=SEQUENTIAL)
    go.Heatmap(z=[[0]], colorscale=DIVERGING)


def test_apply_style_sets_font_template_and_title():
    fig = apply_style(go.Figure(), title="Loss", height=300)
    assert fig.layout.font.size == 14
    assert fig.layout.title.text == "Loss"
    assert fig.layout.height == 300
    assert fig.layout.template.layout.paper_bgcolor == "white"
    assert apply_style(go.Figure(), large=True).layout.font.size == 20


def test_no_figure_module_imports_streamlit():
    for path in FIGURES_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "streamlit" for n in names), path.name


def _font_sizes(node, path="") -> dict[str, float]:
    """Every font size set in a figure's dict (the template left out), by where it is."""
    found = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template":
                continue
            if key.endswith("font") and isinstance(value, dict) and value.get("size") is not None:
                sizes = np.ravel(_array(value["size"]))
                found.update({f"{path}/{key}[{i}]": v for i, v in enumerate(sizes)})
            found.update(_font_sizes(value, f"{path}/{key}"))
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            found.update(_font_sizes(item, f"{path}/{i}"))
    return found


def _rich_figure() -> go.Figure:
    """Text of every kind a playground figure uses, some sized explicitly, some inherited."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "weights"))
    fig.add_trace(go.Scatter(x=[0, 1, 2], y=[1, 0.5, 0.2], mode="lines+markers", name="train",
                             marker={"size": [5, 7, 9]}, line={"width": 2}), row=1, col=1)
    fig.add_trace(go.Scatter(x=[0, 1], y=[1, 2], mode="lines", name="validation"), row=1, col=1)
    fig.add_trace(go.Scatter(x=[0.5], y=[0.5], mode="markers+text", text=["here"], textfont={"size": np.array([11])},
                             showlegend=False), row=1, col=1)
    fig.add_trace(go.Heatmap(z=[[1, 2], [3, 4]], texttemplate="%{z}", textfont={"size": 10},
                             colorbar={"title": {"text": "w", "font": {"size": 12}}, "tickfont": {"size": 11}}),
                  row=1, col=2)
    fig.add_annotation(text="note", x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 13})
    fig.update_xaxes(title_text="epoch", title_font_size=14, tickfont_size=12)
    apply_style(fig, title="Training", height=380)
    fig.update_layout(legend_title_text="run", legend_title_font_size=12)
    return fig


def test_styled_in_presentation_grows_every_font_line_marker_and_the_height():
    fig = _rich_figure()
    before = fig.to_dict()
    out = styled(fig, PRESENTATION)
    go.Figure(out.to_dict())  # what comes out is a figure Plotly accepts

    plain, large = _font_sizes(fig.to_dict()), _font_sizes(out.to_dict())
    # 9 places set a size: layout, title, legend, legend title, hover label, 2 subplot titles + the note,
    # axis title and ticks (×2 axes), trace text, heatmap text, colour bar title and ticks.
    assert len(plain) >= 15 and plain.keys() <= large.keys()
    for where, size in plain.items():
        assert large[where] >= size * 1.35, where  # 20 / 14 ≈ 1.43, rounded to whole pixels
    assert out.layout.font.size == 20 and out.layout.title.font.size == 26  # 18 × 20/14 = 25.7
    assert out.layout.annotations[0].font.size == round(plain["/layout/annotations/0/font[0]"] * 20 / 14)
    # Text left to the template (Streamlit's theme draws ticks at 12 px whatever the layout's font) gets
    # its size explicitly: ticks 12 × 20/14, axis titles the layout's 20.
    assert out.layout.yaxis.tickfont.size == out.layout.yaxis2.tickfont.size == 17
    assert out.layout.yaxis.title.font.size == out.layout.yaxis2.title.font.size == 20
    assert out.layout.xaxis.tickfont.size == round(12 * 20 / 14)  # was set to 12 on every x axis

    lines, markers = out.data[0], out.data[0].marker
    assert lines.line.width == pytest.approx(3.5)  # 2 × 3.5/2
    assert out.data[1].line.width == pytest.approx(3.5)  # unset (Plotly's 2) → the style's width
    assert list(markers.size) == pytest.approx([7, 9.8, 12.6])  # × 1.4
    assert out.layout.height == round(380 * 1.3) == 494
    assert out.layout.margin.t == round(fig.layout.margin.t * 20 / 14)
    assert out.layout.xaxis.gridcolor == "#B0B0B0" and out.layout.yaxis2.linecolor == "#000000"
    assert fig.to_dict() == before  # the input is not changed


def test_styled_inherited_text_grows_with_the_layout_font():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))  # no sizes at all: Plotly's 12 px everywhere
    out = styled(fig, PRESENTATION)
    assert out.layout.font.size == round(12 * 20 / 14) == 17
    assert out.layout.xaxis.tickfont.size == 17 and out.layout.xaxis.title.font.size == 17
    assert out.layout.height == round(450 * 1.3)
    assert out.data[0].line.width == 3.5 and out.data[0].marker.size == pytest.approx(6 * 1.4)


def test_styled_plain_returns_the_figure_as_it_is():
    fig = _rich_figure()
    before = fig.to_dict()
    assert styled(fig, PLAIN) is fig
    assert styled(fig, Style()) is fig
    assert fig.to_dict() == before


def test_styled_leaves_a_figure_already_built_large_and_is_idempotent():
    large = loss_figure(_history(), large=True)
    assert styled(large, PRESENTATION) is large
    once = styled(loss_figure(_history()), PRESENTATION)
    assert styled(once, PRESENTATION) is once
    assert once.layout.font.size == large.layout.font.size == 20


def test_styled_grows_real_playground_figures():
    from playground.figures import methods_figure

    image = np.random.default_rng(0).random((1, 8, 8))
    maps = {"Saliency": np.random.default_rng(1).random((8, 8)), "Gradient × input": np.ones((8, 8))}
    figures = [curves_figure(_history()), confusion_figure(np.array([[3, 1], [0, 4]]), ["a", "b"]),
               methods_figure(image, maps, signed={"Saliency": False, "Gradient × input": True}),
               network_figure([{"name": "Linear", "output_shape": [4], "params": 12}], input_shape=[2])]
    for fig in figures:
        out = styled(fig, PRESENTATION)
        go.Figure(out.to_dict())
        plain, large = _font_sizes(fig.to_dict()), _font_sizes(out.to_dict())
        assert plain and all(large[k] > v for k, v in plain.items())
        assert out.layout.height > (fig.layout.height or 450)
    # The saliency figure (380 px on its page whatever the mode, before) grows with its text.
    assert styled(figures[2], PRESENTATION).layout.height == round(figures[2].layout.height * 1.3)


def test_no_figure_reads_who_is_watching():
    """Figures are pure: the presentation style is an argument (`large=`, `styled`), never a global."""
    import playground.figures.style as style

    assert not hasattr(style, "set_presentation_check") and not hasattr(style, "presenting")
    for path in FIGURES_DIR.rglob("*.py"):
        assert "presenting" not in path.read_text(encoding="utf-8"), path.name


# --- learning curves -------------------------------------------------------------------------


def test_loss_figure_plots_both_columns_against_epoch():
    history = _history()
    fig = loss_figure(history)
    assert [type(t) for t in fig.data] == [go.Scatter, go.Scatter]
    assert [t.name for t in fig.data] == ["train", "validation"]
    np.testing.assert_array_equal(fig.data[0].x, history["epoch"])
    np.testing.assert_allclose(fig.data[0].y, history["train_loss"])
    np.testing.assert_allclose(fig.data[1].y, history["val_loss"])
    assert fig.data[0].line.color == TRAIN_COLOR and fig.data[1].line.color == VAL_COLOR
    assert fig.layout.xaxis.title.text == "epoch" and fig.layout.yaxis.title.text == "loss"


def test_loss_figure_shows_markers_only_for_short_runs():
    assert loss_figure(_history(5)).data[0].mode == "lines+markers"
    assert loss_figure(_history(40)).data[0].mode == "lines"


def test_loss_figure_leaves_out_nan_rows():
    history = _history(4)
    history.loc[[0, 2], "val_loss"] = np.nan  # validation measured every other epoch
    fig = loss_figure(history)
    np.testing.assert_array_equal(fig.data[1].x, [2, 4])
    np.testing.assert_allclose(fig.data[1].y, history["val_loss"].iloc[[1, 3]])
    assert len(fig.data[0].y) == 4


def test_loss_figure_without_any_validation_yet():
    history = _history(1)
    history["val_loss"] = np.nan
    fig = loss_figure(history)
    assert len(fig.data) == 2 and len(fig.data[1].y) == 0


def test_empty_history_gives_a_note_instead_of_an_error():
    empty = pd.DataFrame(columns=["epoch", "train_loss", "val_loss", "train_acc", "val_acc"])
    for figure in (loss_figure, accuracy_figure):
        fig = figure(empty)
        assert len(fig.data) == 0
        assert _texts(fig) == ["No epochs yet"]
    assert len(loss_figure(pd.DataFrame()).data) == 0
    fig = curves_figure(empty)
    # One empty trace per subplot keeps both subplots drawn.
    assert [(t.xaxis, len(t.x)) for t in fig.data] == [("x", 0), ("x2", 0)]
    assert _texts(fig) == ["No epochs yet", "No epochs yet"]
    assert [a.xref for a in fig.layout.annotations] == ["x domain", "x2 domain"]


def test_accuracy_figure_uses_a_percent_axis():
    history = _history()
    fig = accuracy_figure(history, large=True)
    assert [t.name for t in fig.data] == ["train", "validation"]
    np.testing.assert_allclose(fig.data[0].y, history["train_acc"])
    np.testing.assert_allclose(fig.data[1].y, history["val_acc"])
    assert fig.layout.yaxis.tickformat == ".0%"
    assert tuple(fig.layout.yaxis.range) == (0, 1.02)
    assert fig.layout.font.size == 20


@pytest.mark.parametrize("drop", [True, False])
def test_accuracy_figure_for_regression_says_so(drop):
    history = _history()
    if drop:
        history = history.drop(columns=["train_acc", "val_acc"])
    else:
        history[["train_acc", "val_acc"]] = np.nan
    fig = accuracy_figure(history)
    assert len(fig.data) == 0
    assert _texts(fig) == ["Accuracy applies to classification only"]


def test_curves_figure_has_two_subplots_and_one_legend_entry_per_name():
    history = _history()
    fig = curves_figure(history)
    assert len(fig.data) == 4
    assert [(t.xaxis, t.yaxis) for t in fig.data] == [("x", "y")] * 2 + [("x2", "y2")] * 2
    np.testing.assert_allclose(fig.data[2].y, history["train_acc"])
    legend_names = [t.name for t in fig.data if t.showlegend is not False]
    assert legend_names == ["train", "validation"]
    # Grouped, so one click on "train" hides both train curves.
    assert [t.legendgroup for t in fig.data] == ["train", "validation"] * 2
    assert fig.layout.yaxis.title.text == "loss"
    assert fig.layout.yaxis2.tickformat == ".0%"


def test_curves_figure_for_regression_keeps_the_loss_and_notes_accuracy():
    fig = curves_figure(_history().drop(columns=["train_acc", "val_acc"]))
    assert [t.name for t in fig.data] == ["train", "validation", ""]
    assert fig.data[2].xaxis == "x2" and len(fig.data[2].x) == 0
    (note,) = fig.layout.annotations
    assert note.text == "Accuracy applies to classification only" and note.xref == "x2 domain"


# --- confusion matrix ------------------------------------------------------------------------


def test_confusion_matrix_on_a_hand_worked_example():
    y_true = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 2, 2, 0, 2]
    expected = np.array(
        [
            [1, 1, 0],  # true 0: once right, once called 1
            [0, 2, 1],  # true 1: twice right, once called 2
            [1, 0, 3],  # true 2: three right, once called 0
        ]
    )
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, 3), expected)
    assert confusion_matrix([], [], 2).tolist() == [[0, 0], [0, 0]]
    with pytest.raises(ValueError):
        confusion_matrix([0, 3], [0, 1], 3)


def test_confusion_figure_normalizes_rows_and_writes_counts():
    matrix = np.array([[1, 1, 0], [0, 2, 1], [0, 0, 0]])
    fig = confusion_figure(matrix, ["cat", "dog", "bird"])
    (heatmap,) = fig.data
    assert isinstance(heatmap, go.Heatmap)
    np.testing.assert_allclose(heatmap.z, [[0.5, 0.5, 0], [0, 2 / 3, 1 / 3], [0, 0, 0]])
    np.testing.assert_array_equal(heatmap.text, matrix)
    assert "%{text}" in heatmap.texttemplate
    assert list(heatmap.x) == list(heatmap.y) == ["cat", "dog", "bird"]
    assert fig.layout.xaxis.title.text == "predicted" and fig.layout.yaxis.title.text == "true"
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "category"


def test_confusion_figure_raw_counts_and_numeric_class_names():
    matrix = np.array([[5, 0], [2, 3]])
    heatmap = confusion_figure(matrix, [0, 1], normalize=False).data[0]
    np.testing.assert_allclose(heatmap.z, matrix)
    assert (heatmap.zmin, heatmap.zmax) == (0, 5)
    assert list(heatmap.x) == ["0", "1"]
    with pytest.raises(ValueError):
        confusion_figure(matrix, ["a", "b", "c"])


# --- sample predictions ----------------------------------------------------------------------


def test_order_misclassified_first_is_stable():
    true = np.array([0, 1, 2, 3, 4, 5])
    predicted = np.array([0, 2, 2, 1, 4, 0])
    np.testing.assert_array_equal(order_misclassified_first(true, predicted), [1, 3, 5, 0, 2, 4])


def test_predictions_figure_has_one_image_per_sample_with_marked_titles():
    rng = np.random.default_rng(0)
    images = rng.random((5, 1, 8, 8))
    true = np.array([7, 1, 3, 3, 0])
    predicted = np.array([7, 2, 3, 5, 0])
    confidence = np.array([0.92, 0.61, 0.5, 0.4, 0.99])
    classes = [str(i) for i in range(10)]
    fig = predictions_figure(images, true, predicted, classes, confidence=confidence, columns=3)
    assert len(fig.data) == 5 and all(isinstance(t, go.Image) for t in fig.data)
    # Grayscale becomes equal R, G, B bytes.
    z = np.asarray(fig.data[0].z)
    assert z.shape == (8, 8, 3) and z.dtype == np.uint8
    np.testing.assert_array_equal(z[..., 0], np.rint(images[0, 0] * 255))
    np.testing.assert_array_equal(z[..., 0], z[..., 2])
    titles = fig.layout.annotations
    assert [a.text for a in titles][:2] == ["✓ 7→7 92%", "✗ 1→2 61%"]
    assert [a.text[0] for a in titles] == ["✓", "✗", "✓", "✗", "✓"]
    assert [a.font.color for a in titles] == [
        CORRECT_COLOR,
        WRONG_COLOR,
        CORRECT_COLOR,
        WRONG_COLOR,
        CORRECT_COLOR,
    ]
    # 5 images in 3 columns: two rows.
    assert (fig.data[3].xaxis, fig.data[3].yaxis) == ("x4", "y4")
    assert fig.layout.xaxis.showticklabels is False


def test_predictions_figure_rgb_without_confidence():
    images = np.ones((2, 3, 4, 4))
    images[:, 1:] = 0.0  # pure red
    fig = predictions_figure(images, [0, 1], [0, 0], ["cat", "dog"])
    assert np.asarray(fig.data[0].z)[0, 0].tolist() == [255, 0, 0]
    assert [a.text for a in fig.layout.annotations] == ["✓ cat→cat", "✗ dog→cat"]


def test_predictions_figure_with_no_samples():
    fig = predictions_figure(np.zeros((0, 1, 8, 8)), [], [], ["a"])
    assert len(fig.data) == 0
    assert _texts(fig) == ["No samples"]


# --- network diagram -------------------------------------------------------------------------


LENET = [
    {"index": 0, "type": "conv2d", "output_shape": [6, 28, 28], "params": 156, "detail": "5×5, stride 1"},
    {"index": 1, "type": "relu", "output_shape": [6, 28, 28], "params": 0},
    {"index": 2, "type": "maxpool2d", "output_shape": [6, 14, 14], "params": 0},
    {"index": 3, "type": "flatten", "output_shape": [1176], "params": 0},
    {"index": 4, "type": "linear", "output_shape": [120], "params": 141_240},
    {
        "index": 5,
        "type": "linear",
        "output_shape": None,
        "params": None,
        "error": "expects 84 inputs, got 120",
    },
]


def _rects(fig: go.Figure) -> list:
    return [s for s in fig.layout.shapes if s.type == "rect"]


def test_format_shape():
    assert format_shape([1, 8, 8]) == "1×8×8"
    assert format_shape([10]) == "10"
    assert format_shape((3, 32, 32)) == "3×32×32"
    assert format_shape(None) == "?"
    assert format_shape([None, 4]) == "?×4"


def test_layer_family():
    families = [
        layer_family(t)
        for t in (
            "Conv2d",
            "relu",
            "maxpool2d",
            "batchnorm2d",
            "dropout",
            "flatten",
            "residual",
            "linear",
            "mystery",
        )
    ]
    assert families == [
        "conv",
        "activation",
        "pool",
        "normalization",
        "dropout",
        "reshape",
        "block",
        "linear",
        "other",
    ]


def test_network_figure_draws_input_then_one_box_per_layer():
    fig = network_figure(LENET, input_shape=[1, 28, 28])
    boxes = _rects(fig)
    assert len(boxes) == len(LENET) + 1
    hover, types, shapes = fig.data
    assert list(types.text) == ["input", "conv2d", "relu", "maxpool2d", "flatten", "linear", "⚠ linear"]
    assert list(shapes.text) == ["1×28×28", "6×28×28", "6×28×28", "6×14×14", "1176", "120", "?"]
    assert len(hover.x) == len(LENET) + 1
    assert "5×5, stride 1" in hover.hovertext[1] and "params 156" in hover.hovertext[1]
    assert "params 141,240" in hover.hovertext[5]
    # One arrow between each pair of neighbours.
    assert len(fig.layout.annotations) == len(LENET)
    # Boxes run left to right; taller where more values flow out.
    centres = [(b.x0 + b.x1) / 2 for b in boxes]
    assert centres == sorted(centres)
    height = [b.y1 - b.y0 for b in boxes]
    assert height[1] > height[3] > height[0] > height[5]  # 4704 > 1176 > 784 > 120 values
    assert height[1] == pytest.approx(height[2]) and height[3] == pytest.approx(height[4])


def test_network_figure_marks_the_error_row():
    fig = network_figure(LENET, input_shape=[1, 28, 28])
    bad, good = _rects(fig)[-1], _rects(fig)[-2]
    assert bad.line.color == ERROR_COLOR and bad.line.width > good.line.width
    assert fig.data[1].textfont.color[-1] == ERROR_COLOR
    assert "⚠ expects 84 inputs, got 120" in fig.data[0].hovertext[-1]


def test_network_figure_with_no_layers_shows_the_input():
    fig = network_figure([], input_shape=[3, 32, 32])
    assert len(_rects(fig)) == 1
    assert list(fig.data[1].text) == ["input"] and list(fig.data[2].text) == ["3×32×32"]
    assert len(fig.layout.annotations) == 0


def test_network_figure_grows_with_depth():
    rows = [
        {"index": i, "type": "linear" if i % 2 == 0 else "relu", "output_shape": [64], "params": 4160}
        for i in range(60)
    ]
    small = network_figure(rows[:3], input_shape=[64])
    deep = network_figure(rows, input_shape=[64])
    assert len(_rects(deep)) == 61 and len(deep.layout.annotations) == 60
    assert deep.layout.width > small.layout.width
    assert deep.layout.height == small.layout.height == 260
    assert deep.layout.xaxis.visible is False and deep.layout.yaxis.visible is False
    assert network_figure(rows[:3], input_shape=[64], width=500).layout.width == 500


def test_network_figure_accepts_a_blank_row_waiting_on_an_earlier_error():
    rows = [
        {
            "index": 0,
            "type": None,
            "output_shape": None,
            "params": None,
            "detail": "",
            "error": "pick a type",
        },
        {"index": 1, "type": "relu", "output_shape": None, "params": None, "error": "waiting for layer 0"},
    ]
    fig = network_figure(rows, input_shape=[2])
    assert list(fig.data[1].text) == ["input", "⚠ ?", "⚠ relu"]
    assert [b.line.color for b in _rects(fig)][1:] == [ERROR_COLOR, ERROR_COLOR]
