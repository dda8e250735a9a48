"""Backpropagation on a computational graph, one node at a time, for small typed expressions.

`trace("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4})` parses the text into a graph of
operations, runs the forward pass (each node's value) and the backward pass (each node's gradient,
d output / d node, by the chain rule), and returns a `Graph`. `Graph.steps` replays the backward
pass one node at a time: the gradient arriving at the node, each local gradient (d node / d operand)
and their product, which is added to that operand's gradient.

The text is read with Python's `ast` module and only a whitelist of constructs is accepted: numbers,
names, + − × ÷, unary minus, powers (`^` or `**`) and the one-argument functions in `FUNCTIONS`.
Statements are separated by `;` or new lines; `name = expression` names an intermediate node, and
the last statement is the output. Nothing is ever passed to `eval`. Anything else raises
`BackpropError`, which says what was not understood and where.

`torch_grads` evaluates the same expression with PyTorch tensors and returns what `torch.autograd`
computes, so a page (and the tests) can put the two side by side. `evaluate` runs an expression on
numpy arrays (e.g. a formula of x for a curve).
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

__all__ = ["EXAMPLES", "FUNCTIONS", "MAX_LENGTH", "MAX_NODES", "BackpropError", "BackwardStep", "Example", "Graph",
           "LocalGradient", "Node", "Program", "compare_with_torch", "evaluate", "explain_position", "graph_layout",
           "node_name", "parse", "point_at", "rule_with_names", "softmax_network_example", "torch_grads", "trace"]

MAX_LENGTH = 2000  # characters of text accepted
MAX_NODES = 300  # a graph larger than this cannot be read on a screen anyway
CONSTANTS = {"pi": math.pi}


class BackpropError(ValueError):
    """An expression that cannot be read or evaluated; `position` is the 1-based character, if known."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message if position is None else f"{message} (at character {position})")
        self.reason = message
        self.position = position


def _sigmoid_np(a):
    a = np.asarray(a, dtype=float)
    # exp of a negative number only: no overflow warning for large |a|.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


# name -> (numpy function, torch function name, local derivative d f(a)/da from a and f(a), rule text)
FUNCTIONS: dict[str, tuple[Callable, str, Callable, str]] = {
    "exp": (np.exp, "exp", lambda a, f: f, "exp(a)"),
    "log": (np.log, "log", lambda a, f: 1 / a, "1 / a"),
    "sigmoid": (_sigmoid_np, "sigmoid", lambda a, f: f * (1 - f), "σ(a)·(1 − σ(a))"),
    "tanh": (np.tanh, "tanh", lambda a, f: 1 - f * f, "1 − tanh²(a)"),
    "relu": (lambda a: np.maximum(a, 0.0), "relu", lambda a, f: np.where(np.asarray(a) > 0, 1.0, 0.0),
             "1 if a > 0, else 0"),
    "sin": (np.sin, "sin", lambda a, f: np.cos(a), "cos(a)"),
    "cos": (np.cos, "cos", lambda a, f: -np.sin(a), "−sin(a)"),
    "abs": (np.abs, "abs", lambda a, f: np.sign(a), "sign(a)"),
    "sqrt": (np.sqrt, "sqrt", lambda a, f: 0.5 / f, "1 / (2·√a)"),
}
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "neg": "−"}
_HINT = "use numbers, names, + − × ÷ ^ and " + ", ".join(FUNCTIONS)


# ----------------------------------------------------------------------------------------------
# Parsing


@dataclasses.dataclass(frozen=True)
class Operation:
    """One node of a parsed expression: what it computes from which earlier nodes."""

    op: str  # "input", "const", "neg", one of the binary ops, or a name in FUNCTIONS
    args: tuple[int, ...] = ()
    name: str | None = None  # the input's name, or the name given with `name = ...`
    text: str = ""  # the sub-expression, written out
    constant: float | None = None


