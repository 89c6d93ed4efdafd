"""The house's rules, read from the source: rooms import only the rooms below them, no module imports
itself back through another, and a long module says why it is one piece.

Imports inside functions count too: a lazy import still makes two modules depend on each other.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Each package and the packages it may import. ``lms`` is the platform; each feature is layered on
#: what is below it, never the other way round (``lms.create_app`` alone registers the features).
MAY_IMPORT = {
    "lms": set(),
    "courses": {"lms"},
    "campaigns": {"lms", "courses"},
    "events": {"lms", "courses", "campaigns"},
    "concerns": {"lms", "courses", "campaigns"},
    "dashboard": {"lms", "courses", "campaigns", "events", "concerns"},
    "public_page": {"lms", "courses", "campaigns", "events", "concerns", "dashboard"},
}
#: Above this many lines a module's docstring says why it is one piece ("One piece: …").
LONG = 420


def _modules() -> dict[str, Path]:
    modules = {}
    for package in MAY_IMPORT:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports anywhere in its body; ``from a import b`` counts ``a.b`` if a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                if whole in modules:
                    found.add(whole)
                elif node.module in modules:
                    found.add(node.module)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    for start, imported in graph.items():
        if start in index:
            continue
        work = [(start, iter(sorted(imported)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back_through_another():
    assert _cycles(_graph()) == []


def test_each_package_imports_only_the_packages_below_it():
    wrong = defaultdict(set)
    for name, imported in _graph().items():
        package = name.split(".")[0]
        if name == "lms":  # create_app registers every feature
            continue
        for other in imported:
            target = other.split(".")[0]
            if target != package and target not in MAY_IMPORT[package]:
                wrong[name].add(other)
    assert dict(wrong) == {}


def test_a_long_module_says_why_it_is_one_piece():
    unexplained = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > LONG and "One piece:" not in (ast.get_docstring(ast.parse(text)) or ""):
            unexplained.append(f"{name} ({text.count(chr(10))} lines)")
    assert unexplained == []


def test_no_code_module_shares_its_name_with_a_data_folder():
    clashes = [
        str(path.relative_to(ROOT))
        for package in MAY_IMPORT
        for path in (ROOT / package).rglob("*.py")
        if path.with_suffix("").is_dir() and not (path.with_suffix("") / "__init__.py").exists()
    ]
    assert clashes == []
