"""Neural Playground: build, train and look inside neural networks.

The library runs without Streamlit: datasets (`playground.data`), network specs
(`playground.models`), training in worker processes (`playground.train`), run
records (`playground.runs`) and Plotly figures (`playground.figures`).
"""

__version__ = "0.1.0"