@dataclasses.dataclass(frozen=True)
class Program:
    """A parsed expression: operations in evaluation order; `output` is the last statement's node."""

    operations: tuple[Operation, ...]
    output: int

    @property
    def inputs(self) -> list[str]:
        """The input names, in order of first use."""
        return [o.name for o in self.operations if o.op == "input"]

    def run(self, values: Mapping[str, object], backend: str = "numpy") -> list:
        """The value of every node, for inputs given as floats / numpy arrays ("numpy") or tensors ("torch")."""
        if backend == "torch":
            import torch

            call = {name: getattr(torch, fn) for name, (_, fn, _, _) in FUNCTIONS.items()}
            number = lambda value: torch.tensor(value, dtype=torch.float64)
        else:
            call = {name: fn for name, (fn, _, _, _) in FUNCTIONS.items()}
            number = float
        out: list = []
        for o in self.operations:
            args = [out[i] for i in o.args]
            if o.op == "input":
                out.append(values[o.name])
            elif o.op == "const":
                out.append(number(o.constant))
            elif o.op == "neg":
                out.append(-args[0])
            elif o.op in _BINARY_FUNCTIONS:
                out.append(_BINARY_FUNCTIONS[o.op](*args))
            else:
                out.append(call[o.op](args[0]))
        return out


_BINARY_FUNCTIONS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
                     "div": lambda a, b: a / b, "pow": lambda a, b: a ** b}


def _normalize(text: str) -> tuple[str, list[int]]:
    """Python spelling of the typed maths (^ → **, × → *, ...), and each new character's 1-based origin."""
    replacements = {"^": "**", "×": "*", "·": "*", "÷": "/", "−": "-", "–": "-"}
    chars, origin = [], []
    for k, ch in enumerate(text):
        new = replacements.get(ch, ch)
        chars.append(new)
        origin.extend([k + 1] * len(new))
    return "".join(chars), origin


def _pretty(node: ast.AST) -> str:
    return ast.unparse(node).replace("**", "^").replace("*", "·").replace("-", "−")


