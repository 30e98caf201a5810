"""The layers, read from the import statements: no circles, and each layer imports only those below it."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workshop"
# Who may import whom: the domain knows nothing else; exports read the record, never the live rooms.
FORBIDDEN = {
    "workshop.domain": ("workshop.store", "workshop.live", "workshop.web", "workshop.exports", "workshop.cli"),
    "workshop.store": ("workshop.live", "workshop.web", "workshop.exports"),
    "workshop.exports": ("workshop.live", "workshop.web"),
    "workshop.live": ("workshop.web", "workshop.exports"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                target = f"{module}.{alias.name}"
                found.add(target if target in modules else module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {target for target in found if target in modules and target != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_no_module_imports_itself_round_a_circle():
    graph = _graph()
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            assert state.get(target) != 1, " -> ".join([*trail[trail.index(target):], target])
            if target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


# The store's public face: what the web layer may import of it (never a backend, a job or a writer).
STORE_FACE = {"workshop.store", "workshop.store.interface", "workshop.store.errors"}


def test_the_web_layer_sees_only_the_stores_public_face():
    wrong = [(module, target) for module, targets in _graph().items() if module.startswith("workshop.web")
             for target in targets if target.startswith("workshop.store") and target not in STORE_FACE]
    assert wrong == []


def test_the_domain_imports_nothing_of_the_store_or_the_live_rooms():
    wrong = [(module, target) for module, targets in _graph().items() if module.startswith("workshop.domain")
             for target in targets if not target.startswith("workshop.domain")]
    assert wrong == []


def test_each_layer_imports_only_the_layers_below_it():
    wrong = [(module, target) for module, targets in _graph().items() for target in targets
             for layer, below in FORBIDDEN.items() if module.startswith(layer) and target.startswith(below)]
    assert wrong == []


# What the web layer may call on the store directly: the awaited read face, the writes (which return
# futures it awaits) and the start-up and shut-down steps. Any other call would be a read on the event loop.
WEB_STORE_CALLS = {"awaited", "start", "close", "keep_signin", "redeem_signin", "setting_or_default"}
KEY_READER = ("workshop/web/auth.py", "setting")  # the key's reader, which runs through `awaited`


def _store_calls(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name == "store":
                found.add(node.func.attr)
    return found


def test_the_web_layer_reads_the_store_only_through_its_awaited_face():
    wrong = [(str(path.relative_to(PACKAGE.parent)), call) for path in sorted((PACKAGE / "web").glob("*.py"))
             for call in _store_calls(path) - WEB_STORE_CALLS
             if (str(path.relative_to(PACKAGE.parent)), call) != KEY_READER]
    assert wrong == []


# The room's read model (live/mirror.py) changes only by the events it is given: it reads the store
# through its awaited face and never writes, sends or publishes.
SENDERS = ("workshop.live.broadcast", "workshop.live.broker", "workshop.live.subscribers", "workshop.live.room",
           "workshop.protocol")


def test_the_rooms_read_model_reads_and_never_writes_or_sends():
    assert [target for target in _graph()["workshop.live.mirror"] if target.startswith(SENDERS)] == []
    assert _store_calls(PACKAGE / "live" / "mirror.py") <= {"awaited"}


# The events a room makes itself: a phone replaced (a socket, not a commit) and "state changed" for
# what it cannot follow; every other event is the one a store job returns with what it committed.
ROOM_MADE_EVENTS = {"PhoneReplaced", "StateChanged"}


def _called_names(path: Path) -> set[str]:
    return {node.func.id for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def test_the_live_rooms_build_no_event_a_store_job_commits():
    from workshop.domain.events import KINDS
    committed = {cls.__name__ for cls in KINDS.values()} - ROOM_MADE_EVENTS
    wrong = [(path.name, name) for path in sorted((PACKAGE / "live").glob("*.py"))
             for name in _called_names(path) & committed]
    assert wrong == []


# Every facilitator command is one row of domain/commands.py's table: no other module keeps a list of
# command names or decides by a command's name.
def test_only_the_command_table_decides_by_a_commands_name():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "domain" / "commands.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and any(
                    isinstance(side, ast.Attribute) and side.attr == "name" and isinstance(side.value, ast.Name)
                    and side.value.id == "command" for side in [node.left, *node.comparators]):
                wrong.append((str(path.relative_to(PACKAGE.parent)), node.lineno))
    assert wrong == []
