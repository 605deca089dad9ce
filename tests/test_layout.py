"""The packages' layout, read from the source (ast: nothing is imported): who may import whom.

Every import of every module of the project's top-level packages counts, at the top of a
module or inside a function, `import x` and `from x import y`, relative ones resolved. The
parts compared are the top-level packages, with hallq cut in five: its API (hallq.api), its
read side (hallq.present), its push contract (hallq.live), the app factory with the command
line (the composition root, which wires every part together), and the rest of hallq.

- Only the API and the app factory that registers its blueprint import hallq.api: the pages
  read through hallq.present, as the API does.
- A room (a page package) imports another room only along an edge listed here, with why.
- No cycle between the parts.
- hallq.present builds on the core alone: the API, the rooms and hallq's own pages use it.
- The core (queue_core) and the printer driver know nothing of Flask.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROOMS = frozenset({"kiosk", "manager", "window_panel", "evaluation", "hall_display", "city", "guide"})
# The rooms' dependencies on one another, each with its reason; any other is refused.
ALLOWED_ROOM_EDGES = {
    (
        "kiosk",
        "evaluation",
    ): "the phone page rates the service in the rating pages' words (evaluation.strings)",
    ("kiosk", "hall_display"): "the kiosk's voice guidance speaks with the hall's voice: the board's clips, "
    "and its phrases spoken as the board's default clips are (hall_display.voice_clips)",
    ("guide", "manager"): "the guide's desk names a ticket's status in the dashboard's words "
    "(manager.views.TICKET_STATUS_NAMES)",
    ("manager", "evaluation"): "the desk's pages share the follow-up pages' access rule, and the dashboard "
    "counts their open cases (evaluation.cases)",
}

APP = "hallq (app factory, command line)"
# The composition root: the app factory (hallq/__init__.py, which registers the API's and the
# rooms' blueprints), the `hallq` command and its simulate-live driver, which start it.
APP_MODULES = frozenset({"hallq", "hallq.__main__", "hallq.cli", "hallq.live_simulation"})
HALLQ_PARTS = ("hallq.api", "hallq.present", "hallq.live")
NO_FLASK = ("queue_core", "printer_driver")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the project module it imports (the deepest that exists), or the library
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} imports {self.target}"


def packages() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in packages():
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _project_module(name: str) -> str:
    """The deepest project module a dotted name reaches (a.b.C: the module a.b)."""
    while name not in modules() and "." in name:
        name = name.rpartition(".")[0]
    return name


@cache
def imports() -> tuple[Import, ...]:
    found = []
    for module, path in modules().items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [_project_module(alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                # `from a import b` imports the module a.b where there is one, else a name of a.
                targets = [_project_module(f"{source}.{alias.name}") for alias in node.names]
            else:
                continue
            found += [Import(module, target, path, node.lineno) for target in dict.fromkeys(targets)]
    return tuple(found)


def part(module: str) -> str:
    if module in APP_MODULES:
        return APP
    for name in HALLQ_PARTS:
        if module == name or module.startswith(name + "."):
            return name
    return module.split(".")[0]


def in_project(target: str) -> bool:
    return target.split(".")[0] in packages()


def part_graph() -> dict[str, dict[str, Import]]:
    """part -> the parts it imports, each with one import that makes the edge."""
    graph: dict[str, dict[str, Import]] = defaultdict(dict)
    for found in imports():
        source, target = part(found.module), part(found.target)
        if in_project(found.target) and source != target:
            graph[source].setdefault(target, found)
    return graph


def find_cycle(graph: dict[str, dict[str, Import]]) -> list[str] | None:
    """A cycle as the path of its parts (the first part again at the end), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, {})):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle:
            return cycle
    return None


def test_the_graph_is_read():
    """The reader finds the packages and their imports, or the rules below would hold vacuously."""
    assert ROOMS | {"hallq", "queue_core", "printer_driver"} <= set(packages())
    graph = part_graph()
    assert "hallq.present" in graph["kiosk"]  # from hallq.present.tickets import ...
    assert "hallq.api" in graph[APP]  # the app factory registers the API's blueprint
    assert "manager" in graph[APP]  # ... and the rooms', inside a function
    assert "hallq.present" in graph["hallq.api"]  # from ..present... (relative)


def test_only_the_api_and_the_app_factory_import_the_api():
    wrong = [
        str(found)
        for found in imports()
        if part(found.target) == "hallq.api" and part(found.module) != "hallq.api" and found.module != "hallq"
    ]
    assert not wrong, "import hallq.present (the read side) instead of hallq.api:\n" + "\n".join(wrong)


def test_rooms_import_other_rooms_only_along_the_allowed_edges():
    edges: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for found in imports():
        source, target = part(found.module), part(found.target)
        if source in ROOMS and target in ROOMS and source != target:
            edges[source, target].append(found)
    wrong = [
        str(found)
        for edge, found_list in edges.items()
        if edge not in ALLOWED_ROOM_EDGES
        for found in found_list
    ]
    assert not wrong, (
        "a room imports another: move what they share to hallq.present (read side) or queue_core, "
        "or allow the edge in ALLOWED_ROOM_EDGES with its reason:\n" + "\n".join(wrong)
    )
    unused = set(ALLOWED_ROOM_EDGES) - set(edges)
    assert not unused, f"allowed but no longer used, remove from ALLOWED_ROOM_EDGES: {sorted(unused)}"


def test_no_cycle_between_the_packages():
    graph = part_graph()
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"  {a} -> {b}: {graph[a][b]}" for a, b in pairwise(cycle)]
        raise AssertionError("import cycle: " + " -> ".join(cycle) + "\n" + "\n".join(steps))


def test_the_read_side_builds_on_the_core_alone():
    """The API, the rooms and hallq's own front page (hallq.pages) import hallq.present, so it
    imports none of them, nor hallq's state: a presenter takes what it needs as arguments."""
    allowed = ("hallq.present", "queue_core", "printer_driver")
    wrong = [
        str(found)
        for found in imports()
        if part(found.module) == "hallq.present"
        and in_project(found.target)
        and part(found.target) not in allowed
    ]
    assert not wrong, "hallq.present may import only queue_core and printer_driver:\n" + "\n".join(wrong)


def test_the_core_and_the_printer_driver_know_no_flask():
    wrong = [
        str(found)
        for found in imports()
        if found.module.split(".")[0] in NO_FLASK
        and (found.target.split(".")[0] == "flask" or found.target.startswith("flask_"))
    ]
    assert not wrong, "no Flask in the core or the printer driver:\n" + "\n".join(wrong)


def test_the_agent_reaches_the_server_over_the_network_only():
    """hall_agent runs on a hall PC: it imports no Flask and no part of the server (hallq), only
    the printer driver, the logging set-up it shares with the server (service_logs), and the
    keypad and LED bridges' own modules where a PC has them."""
    bridges = ("evaluation.keypad_bridge", "hall_display.led_bridge", "queue_core.spec")
    found_in_agent = [found for found in imports() if found.module.split(".")[0] == "hall_agent"]
    wrong = [
        str(found)
        for found in found_in_agent
        if (
            in_project(found.target)
            and not found.target.startswith(("hall_agent", "printer_driver", "service_logs", *bridges))
        )
        or found.target.split(".")[0] == "flask"
        or found.target.startswith("flask_")
    ]
    assert found_in_agent, "the agent's imports are read"
    assert not wrong, "the agent talks to the server over its API only:\n" + "\n".join(wrong)
