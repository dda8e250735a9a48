import pandas as pd
import streamlit as st

from playground.basics import backprop
from playground.figures.basics.lessons import graph_figure, number
from playground.ui.boot import ensure_navigation
from playground.ui.charts import chart
from playground.ui.inputs import memo
from playground.ui.urlstate import Field, PageState, choice, json_field
from playground.ui.urlstate import number as number_field

ensure_navigation()

CUSTOM = "custom"
FIRST = backprop.EXAMPLES["sum_then_product"]


def _valid_values(values) -> bool:
    return isinstance(values, dict) and all(isinstance(v, (int, float)) for v in values.values())


state = PageState("bp", {
    "example": choice("sum_then_product", (*backprop.EXAMPLES, CUSTOM)),
    "expression": Field(FIRST.expression, check=lambda v: len(v) <= backprop.MAX_LENGTH),
    "values": json_field(dict(FIRST.values), check=_valid_values),
    "position": number_field(0, 0),
})
for problem in state.restore():
    st.warning(problem)


def _value_key(name: str) -> str:
    return f"bp.value.{name}"


def load_example() -> None:
    """Put the chosen example's expression and values in place, the boxes included.

    The boxes' values are set through session state: a box the browser already shows keeps its own
    number otherwise, and the next click would send that number back.
    """
    name = state["example"]
    if name in backprop.EXAMPLES:
        example = backprop.EXAMPLES[name]
        state["expression"], state["values"] = example.expression, dict(example.values)
        for key in [k for k in st.session_state if str(k).startswith("bp.value.")]:
            del st.session_state[key]
        for input_name, value in example.values.items():
            st.session_state[_value_key(input_name)] = float(value)
    state["position"] = 0


def expression_edited() -> None:
    state["example"] = CUSTOM
    state["position"] = 0


def value_edited(name: str) -> None:
    state["values"] = {**state["values"], name: float(st.session_state[_value_key(name)])}


def move(delta: int, last: int) -> None:
    state["position"] = max(0, min(state["position"] + delta, last))


def jump(to: int) -> None:
    state["position"] = to


st.title("Backpropagation, step by step")
st.caption("Any formula is a graph of small operations. The forward pass computes each node's value from left to "
           "right. The backward pass goes right to left: each node receives ∂output/∂node, multiplies it by its "
           "own local slope for each input (the chain rule) and passes the product on. Where a value is used "
           "twice, the arriving gradients add up.")

c1, c2 = st.columns([1, 2])
state.selectbox("example", "Example", container=c1, on_change=load_example,
                format_func=lambda n: backprop.EXAMPLES[n].label if n in backprop.EXAMPLES else "your own expression")
if state["example"] in backprop.EXAMPLES:
    c1.caption(backprop.EXAMPLES[state["example"]].note)
c2.text_area("Expression (one step per line, or separated by ';'; the last line is the output)",
             key=state.key("expression"), on_change=expression_edited,
             height=min(280, 40 + 24 * state["expression"].count("\n")) if "\n" in state["expression"] else 68,
             help="Allowed: numbers, names, + − * / ^ (power), unary minus, and "
                  f"{', '.join(backprop.FUNCTIONS)}. Name an intermediate result with 'q = x + y'.")

try:
    program = backprop.parse(state["expression"])
except backprop.BackpropError as e:
    st.error(f"This expression cannot be used: {e.reason}.")
    if (pointer := backprop.point_at(state["expression"], e)) is not None:
        st.code(pointer, language=None)
    state.save()
    st.stop()

st.markdown("**Values of the inputs**")
columns = st.columns(min(6, max(1, len(program.inputs))))
values = {}
for k, name in enumerate(program.inputs):
    if _value_key(name) not in st.session_state:  # a new box starts from the kept (or linked) value
        st.session_state[_value_key(name)] = float(state["values"].get(name, 1.0))
    values[name] = float(columns[k % len(columns)].number_input(
        name, key=_value_key(name), step=0.1, format="%.4g", on_change=value_edited, args=(name,)))
if values != {n: state["values"].get(n) for n in program.inputs}:
    state["values"] = {**state["values"], **values}

try:
    graph = backprop.trace(state["expression"], values)
except backprop.BackpropError as e:
    st.error(f"These values cannot be used: {e}. Change a value or the expression.")
    state.save()
    st.stop()

last = graph.positions - 1
position = min(state["position"], last)
b1, b2, b3, b4, info = st.columns([1, 1, 1, 1.3, 3])
b1.button("Reset", icon=":material/restart_alt:", key="bp.reset", on_click=jump, args=(0,), width="stretch")
b2.button("Previous", icon=":material/chevron_left:", key="bp.prev", on_click=move, args=(-1, last),
          disabled=position == 0, width="stretch")
b3.button("Next", icon=":material/chevron_right:", key="bp.next", on_click=move, args=(1, last),
          disabled=position >= last, width="stretch")
b4.button("Last step", icon=":material/skip_next:", key="bp.end", on_click=jump, args=(last,), width="stretch")
info.markdown(f"**Step {position} of {last}**")

current = graph.steps[position - 2] if position >= 2 else None
layout = memo(("bp.layout", state["expression"]), lambda: backprop.graph_layout(graph))
chart(graph_figure(graph, layout, known=graph.grads_after(position), current=current),
      key="bp.fig.graph")
st.info(backprop.explain_position(graph, position, number=number))
if position == last and graph.steps:
    st.success(f"Done: every input now holds ∂{backprop.node_name(graph, graph.output)}/∂input. A whole network's "
               "backward pass is these same steps, repeated for every weight.")

st.subheader("Gradients: this page and PyTorch")
st.dataframe(pd.DataFrame(backprop.compare_with_torch(graph, state["expression"], values)), hide_index=True,
             width="stretch")
if not graph.finite:
    st.warning("Some gradient is not a finite number here (for example the slope of sqrt at 0). Try other values.")
st.caption("PyTorch records the same graph while it computes the output and runs the same chain rule backwards "
           "when its `backward` method is called. Gradients of the weights are what gradient descent uses to learn.")
state.save()