class _Parser:
    def __init__(self, source: str, origin: list[int]):
        self.source, self.origin = source, origin
        self.operations: list[Operation] = []
        self.names: dict[str, int] = {}  # inputs and named intermediates -> node
        self.assigned: set[str] = set()

    def where(self, node: ast.AST) -> int | None:
        line, col = getattr(node, "lineno", None), getattr(node, "col_offset", None)
        if line is None or col is None:
            return None
        offset = sum(len(s) + 1 for s in self.source.split("\n")[: line - 1]) + col
        return self.origin[offset] if offset < len(self.origin) else None

    def fail(self, message: str, node: ast.AST):
        raise BackpropError(message, self.where(node))

    def add(self, operation: Operation) -> int:
        if len(self.operations) >= MAX_NODES:
            raise BackpropError(f"the expression is too long (more than {MAX_NODES} nodes)")
        self.operations.append(operation)
        return len(self.operations) - 1

    def statement(self, node: ast.stmt) -> int:
        if isinstance(node, ast.Expr):
            return self.expression(node.value)
        if isinstance(node, ast.Assign):
            if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
                self.fail("only 'name = expression' can be assigned", node)
            name = node.targets[0].id
            if name in FUNCTIONS or name in CONSTANTS:
                self.fail(f"'{name}' is a function or constant and cannot be given a value", node)
            if name in self.names:
                what = "is an input (it was used before this line)" if name not in self.assigned else \
                    "already has a value"
                self.fail(f"'{name}' {what}; give the new value another name", node)
            index = self.expression(node.value)
            o = self.operations[index]
            if o.name is None and o.op not in ("input", "const"):
                self.operations[index] = dataclasses.replace(o, name=name)
            self.names[name] = index
            self.assigned.add(name)
            return index
        self.fail(f"'{ast.unparse(node)}' is not an expression; {_HINT}", node)

    def expression(self, node: ast.expr) -> int:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                self.fail(f"{node.value!r} is not a number", node)
            return self.add(Operation("const", text=_pretty(node), constant=float(node.value)))
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id in CONSTANTS:
                return self.add(Operation("const", text=node.id, constant=CONSTANTS[node.id]))
            if node.id in FUNCTIONS:
                self.fail(f"'{node.id}' is a function: write {node.id}(...)", node)
            index = self.add(Operation("input", name=node.id, text=node.id))
            self.names[node.id] = index
            return index
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left = self.expression(node.left)
            right = self.expression(node.right)
            return self.add(Operation(_BINARY[type(node.op)], (left, right), text=_pretty(node)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.expression(node.operand)
            if isinstance(node.op, ast.UAdd):
                return inner
            if self.operations[inner].op == "const":  # -3 is a number, not an operation
                o = self.operations[inner]
                self.operations[inner] = dataclasses.replace(o, constant=-o.constant, text=_pretty(node))
                return inner
            return self.add(Operation("neg", (inner,), text=_pretty(node)))
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            if name not in FUNCTIONS:
                self.fail(f"unknown function '{name}'; the functions are {', '.join(FUNCTIONS)}", node)
            if len(node.args) != 1 or node.keywords:
                self.fail(f"{name}(...) takes exactly one argument", node)
            inner = self.expression(node.args[0])
            return self.add(Operation(name, (inner,), text=_pretty(node)))
        self.fail(f"'{ast.unparse(node)}' is not allowed; {_HINT}", node)


def parse(expression: str) -> Program:
    """Read `expression` (see the module docstring) into a `Program`; raises BackpropError."""
    if not isinstance(expression, str) or not expression.strip():
        raise BackpropError("the expression is empty")
    if len(expression) > MAX_LENGTH:
        raise BackpropError(f"the expression is too long (more than {MAX_LENGTH} characters)")
    source, origin = _normalize(expression)
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as e:
        position = None
        if e.lineno is not None and e.offset is not None:
            offset = sum(len(s) + 1 for s in source.split("\n")[: e.lineno - 1]) + e.offset - 1
            position = origin[min(offset, len(origin) - 1)]
        reason = (e.msg or "invalid syntax").replace("'**'", "'^'")
        raise BackpropError(f"could not read the expression: {reason}", position) from None
    if not tree.body:
        raise BackpropError("the expression is empty")
    parser = _Parser(source, origin)
    output = None
    for statement in tree.body:
        output = parser.statement(statement)
    return Program(tuple(parser.operations), output)


def evaluate(expression: str, values: Mapping[str, object]) -> np.ndarray:
    """The expression's output for numpy inputs (broadcast together); raises BackpropError for a missing input."""
    program = parse(expression)
    missing = [name for name in program.inputs if name not in values]
    if missing:
        raise BackpropError(f"unknown name '{missing[0]}'; the names here are {', '.join(values) or 'none'}")
    with np.errstate(all="ignore"):
        return np.asarray(program.run({k: np.asarray(v, dtype=float) for k, v in values.items()})[program.output],
                          dtype=float)


# ----------------------------------------------------------------------------------------------
# The graph: forward and backward pass


@dataclasses.dataclass(frozen=True)
class Node:
    """A node of the traced graph, with its value and gradient d output / d node."""

    index: int
    op: str
    args: tuple[int, ...]
    name: str | None
    text: str
    value: float
    grad: float
    constant: bool  # a number, or computed from numbers only: no gradient flows into it

    @property
    def label(self) -> str:
        """A short label: the name, or the operation's symbol."""
        if self.op == "const":
            return f"{self.value:g}"
        return self.name or SYMBOLS.get(self.op, self.op)


@dataclasses.dataclass(frozen=True)
class LocalGradient:
    """What one backward step sends to one operand: `product` = upstream gradient × `local`."""

    operand: int
    local: float  # d node / d operand
    rule: str  # the local derivative as a formula of the node's operands a (and b)
    product: float


@dataclasses.dataclass(frozen=True)
class BackwardStep:
    """Backpropagating through one node: the gradient that arrived there and what goes to each operand."""

    node: int
    upstream: float  # d output / d node
    parts: tuple[LocalGradient, ...]


@dataclasses.dataclass(frozen=True)
class Graph:
    """A traced expression: `nodes` in evaluation order, the `output` node and the backward `steps`."""

    nodes: tuple[Node, ...]
    output: int
    steps: tuple[BackwardStep, ...]

    @property
    def value(self) -> float:
        return self.nodes[self.output].value

    @property
    def inputs(self) -> dict[str, int]:
        """Input name -> node index."""
        return {n.name: n.index for n in self.nodes if n.op == "input"}

    @property
    def grads(self) -> dict[str, float]:
        """d output / d input for each input name."""
        return {name: self.nodes[i].grad for name, i in self.inputs.items()}

    @property
    def finite(self) -> bool:
        """Whether every gradient is a finite number (e.g. not the slope of √x at 0)."""
        return all(math.isfinite(n.grad) for n in self.nodes if not n.constant)

    def grads_after(self, done: int) -> list[float | None]:
        """Each node's gradient as known after the first `done` backward steps (None: nothing arrived yet).

        `done` = 0 is the forward pass alone; from 1 on, the output's gradient is 1.
        """
        known: list[float | None] = [None] * len(self.nodes)
        if done <= 0:
            return known
        known[self.output] = 1.0
        for step in self.steps[: done - 1]:
            for part in step.parts:
                known[part.operand] = (known[part.operand] or 0.0) + part.product
        return known

    @property
    def positions(self) -> int:
        """How many positions a step-through has: the forward pass, the output's 1, then one per step."""
        return len(self.steps) + 2


def _local(op: str, a: float, b: float | None, f: float) -> list[tuple[float, str]]:
    """d f / d operand for each operand of `op`, with the rule written out."""
    if op == "add":
        return [(1.0, "1"), (1.0, "1")]
    if op == "sub":
        return [(1.0, "1"), (-1.0, "−1")]
    if op == "mul":
        return [(b, "b"), (a, "a")]
    if op == "div":
        return [(1 / b, "1 / b"), (-a / (b * b), "−a / b^2")]
    if op == "pow":
        base = b * a ** (b - 1) if b != 0 else 0.0
        exponent = f * np.log(a) if a > 0 else (0.0 if f == 0 else math.nan)
        return [(base, "b·a^(b−1)"), (exponent, "a^b·ln a")]
    if op == "neg":
        return [(-1.0, "−1")]
    _, _, derivative, rule = FUNCTIONS[op]
    return [(float(derivative(a, f)), rule)]


def _check_domain(o: Operation, args: list[float], program: Program, values: list[float]) -> None:
    arg_text = [program.operations[i].text for i in o.args]
    if o.op == "log" and args[0] <= 0:
        raise BackpropError(f"log needs a positive number, but {arg_text[0]} = {args[0]:g}")
    if o.op == "sqrt" and args[0] < 0:
        raise BackpropError(f"sqrt needs a number ≥ 0, but {arg_text[0]} = {args[0]:g}")
    if o.op == "div" and args[1] == 0:
        raise BackpropError(f"division by zero: {arg_text[1]} = 0")
    if o.op == "pow":
        base, exponent = args
        if base < 0 and exponent != int(exponent):
            raise BackpropError(f"{o.text}: a negative number ({base:g}) cannot be raised to {exponent:g}")
        if base == 0 and exponent < 0:
            raise BackpropError(f"{o.text}: 0 cannot be raised to a negative power")
        if base <= 0 and not program.operations[o.args[1]].op == "const" and not _is_constant(program, o.args[1]):
            raise BackpropError(f"{o.text}: a variable exponent needs a positive base, but {arg_text[0]} = {base:g}")


def _is_constant(program: Program, index: int) -> bool:
    o = program.operations[index]
    return o.op == "const" or (o.op != "input" and all(_is_constant(program, i) for i in o.args))


def trace(expression: str, values: Mapping[str, float]) -> Graph:
    """Parse `expression`, run it forward at `values` (input name -> number) and backpropagate.

    Returns the `Graph`; raises BackpropError for text it cannot read, a missing input value, or a
    value outside a function's domain (log of a negative number, division by zero, ...).
    """
    program = parse(expression)
    for name in program.inputs:
        if name not in values:
            raise BackpropError(f"no value given for '{name}'")
        try:
            number = float(values[name])
        except (TypeError, ValueError):
            raise BackpropError(f"the value of '{name}' is not a number: {values[name]!r}") from None
        if not math.isfinite(number):
            raise BackpropError(f"the value of '{name}' must be a finite number")
    constant = [False] * len(program.operations)
    forward: list[float] = []
    with np.errstate(all="ignore"):
        for k, o in enumerate(program.operations):
            args = [forward[i] for i in o.args]
            constant[k] = o.op == "const" or (o.op != "input" and all(constant[i] for i in o.args))
            _check_domain(o, args, program, forward)
            if o.op == "input":
                value = float(values[o.name])
            elif o.op == "const":
                value = o.constant
            elif o.op == "neg":
                value = -args[0]
            elif o.op in _BINARY_FUNCTIONS:
                try:
                    value = float(_BINARY_FUNCTIONS[o.op](*args))
                except (OverflowError, ZeroDivisionError):
                    value = math.inf
            else:
                value = float(FUNCTIONS[o.op][0](args[0]))
            if not math.isfinite(value):
                raise BackpropError(f"{o.text} is too large to compute here ({value})")
            forward.append(value)

        grads = [0.0] * len(program.operations)
        grads[program.output] = 1.0
        steps = []
        for k in range(program.output, -1, -1):
            o = program.operations[k]
            if constant[k] or o.op == "input":
                continue
            a = forward[o.args[0]]
            b = forward[o.args[1]] if len(o.args) > 1 else None
            parts = []
            # numpy scalars: a slope that is infinite (√x at 0) becomes inf instead of an exception.
            locals_ = _local(o.op, np.float64(a), None if b is None else np.float64(b), np.float64(forward[k]))
            for operand, (local, rule) in zip(o.args, locals_):
                if constant[operand]:
                    continue
                product = float(grads[k] * local)
                grads[operand] += product
                parts.append(LocalGradient(operand, float(local), rule, float(product)))
            steps.append(BackwardStep(k, grads[k], tuple(parts)))
    nodes = tuple(Node(k, o.op, o.args, o.name, o.text, forward[k], grads[k] if not constant[k] else 0.0,
                       constant[k]) for k, o in enumerate(program.operations))
    return Graph(nodes, program.output, tuple(steps))


def torch_grads(expression: str, values: Mapping[str, float]) -> dict[str, float]:
    """d output / d input for each input name as `torch.autograd` computes it (float64), for comparison."""
    import torch

    program = parse(expression)
    leaves = {name: torch.tensor(float(values[name]), dtype=torch.float64, requires_grad=True)
              for name in program.inputs}
    output = program.run(leaves, backend="torch")[program.output]
    if not isinstance(output, torch.Tensor) or not output.requires_grad:
        return {name: 0.0 for name in leaves}
    output.backward()
    return {name: (t.grad.item() if t.grad is not None else 0.0) for name, t in leaves.items()}


def graph_layout(graph: Graph, *, sweeps: int = 3) -> dict[int, tuple[float, float]]:
    """(x, y) for every non-constant node: x is the node's depth (inputs at 0), y its height (≥ 0).

    Each node sits at the mean height of its operands (nodes in one column at least 1 apart), and
    the inputs are reordered by the mean height of the nodes that use them, `sweeps` times over: a
    few rounds of the barycentre heuristic (Sugiyama et al., 1981), which keeps edges short and
    crossings few.
    """
    shown = [n for n in graph.nodes if not n.constant]
    depth: dict[int, int] = {}
    users: dict[int, list[int]] = {n.index: [] for n in shown}
    for n in shown:
        operands = [i for i in n.args if i in depth]
        depth[n.index] = 1 + max((depth[i] for i in operands), default=-1)
        for i in operands:
            users[i].append(n.index)
    columns: dict[int, list[int]] = {}
    for index, d in depth.items():
        columns.setdefault(d, []).append(index)
    y = {index: float(k) for k, index in enumerate(columns.get(0, []))}

    def place(column: list[int], wanted: dict[int, float]) -> None:
        order = sorted(column, key=lambda i: wanted[i])
        placed: list[float] = []
        for i in order:
            placed.append(wanted[i] if not placed else max(wanted[i], placed[-1] + 1.0))
        shift = float(np.mean([wanted[i] for i in order]) - np.mean(placed))  # keep the column centred
        for i, height in zip(order, placed):
            y[i] = height + shift

    for sweep in range(sweeps):
        for d in sorted(columns)[1:]:
            place(columns[d], {i: float(np.mean([y[j] for j in graph.nodes[i].args if j in y]))
                               for i in columns[d]})
        if sweep < sweeps - 1 and 0 in columns:  # inputs move towards the nodes that use them
            wanted = {i: float(np.mean([y[u] for u in users[i]])) if users[i] else y[i] for i in columns[0]}
            order = sorted(columns[0], key=lambda i: wanted[i])
            y.update({i: float(k) for k, i in enumerate(order)})
    low = min(y.values(), default=0.0)
    return {i: (float(depth[i]), y[i] - low) for i in depth}


# ----------------------------------------------------------------------------------------------
# Built-in examples


@dataclasses.dataclass(frozen=True)
class Example:
    """A built-in expression with its input values and a sentence on what it shows."""

    label: str
    expression: str
    values: dict[str, float]
    note: str


def softmax_network_example(weights: Sequence[Sequence[float]] | None = None,
                            biases: Sequence[float] | None = None) -> tuple[str, dict[str, float]]:
    """A one-layer network 3 → 2 with a softmax output and squared (L2) loss, written out node by node.

    The point (x1, x2, x3) = (0.1, 0.15, 0.2) with label 1, i.e. target (p0, p1) = (0, 1).
    `weights` (2, 3) and `biases` (2,) default to small fixed values. Returns (expression, values).
    """
    w = weights if weights is not None else ((0.1, -0.2, 0.3), (-0.3, 0.2, 0.5))
    b = biases if biases is not None else (0.1, -0.1)
    lines = [f"z{k} = w{k}1*x1 + w{k}2*x2 + w{k}3*x3 + b{k}" for k in range(2)]
    lines += ["e0 = exp(z0)", "e1 = exp(z1)", "s = e0 + e1", "p0 = e0 / s", "p1 = e1 / s",
              "loss = 0.5 * (p0^2 + (p1 - 1)^2)"]
    values = {"x1": 0.1, "x2": 0.15, "x3": 0.2}
    for k in range(2):
        values.update({f"w{k}{j + 1}": float(w[k][j]) for j in range(3)})
        values[f"b{k}"] = float(b[k])
    return "\n".join(lines), values


_SOFTMAX = softmax_network_example()
EXAMPLES: dict[str, Example] = {
    "product": Example("f = x · y", "x * y", {"x": 4.0, "y": -3.0},
                       "A product sends each input the other input's value: ∂f/∂x = y and ∂f/∂y = x."),
    "sum_then_product": Example("f = (x + y) · z", "q = x + y\nf = q * z", {"x": -2.0, "y": 5.0, "z": -4.0},
                                "The sum q = x + y passes its gradient unchanged to both x and y; the product "
                                "sends q the value of z and z the value of q."),
    "softmax_network": Example("softmax network with squared loss", _SOFTMAX[0], _SOFTMAX[1],
                               "Inputs (0.1, 0.15, 0.2) with label 1. Two scores z₀, z₁, a softmax turns them "
                               "into probabilities p₀, p₁, and the loss is ½·(p₀² + (p₁ − 1)²). The gradients "
                               "of the weights w and biases b are what gradient descent would use."),
}


# ----------------------------------------------------------------------------------------------
# Words for a step-through


def node_name(graph: Graph, index: int) -> str:
    """How the step-through names a node: its given name, else its sub-expression."""
    node = graph.nodes[index]
    return node.name or node.text


def rule_with_names(graph: Graph, rule: str, node: Node) -> str:
    """A local-gradient rule written with the node's operands ('−a / b^2' → '−e1 / s^2')."""
    names = [node_name(graph, i) for i in node.args]
    names = [n if n.isidentifier() or n.replace(".", "").replace("−", "").isdigit() else f"({n})" for n in names]
    return re.sub(r"\b[ab]\b", lambda m: names["ab".index(m.group())] if "ab".index(m.group()) < len(names)
                  else m.group(), rule)


def explain_position(graph: Graph, position: int, *, number: Callable[[float], str] = "{:.4g}".format) -> str:
    """What happens at `position` of the step-through (see `Graph.positions`), in markdown."""
    out = node_name(graph, graph.output)
    if position <= 0:
        return (f"**Forward pass.** Each node shows its value; the output {out} = {number(graph.value)}. "
                "Press **Next** to start the backward pass.")
    if position == 1:
        return f"**The backward pass starts at the output:** ∂{out}/∂{out} = 1."
    step = graph.steps[position - 2]
    node, name = graph.nodes[step.node], node_name(graph, step.node)
    lines = [f"**Node {name}** (value {number(node.value)}) has received ∂{out}/∂{name} = "
             f"{number(step.upstream)}. It passes back to each of its inputs:"]
    for part in step.parts:
        operand = node_name(graph, part.operand)
        lines.append(f"- to **{operand}**: local slope ∂{name}/∂{operand} = {rule_with_names(graph, part.rule, node)}"
                     f" = {number(part.local)}, so {number(step.upstream)} × {number(part.local)} = "
                     f"**{number(part.product)}** is added to ∂{out}/∂{operand}.")
    if not step.parts:
        lines.append("- nothing: it uses only fixed numbers.")
    return "\n".join(lines)


def compare_with_torch(graph: Graph, expression: str, values: Mapping[str, float]) -> list[dict]:
    """One row per input: its value, the step-through's gradient, torch.autograd's, and whether they agree."""
    out = node_name(graph, graph.output)
    reference = torch_grads(expression, values)
    rows = []
    for name, grad in graph.grads.items():
        same = grad == reference[name] or math.isclose(grad, reference[name], rel_tol=1e-9, abs_tol=1e-12)
        rows.append({"input": name, "value": float(values[name]), f"∂{out}/∂input (step by step above)": grad,
                     "torch.autograd": reference[name], "same?": "yes" if same else "no"})
    return rows


def point_at(expression: str, error: BackpropError) -> str | None:
    """The line of `expression` where `error` was found with a caret under the character, or None."""
    if error.position is None:
        return None
    start = expression.rfind("\n", 0, error.position - 1) + 1
    end = expression.find("\n", error.position - 1)
    line = expression[start: end if end >= 0 else len(expression)]
    return line + "\n" + " " * (error.position - 1 - start) + "^ here"
