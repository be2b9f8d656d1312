"""Dependencies run one way: views (the blueprint packages) → services → mail and the feed
builders → models. Read from the source with `ast`, every import counted, also those inside
functions: an import moved into a function to dodge a cycle is still a dependency.

The parts compared are the top-level modules and subpackages of `eventreg`, except that the
feeds blueprint (`feeds.views`) is a part of its own: the rest of `feeds` is the iCalendar
builders, which the emails use too."""

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import eventreg

PACKAGE = Path(eventreg.__file__).parent
BLUEPRINTS = ("catalogue", "registration", "auth", "organiser", "admin", "feeds.views")
# The layers below the blueprints: they may never reach up into one.
BELOW_BLUEPRINTS = ("services", "mail")


@dataclass(frozen=True)
class Import:
    source: str  # dotted module name, e.g. eventreg.services.registrations
    target: str
    where: str  # file:line, for the failure message


def _module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imports() -> list[Import]:
    modules = _module_names()
    found = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                # `from x import y` imports the module x.y when there is one.
                targets = [
                    f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin
                    for alias in node.names
                ]
            else:
                continue
            for target in targets:
                if target.split(".")[0] != "eventreg":
                    continue
                while target not in modules:  # eventreg.models.Event → eventreg.models
                    target = target.rpartition(".")[0]
                if target != name:
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    found.append(Import(name, target, where))
    return found


def part(module: str) -> str:
    """The part of the package a module belongs to: 'services', 'feeds.views', 'eventreg'
    (the app factory) …"""
    inner = module.removeprefix("eventreg").removeprefix(".")
    for blueprint in BLUEPRINTS:
        if inner == blueprint or inner.startswith(blueprint + "."):
            return blueprint
    return inner.split(".")[0] or "eventreg"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def _explain(cycles: list[list[str]], imports: list[Import], key) -> str:
    lines = []
    for members in cycles:
        lines.append("cycle: " + " ↔ ".join(members))
        lines += sorted({
            f"  {key(i.source)} → {key(i.target)}  ({i.where})"
            for i in imports
            if key(i.source) in members and key(i.target) in members
            and key(i.source) != key(i.target)
        })  # fmt: skip
    return "\n".join(lines)


def test_the_walk_sees_imports_inside_functions():
    """The app factory imports its blueprints inside create_app; the walk must see them,
    or an import moved into a function would hide a cycle."""
    edges = {(i.source, i.target) for i in _imports()}
    assert ("eventreg", "eventreg.catalogue.views") in edges
    assert ("eventreg", "eventreg.feeds.views") in edges


def test_no_import_cycle_between_the_parts_of_the_package():
    imports = _imports()
    edges = defaultdict(set)
    for i in imports:
        if part(i.source) != part(i.target):
            edges[part(i.source)].add(part(i.target))
    cycles = _cycles(edges)
    assert not cycles, "\n" + _explain(cycles, imports, part)


def test_no_import_cycle_between_the_modules_of_services_and_mail():
    """Within the lower layers too, each thing has one home that imports nothing back."""
    imports = [
        i for i in _imports()
        if part(i.source) in BELOW_BLUEPRINTS and part(i.target) in BELOW_BLUEPRINTS
    ]  # fmt: skip
    edges = defaultdict(set)
    for i in imports:
        edges[i.source].add(i.target)
    cycles = _cycles(edges)
    assert not cycles, "\n" + _explain(cycles, imports, lambda module: module)


def test_services_and_mail_never_import_a_blueprint_package():
    upward = sorted({
        f"{i.source} → {i.target}  ({i.where})"
        for i in _imports()
        if part(i.source) in BELOW_BLUEPRINTS and part(i.target) in BLUEPRINTS
    })  # fmt: skip
    assert not upward, "\n" + "\n".join(upward)


def test_no_private_name_is_imported_from_another_part():
    """A name starting with _ is its module's own: another part of the package that needs it
    gets a public name for it instead (`from ..models.users import _DUMMY_HASH` was one)."""
    modules = _module_names()
    found = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            private = [a.name for a in node.names if a.name.startswith("_")
                       and not a.name.startswith("__")]  # fmt: skip
            if private and origin.startswith("eventreg") and part(origin) != part(name):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {private}")
    assert not found, "\n" + "\n".join(found)
