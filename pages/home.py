import streamlit as st

from playground.ui.boot import ensure_navigation
from playground.ui.navigation import section_links

ensure_navigation()

st.title("Neural Playground")
st.markdown(
    "Build a neural network from layers, train it live, and look inside. "
    "Everything here runs in your browser tab against a small server: change a layer and the shapes "
    "update; press **Train** and watch the curves move while it learns."
)

left, right = st.columns(2)
with left:
    st.subheader("Start here")
    st.markdown(
        "1. Open **Build & Train**.\n"
        "2. Pick a dataset (the 8×8 handwritten **digits** load instantly) and a preset network such as "
        "**lenet5**.\n"
        "3. Edit the layers in the table if you like: each row shows its output shape and parameter count, "
        "and a layer that cannot work says why.\n"
        "4. Press **Train**. Loss and accuracy curves grow epoch by epoch; afterwards you see the confusion "
        "matrix and the test images the network got wrong."
    )
    st.page_link("pages/build_train.py", label="Open Build & Train", icon=":material/construction:")
st.subheader("What is here")
SUMMARIES = {
    "Basics": "a network learning on 2-D points, live; neurons, backpropagation and approximation.",
    "Training lab": "how optimizers move, why initialization matters, what batch norm, dropout and other "
                    "regularizers change, and how runs compare.",
    "CNN lab": "convolution step by step, and what a trained CNN has learned.",
    "Explain & attack": "where a network looks, and how to fool it.",
    "Latent space": "autoencoders: squeeze images into a code, walk through it, compare with PCA; "
                    "and a GAN on a plane.",
    "Sequences": "a recurrent network step by step, why LSTMs remember longer, a language model that "
                 "learns to write, and word embeddings.",
    "Beyond classification": "boxes and pictures instead of labels: a network that paints each pixel's class "
                             "with transposed convolutions, IoU and non-maximum suppression, the YOLO grid and a "
                             "detector trained live, anchors, and transfer learning from one task to another.",
    "Classroom": "sharing and presenting, training on your own data, and taking a network with you.",
}
PER_ROW = 3
items = list(SUMMARIES.items())
for start in range(0, len(items), PER_ROW):
    for column, (section, summary) in zip(st.columns(PER_ROW, border=True), items[start:start + PER_ROW]):
        with column:
            st.markdown(f"**{section}**: {summary}")
            section_links(section)

with right:
    st.subheader("Good to know")
    st.markdown(
        "- Training runs in background worker processes, so the page stays responsive; the sidebar shows "
        "your runs on every page.\n"
        "- The address bar holds your network and settings: copy it (or use **Share this page** in the "
        "sidebar) to share exactly what you see, or reload without losing it.\n"
        "- Teaching? **Presentation mode** in the sidebar makes everything larger for a projector, and "
        "**Make an exercise** turns a page into a link with some controls hidden or locked.\n"
        "- Download a trained model as a `.safetensors` checkpoint (the network's spec is inside) and "
        "upload it later to carry on."
    )
