"""Neural Playground: build, train and look inside neural networks.

The library runs without Streamlit: datasets (`playground.data`), network specs
(`playground.models`), training in worker processes (`playground.jobs.train`), run
records (`playground.jobs.runs`) and Plotly figures (`playground.figures`).
"""

__version__ = "0.1.0"
