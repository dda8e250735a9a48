"""The app's sections and pages, listed once: `app.py` routes with them and Home links to them."""

from __future__ import annotations

import dataclasses

import streamlit as st


@dataclasses.dataclass(frozen=True)
class PageEntry:
    path: str
    title: str
    icon: str


SECTIONS: dict[str, list[PageEntry]] = {
    "Start": [PageEntry("pages/home.py", "Home", ":material/home:")],
    "Basics": [
        PageEntry("pages/playground2d.py", "2-D Playground", ":material/scatter_plot:"),
        PageEntry("pages/neuron.py", "Neuron & activations", ":material/radio_button_checked:"),
        PageEntry("pages/backprop.py", "Backpropagation", ":material/timeline:"),
        PageEntry("pages/approximation.py", "Universal approximation", ":material/functions:"),
    ],
    "Build & train": [PageEntry("pages/build_train.py", "Build & Train", ":material/construction:")],
    "Training lab": [
        PageEntry("pages/optimizers.py", "Optimizer race", ":material/speed:"),
        PageEntry("pages/initialization.py", "Initialization", ":material/stacked_line_chart:"),
        PageEntry("pages/batch_norm.py", "Batch normalization", ":material/equalizer:"),
        PageEntry("pages/dropout.py", "Dropout", ":material/grain:"),
        PageEntry("pages/regularization.py", "Regularization", ":material/tune:"),
        PageEntry("pages/compare_runs.py", "Compare runs", ":material/compare_arrows:"),
    ],
    "CNN lab": [
        PageEntry("pages/convolution.py", "Convolution explorer", ":material/grid_on:"),
        PageEntry("pages/pooling.py", "Pooling & parameters", ":material/view_comfy:"),
        PageEntry("pages/inside_cnn.py", "Inside a trained CNN", ":material/layers:"),
        PageEntry("pages/gallery.py", "Architecture gallery", ":material/account_tree:"),
    ],
    "Explain & attack": [
        PageEntry("pages/saliency.py", "Saliency maps", ":material/visibility:"),
        PageEntry("pages/class_visualization.py", "What it wants to see", ":material/palette:"),
        PageEntry("pages/adversarial.py", "Adversarial examples", ":material/bug_report:"),
        PageEntry("pages/robustness.py", "Fooling & hardening", ":material/shield:"),
    ],
    "Latent space": [
        PageEntry("pages/autoencoder.py", "Autoencoder studio", ":material/compress:"),
        PageEntry("pages/latent_space.py", "Latent map & walks", ":material/explore:"),
        PageEntry("pages/gan2d.py", "2-D GAN", ":material/casino:"),
    ],
    "Sequences": [
        PageEntry("pages/rnn_steps.py", "An RNN, step by step", ":material/repeat:"),
        PageEntry("pages/long_memory.py", "RNN vs LSTM vs GRU", ":material/memory:"),
        PageEntry("pages/language_model.py", "A language model that writes", ":material/edit_note:"),
        PageEntry("pages/word_embeddings.py", "Word embeddings", ":material/hub:"),
    ],
    "Beyond classification": [
        PageEntry("pages/transposed_conv.py", "Transposed convolution", ":material/open_in_full:"),
        PageEntry("pages/segmentation.py", "A network that paints pixels", ":material/format_paint:"),
        PageEntry("pages/iou_nms.py", "IoU & non-maximum suppression", ":material/select_all:"),
        PageEntry("pages/yolo_grid.py", "The YOLO grid", ":material/grid_4x4:"),
        PageEntry("pages/detector.py", "A detector that learns", ":material/center_focus_strong:"),
        PageEntry("pages/anchors.py", "Anchors", ":material/crop_free:"),
        PageEntry("pages/transfer.py", "Transfer learning", ":material/move_up:"),
    ],
    "Classroom": [
        PageEntry("pages/teachers.py", "For teachers", ":material/school:"),
        PageEntry("pages/your_data.py", "Your data & export", ":material/upload_file:"),
    ],
}


def pages() -> dict[str, list]:
    """`st.Page`s by section, for `st.navigation`; the first page is the default."""
    first = SECTIONS["Start"][0].path
    return {section: [st.Page(e.path, title=e.title, icon=e.icon, default=e.path == first) for e in entries]
            for section, entries in SECTIONS.items()}


def section_links(section: str) -> None:
    """A link to each page of `section`."""
    for entry in SECTIONS[section]:
        st.page_link(entry.path, label=entry.title, icon=entry.icon)
