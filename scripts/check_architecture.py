"""Check the playground's layering rules and print every violation; exit 1 if there is any.

Rules (see README, "How it is put together", and shared STYLE.md):

  a. streamlit   no module under playground/ outside playground/ui/ imports Streamlit
  b. cycles      no import cycle among playground modules, counting imports inside functions
  c. figures     playground/figures/ imports no job module
  d. jobs        the job system imports (or names, as a string) no lab module
  e. pages       every file in pages/ is at most 150 lines
  f. direction   playground/ui/ never imports pages; library code outside playground/ui/ never
                 imports playground.ui, pages or app

Imports are read with `ast` from every .py file, wherever they sit (module level, functions,
`if` blocks). `from playground import x` counts as importing `playground.x` when that is a module;
importing `a.b.c` from outside package `a.b` also runs (so counts as importing) `a.b`'s
`__init__`. `importlib.import_module("...")` with a literal name counts as an import.

Usage: python scripts/check_architecture.py [repository root]
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections import deque
from pathlib import Path

PAGE_MAX_LINES = 150

# Each navigation section's package (playground/<section>/), and the modules it holds: everything
# under the package counts as that lab, and so would a flat module of one of these names.
SECTIONS: dict[str, tuple[str, ...]] = {
    "basics": ("neuron", "backprop", "approximation", "tinynet", "playground2d"),
    "training_lab": ("optim2d", "initialization", "batchnorm", "dropout", "regularization"),
    "cnn_lab": ("conv", "gallery", "inspect_cnn"),
    "explain_attack": ("explain", "attacks", "visualize"),
    "latent_space": ("autoencoders", "gan2d"),
    "classroom": ("exercises",),
    "sequences": ("bptt", "memory", "charlm", "word2vec", "word_corpus"),
    "vision": ("boxes", "yolo", "anchors", "transposed", "detection", "segmentation", "transfer", "pretrained"),
}
# The job system: the package playground/jobs (and a flat module of one of these names).
JOB_PACKAGE = "jobs"
JOB_MODULES: tuple[str, ...] = ("train", "trainers", "pool", "worker", "messages", "live", "runs", "sweep",
                                "supervised")
FIGURES_PACKAGE = "figures"
UI_PACKAGE = "ui"
LIBRARY = "playground"


@dataclasses.dataclass(frozen=True)
class Import:
    """One import of module `target` by `source`, at `path`:`line`."""

    source: str
    target: str
    path: str
    line: int


@dataclasses.dataclass
class Project:
    """Every Python module of the repository, and what each imports (and names as strings)."""

    root: Path
    files: dict[str, Path]  # module name -> file
    imports: list[Import]
    strings: dict[str, list[tuple[str, int]]]  # module -> (string constant, line) that look like module names

    def imports_of(self, module: str) -> list[Import]:
        return [i for i in self.imports if i.source == module]


# ----------------------------------------------------------------------------------------------
# Reading the modules


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _python_files(root: Path) -> list[Path]:
    files = []
    for folder in (LIBRARY, "pages"):
        if (root / folder).is_dir():
            files += sorted((root / folder).rglob("*.py"))
    files += sorted(root.glob("*.py"))  # app.py
    return files


def _resolve_relative(source: str, is_package: bool, level: int, module: str | None) -> str:
    base = source.split(".") if is_package else source.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _named_imports(tree: ast.AST, source: str, is_package: bool, known: set[str]):
    """(target module, line) for every import in `tree`, anywhere in it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _resolve_relative(source, is_package, node.level, node.module)
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                yield (candidate if candidate in known else base), node.lineno
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
              and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.args[0].value, node.lineno


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def load_project(root: Path) -> Project:
    """Parse every module under playground/, pages/ and the root of the repository."""
    root = Path(root)
    files = {module_name(root, p): p for p in _python_files(root)}
    known = set(files)
    imports, strings = [], {}
    for source, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        rel = str(path.relative_to(root))
        seen = set()
        for target, line in _named_imports(tree, source, is_package, known):
            # Importing a.b.c runs the __init__ of each package above it that `source` is not inside.
            own = set(_ancestors(source)) | ({source} if is_package else set())
            for name in [*_ancestors(target), target]:
                if name in own or name == source or (name, line) in seen:
                    continue
                seen.add((name, line))
                imports.append(Import(source, name, rel, line))
        strings[source] = [(n.value, n.lineno) for n in ast.walk(tree)
                           if isinstance(n, ast.Constant) and isinstance(n.value, str)
                           and n.value.startswith(LIBRARY + ".")]
    return Project(root, files, imports, strings)


# ----------------------------------------------------------------------------------------------
# What a module is


def _parts(module: str) -> list[str]:
    return module.split(".")


def in_library(module: str) -> bool:
    return _parts(module)[0] == LIBRARY


def is_ui(module: str) -> bool:
    parts = _parts(module)
    return parts[0] == LIBRARY and len(parts) > 1 and parts[1] == UI_PACKAGE


def is_figure(module: str) -> bool:
    parts = _parts(module)
    return parts[0] == LIBRARY and len(parts) > 1 and parts[1] == FIGURES_PACKAGE


def is_job(module: str) -> bool:
    parts = _parts(module)
    if parts[0] != LIBRARY or len(parts) < 2:
        return False
    return parts[1] == JOB_PACKAGE or (len(parts) == 2 and parts[1] in JOB_MODULES)


