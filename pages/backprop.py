import math
import re

import pandas as pd
import streamlit as st

from playground import backprop
from playground.figures.basics import graph_figure, number
from playground.ui.boot import ensure_navigation
from playground.ui.inputs import memo
from playground.ui.urlstate import Field, PageState, json_field

ensure_navigation()

CUSTOM = "custom"
FIRST = backprop.EXAMPLES["sum_then_product"]


def _valid_values(values) -> bool:
    return isinstance(values, dict) and all(isinstance(v, (int, float)) for v in values.values())


state = PageState("bp", {
    "example": Field("sum_then_product", check=lambda v: v in backprop.EXAMPLES or v == CUSTOM),
    "expression": Field(FIRST.expression, check=lambda v: len(v) <= backprop.MAX_LENGTH),
    "values": json_field(dict(FIRST.values), check=_valid_values),
    "position": Field(0, int, check=lambda v: v >= 0),
})
for problem in state.restore():
    st.warning(problem)


def _value_key(name: str) -> str:
    return f"bp.value.{name}"


def _forget_value_widgets() -> None:
    for key in [k for k in st.session_state if str(k).startswith("bp.value.")]:
        del st.session_state[key]


def load_example() -> None:
    name = state["example"]
    if name in backprop.EXAMPLES:
        state["expression"] = backprop.EXAMPLES[name].expression
        state["values"] = dict(backprop.EXAMPLES[name].values)
        _forget_value_widgets()
    state["position"] = 0


def expression_edited() -> None:
    state["example"] = CUSTOM
    state["position"] = 0


def value_edited(name: str) -> None:
    if _value_key(name) in st.session_state:  # not when an example was loaded in the same run
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
c1.selectbox("Example", [*backprop.EXAMPLES, CUSTOM], key=state.key("example"), on_change=load_example,
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
    text = state["expression"]
    st.error(f"This expression cannot be used: {e.reason}.")
    if e.position is not None:
        line_start = text.rfind("\n", 0, e.position - 1) + 1
        line_end = text.find("\n", e.position - 1)
        line = text[line_start: line_end if line_end >= 0 else len(text)]
        st.code(line + "\n" + " " * (e.position - 1 - line_start) + "^ here", language=None)
    state.save()
    st.stop()

st.markdown("**Values of the inputs**")
columns = st.columns(min(6, max(1, len(program.inputs))))
values = {}
for k, name in enumerate(program.inputs):
    # The stored value is the widget's default (not set through session state), so a widget that is
    # new in this run starts from it even when the browser reports it before the run ends.
    values[name] = float(columns[k % len(columns)].number_input(
        name, value=float(state["values"].get(name, 1.0)), key=_value_key(name), step=0.1, format="%.4g",
        on_change=value_edited, args=(name,)))
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
st.plotly_chart(graph_figure(graph, layout, known=graph.grads_after(position), current=current),
                key="bp.fig.graph")


def node_name(index: int) -> str:
    n = graph.nodes[index]
    return n.name or n.text


def rule_with_names(rule: str, node) -> str:
    """A local-gradient rule written with the node's operands ('−a / b²' → '−e1 / s²')."""
    names = [node_name(i) for i in node.args]
    names = [n if n.isidentifier() or n.replace(".", "").replace("−", "").isdigit() else f"({n})" for n in names]
    return re.sub(r"\b[ab]\b", lambda m: names["ab".index(m.group())] if "ab".index(m.group()) < len(names)
                  else m.group(), rule)


out = node_name(graph.output)
if position == 0:
    st.info(f"**Forward pass.** Each node shows its value; the output {out} = {number(graph.value)}. "
            "Press **Next** to start the backward pass.")
elif position == 1:
    st.info(f"**The backward pass starts at the output:** ∂{out}/∂{out} = 1.")
else:
    node = graph.nodes[current.node]
    lines = [f"**Node {node_name(current.node)}** (value {number(node.value)}) has received "
             f"∂{out}/∂{node_name(current.node)} = {number(current.upstream)}. It passes back to each of its inputs:"]
    for part in current.parts:
        operand = node_name(part.operand)
        lines.append(f"- to **{operand}**: local slope ∂{node_name(current.node)}/∂{operand} = "
                     f"{rule_with_names(part.rule, node)} = "
                     f"{number(part.local)}, so {number(current.upstream)} × {number(part.local)} = "
                     f"**{number(part.product)}** is added to ∂{out}/∂{operand}.")
    if not current.parts:
        lines.append("- nothing: it uses only fixed numbers.")
    st.info("\n".join(lines))
if position == last and graph.steps:
    st.success(f"Done: every input now holds ∂{out}/∂input. A whole network's backward pass is these same steps, "
               "repeated for every weight.")

st.subheader("Gradients: this page and PyTorch")
torch_result = backprop.torch_grads(state["expression"], values)
rows = [{"input": name, "value": values[name], f"∂{out}/∂input (step by step above)": graph.grads[name],
         "torch.autograd": torch_result[name],
         "same?": "yes" if math.isclose(graph.grads[name], torch_result[name], rel_tol=1e-9, abs_tol=1e-12)
         or graph.grads[name] == torch_result[name] else "no"} for name in program.inputs]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
if not graph.finite:
    st.warning("Some gradient is not a finite number here (for example the slope of sqrt at 0). Try other values.")
st.caption("PyTorch records the same graph while it computes the output and runs the same chain rule backwards "
           "when its `backward` method is called. Gradients of the weights are what gradient descent uses to learn.")
state.save()
