"""The layers, read from the import statements: no circles, and each layer imports only those below it."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workshop"
# Who may import whom: the domain knows nothing else; exports read the record, never the live rooms.
# Serving (uvicorn, the port, start-up) sits above the app: only the command line reaches it.
FORBIDDEN = {
    "workshop.domain": ("workshop.store", "workshop.live", "workshop.web", "workshop.exports", "workshop.cli",
                        "workshop.serve"),
    "workshop.store": ("workshop.live", "workshop.web", "workshop.exports", "workshop.serve"),
    "workshop.exports": ("workshop.live", "workshop.web", "workshop.serve"),
    "workshop.live": ("workshop.web", "workshop.exports", "workshop.serve"),
    "workshop.web": ("workshop.serve", "workshop.cli"),
    "workshop.serve": ("workshop.cli",),
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


def test_the_projectors_focus_is_decided_from_the_rooms_facts_alone():
    wrong = [target for target in _graph()["workshop.live.focus"]
             if not target.startswith("workshop.domain") and target != "workshop.live.views"]
    assert wrong == []


# The browser's rules that are tested with node (tests/js/): no page, no socket, no DOM helpers (the
# vocabulary, which reads the page's JSON block once, is given to them by tests/js/page.mjs).
STATIC_JS = PACKAGE.parent / "static" / "js"
DOM_FREE = ("phone-ballot.js", "outbox.js", "phone-order.js", "plain-words.js", "projector-focus.js", "format.js")
DOM_MODULES = {"dom.js", "chart.js", "socket.js", "connection-status.js", "fit.js", "step-view.js", "phone-view.js"}


def _js_imports(name: str) -> set[str]:
    text = (STATIC_JS / name).read_text()
    return {found.rsplit("/", 1)[-1] for found in re.findall(r"^import .* from '([^']+)';$", text, re.MULTILINE)}


def test_the_browsers_pure_modules_touch_no_page():
    for name in DOM_FREE:
        code = re.sub(r"/\*[\s\S]*?\*/|//[^\n]*", "", (STATIC_JS / name).read_text())
        assert not re.search(r"\b(document|window|WebSocket)\b", code), name
        imported = _js_imports(name)
        assert not imported & DOM_MODULES, (name, imported & DOM_MODULES)
        assert imported <= set(DOM_FREE) | {"vocabulary.js"}, (name, imported)


# What serving may use outside its package: the app's face and the settings, the store's lock and
# schema check (to refuse a second server or a newer database in one line), the rooms it counts.
SERVE_USES = {"workshop.config", "workshop.errors", "workshop.logformat", "workshop.metrics", "workshop.protocol",
              "workshop.vocabulary", "workshop.web.app", "workshop.web.auth", "workshop.web.limits",
              "workshop.live.rooms", "workshop.store.lock", "workshop.store.schema"}


def test_serving_uses_only_the_apps_face_the_settings_and_the_stores_start_up_checks():
    used = {target for module, targets in _graph().items() if module.startswith("workshop.serve")
            for target in targets if not target.startswith("workshop.serve")}
    assert used and used - SERVE_USES == set()


def _third_party(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_only_serving_knows_uvicorn():
    knowing = sorted(name for name, path in _modules().items() if "uvicorn" in _third_party(path))
    assert knowing and all(name.startswith("workshop.serve") for name in knowing), knowing


def test_every_package_of_the_code_is_installed():
    # A package missing from pyproject's list works from a checkout and is absent from an installed copy.
    import tomllib
    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(path.parent.relative_to(PACKAGE.parent).parts) for path in PACKAGE.rglob("__init__.py")}
    assert found - listed == set()


# Packages of the test extra only: the server must run without them (the plan schema is built by the
# domain, and only the tests validate plans against it with jsonschema).
TEST_ONLY = {"jsonschema", "pytest", "hypothesis", "playwright", "axe_playwright_python", "kubernetes_validate",
             "yaml", "httpx2", "pytest_asyncio"}


def test_the_server_imports_nothing_of_the_test_extra():
    wrong = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops = {node.module.split(".")[0]}
            else:
                continue
            wrong.extend((name, top) for top in tops & TEST_ONLY)


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