def lab_section(module: str) -> str | None:
    """The section a lab module belongs to, or None for any other module."""
    parts = _parts(module)
    if parts[0] != LIBRARY or len(parts) < 2:
        return None
    if parts[1] in SECTIONS:  # the section's package, or (explain) a flat module of the same name
        return parts[1]
    if len(parts) == 2:
        for section, names in SECTIONS.items():
            if parts[1] in names:
                return section
    return None


def is_page(module: str) -> bool:
    return _parts(module)[0] in ("pages", "app")


# ----------------------------------------------------------------------------------------------
# The rules; each returns its violations as lines of text.


def check_streamlit(project: Project) -> list[str]:
    """(a) Outside playground/ui/, no library module imports Streamlit."""
    return [f"{i.path}:{i.line}: {i.source} imports {i.target} (Streamlit belongs in playground/ui/)"
            for i in project.imports
            if in_library(i.source) and not is_ui(i.source) and _parts(i.target)[0] == "streamlit"]


def import_graph(project: Project) -> dict[str, dict[str, Import]]:
    """module -> {imported library module -> the first such import}, library modules only."""
    graph: dict[str, dict[str, Import]] = {m: {} for m in project.files if in_library(m)}
    for i in project.imports:
        if i.source in graph and i.target in graph and i.target != i.source:
            graph[i.source].setdefault(i.target, i)
    return graph


def _components(graph: dict[str, dict]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def _shortest_cycle(graph: dict[str, dict], start: str, within: set[str]) -> list[str] | None:
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node]):
            if child not in within:
                continue
            if child == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return None


def find_cycles(project: Project) -> list[list[str]]:
    """For each group of modules that import each other, the shortest cycle through each of them
    (duplicates removed): enough to show every edge that has to go."""
    graph = import_graph(project)
    cycles, seen = [], set()
    for component in _components(graph):
        members = set(component)
        for module in component:
            cycle = _shortest_cycle(graph, module, members)
            if cycle is None:
                continue
            body = cycle[:-1]
            turn = body.index(min(body))
            key = tuple(body[turn:] + body[:turn])
            if key not in seen:
                seen.add(key)
                cycles.append([*key, key[0]])
    return cycles


def check_cycles(project: Project) -> list[str]:
    """(b) No import cycle among playground modules."""
    graph = import_graph(project)
    out = []
    for cycle in find_cycles(project):
        steps = [f"{a} -> {b} ({graph[a][b].path}:{graph[a][b].line})" for a, b in zip(cycle, cycle[1:])]
        out.append("import cycle " + " -> ".join(cycle) + ": " + "; ".join(steps))
    return out


def check_figures(project: Project) -> list[str]:
    """(c) Figures import no job module."""
    return [f"{i.path}:{i.line}: figure module {i.source} imports job module {i.target}"
            for i in project.imports if is_figure(i.source) and is_job(i.target)]


def check_jobs(project: Project) -> list[str]:
    """(d) The job system imports no lab module, and does not name one as a string either."""
    out = [f"{i.path}:{i.line}: job module {i.source} imports {i.target} ({lab_section(i.target)} lab module)"
           for i in project.imports if is_job(i.source) and lab_section(i.target)]
    for module, strings in project.strings.items():
        if not is_job(module):
            continue
        for value, line in strings:
            if lab_section(value):
                path = project.files[module].relative_to(project.root)
                out.append(f"{path}:{line}: job module {module} names lab module {value!r} "
                           f"({lab_section(value)})")
    return out


def page_lengths(root: Path) -> dict[str, int]:
    """Lines in each file under pages/."""
    folder = Path(root) / "pages"
    return {str(p.relative_to(root)): len(p.read_text(encoding="utf-8").splitlines())
            for p in sorted(folder.rglob("*.py"))} if folder.is_dir() else {}


def check_pages(root: Path) -> list[str]:
    """(e) Every page is at most PAGE_MAX_LINES lines."""
    return [f"{path}: {lines} lines (at most {PAGE_MAX_LINES})"
            for path, lines in page_lengths(root).items() if lines > PAGE_MAX_LINES]


def check_direction(project: Project) -> list[str]:
    """(f) Layers look down only: pages may import the library; the UI helpers never import pages;
    library code outside playground/ui/ never imports playground.ui, pages or app."""
    out = []
    for i in project.imports:
        if is_ui(i.source) and is_page(i.target):
            out.append(f"{i.path}:{i.line}: UI helper {i.source} imports page {i.target}")
        elif in_library(i.source) and not is_ui(i.source) and (is_ui(i.target) or is_page(i.target)):
            out.append(f"{i.path}:{i.line}: library module {i.source} imports {i.target}")
    return out


RULES = {
    "a streamlit": lambda project: check_streamlit(project),
    "b cycles": lambda project: check_cycles(project),
    "c figures": lambda project: check_figures(project),
    "d jobs": lambda project: check_jobs(project),
    "e pages": lambda project: check_pages(project.root),
    "f direction": lambda project: check_direction(project),
}


def violations(root: Path) -> dict[str, list[str]]:
    """Every rule's violations, by rule."""
    project = load_project(Path(root))
    return {rule: check(project) for rule, check in RULES.items()}


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    found = violations(root)
    for rule, lines in found.items():
        print(f"[{rule}] {'ok' if not lines else f'{len(lines)} violation(s)'}")
        for line in lines:
            print(f"    {line}")
    total = sum(len(lines) for lines in found.values())
    print(f"{total} violation(s)" if total else "all rules hold")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
