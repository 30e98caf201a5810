"""compose.yaml checked as Docker Compose v2 checks it, offline: interpolated, validated against the Compose
Specification's schema that compose v2's loader (compose-go) embeds (tests/compose_spec/), then the
loader's consistency checks; and kept to what podman-compose reads the same way.

No Docker engine nor compose v2 binary runs here; test_containers.py brings the file up for real with
podman-compose."""

import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "tests" / "compose_spec" / "compose-spec.json").read_text())
# What an operator sets (compose.yaml's first lines); the rest have defaults in the file.
OPERATOR = {"POSTGRES_PASSWORD": "secret-of-the-operator"}

# compose-go's interpolation template: $$, $NAME, ${NAME} with an optional :- - :? ? :+ + modifier.
VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|(?P<named>[_a-zA-Z][_a-zA-Z0-9]*)|\{(?P<braced>[^}]*)\}|(?P<invalid>))")
BRACED = re.compile(r"(?P<name>[_a-zA-Z][_a-zA-Z0-9]*)(?:(?P<op>:-|-|:\?|\?|:\+|\+)(?P<word>.*))?$", re.DOTALL)
# The forms podman-compose also understands the same way (it has no `+` forms, nor nested variables).
BOTH_TOOLS = {None, ":-", "-", ":?", "?"}
# Keys podman-compose reads as compose v2 does; anything else may be ignored by one tool or the other
# (deploy, profiles, develop, include, extends, models, `condition: service_healthy`, ...).
SERVICE_KEYS = {"build", "image", "restart", "stop_grace_period", "command", "environment", "expose",
                "depends_on", "volumes", "healthcheck", "ports", "networks", "network_mode", "extra_hosts"}
TOP_KEYS = {"services", "networks", "volumes"}


class Interpolated(Exception):
    pass


def _interpolate(value: Any, env: dict[str, str], forms: set) -> Any:
    if isinstance(value, dict):
        return {key: _interpolate(item, env, forms) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, env, forms) for item in value]
    if not isinstance(value, str):
        return value
    return VARIABLE.sub(lambda match: _substitute(match, env, forms), value)


def _substitute(match: re.Match, env: dict[str, str], forms: set) -> str:
    if match["escaped"]:
        return "$"
    if match["named"]:
        forms.add(None)
        return env.get(match["named"], "")
    braced = BRACED.match(match["braced"] or "") if match["invalid"] is None else None
    if braced is None:
        raise Interpolated(f"invalid interpolation format: {match.group(0)!r}")
    name, op, word = braced["name"], braced["op"], braced["word"] or ""
    forms.add(op)
    present, non_empty = name in env, bool(env.get(name))
    if op in (":?", "?") and not (non_empty if op == ":?" else present):
        raise Interpolated(f"required variable {name} is missing a value: {word}")
    if op in (":-", "-") and not (non_empty if op == ":-" else present):
        return word
    if op in (":+", "+"):
        return word if (non_empty if op == ":+" else present) else ""
    return env.get(name, "")


def _load(name: str, env: dict[str, str]) -> tuple[dict, set]:
    forms: set = set()
    return _interpolate(yaml.safe_load((ROOT / name).read_text()), env, forms), forms


def _schema_errors(document: dict) -> list[str]:
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    return [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def test_the_schema_is_the_one_compose_v2_embeds_and_it_refuses_what_compose_v2_refuses():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["title"] == "Compose Specification"
    compose, _ = _load("compose.yaml", OPERATOR)
    assert _schema_errors({**compose, "servcies": {}})  # a typo at the top
    broken = json.loads(json.dumps(compose))
    broken["services"]["app1"]["restart"] = ["always"]  # a list where a string is due
    broken["services"]["proxy"]["depends_on"] = "app1"  # a string where a list or a mapping is due
    assert len(_schema_errors(broken)) == 2


def test_compose_yaml_is_valid_for_compose_v2_once_interpolated():
    compose, _ = _load("compose.yaml", OPERATOR)
    assert _schema_errors(compose) == []


def test_compose_yaml_refuses_to_start_without_the_database_password():
    with pytest.raises(Interpolated, match="POSTGRES_PASSWORD"):
        _load("compose.yaml", {})


def test_compose_yaml_passes_compose_v2s_consistency_checks():
    compose, _ = _load("compose.yaml", OPERATOR)
    services, networks = compose["services"], {"default", *compose.get("networks", {})}
    for name, service in services.items():
        assert "image" in service or "build" in service, f"{name}: neither an image nor a build"
        assert not ("network_mode" in service and "networks" in service), f"{name}: network_mode and networks"
        assert set(service.get("networks", {})) <= networks, f"{name}: an undefined network"
        assert set(_depends_on(service)) <= set(services), f"{name}: depends on an undefined service"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            named = source and not source.startswith((".", "/", "~"))
            assert not named or source in compose.get("volumes", {}), f"{name}: undefined volume {source}"
        if "healthcheck" in service:
            assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL", "NONE")
    _acyclic(services)
    _fixed_addresses_in_their_subnets(compose)


def _depends_on(service: dict) -> dict:
    needed = service.get("depends_on", [])
    return dict.fromkeys(needed, {}) if isinstance(needed, list) else needed


def _acyclic(services: dict) -> None:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"a dependency cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for needed in _depends_on(services[name]):
                visit(needed, (*path, name))
            done.add(name)
    for name in services:
        visit(name, ())


def _fixed_addresses_in_their_subnets(compose: dict) -> None:
    """compose v2 (and the engine) give a fixed ipv4_address only on a network with a subnet that holds it."""
    subnets = {name: [ipaddress.ip_network(entry["subnet"]) for entry in network.get("ipam", {}).get("config", [])]
               for name, network in compose.get("networks", {}).items()}
    trusted = {service["environment"].get("WORKSHOP_TRUSTED_PROXIES") for service in compose["services"].values()
               if isinstance(service.get("environment"), dict)} - {None}
    fixed = set()
    for name, service in compose["services"].items():
        for network, settings in (service.get("networks") or {}).items():
            if settings and "ipv4_address" in settings:
                address = ipaddress.ip_address(settings["ipv4_address"])
                assert any(address in subnet for subnet in subnets.get(network, [])), f"{name}: {address}"
                fixed.add(str(address))
    assert trusted and trusted <= fixed, "the apps trust a proxy address that no service is given"


def test_compose_yaml_keeps_to_what_compose_v2_and_podman_compose_read_alike():
    raw = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert "version" not in raw and "name" not in raw  # obsolete in v2; `name` breaks docker-compose v1
    assert set(raw) - {key for key in raw if key.startswith("x-")} <= TOP_KEYS
    compose, forms = _load("compose.yaml", OPERATOR)
    assert forms <= BOTH_TOOLS, f"interpolation forms one tool reads otherwise: {forms - BOTH_TOOLS}"
    for name, service in compose["services"].items():
        assert set(service) <= SERVICE_KEYS, f"{name}: {set(service) - SERVICE_KEYS}"
        assert "container_name" not in service  # a fixed name stops v2's scaling and clashes across projects
        for needed, settings in _depends_on(service).items():
            # podman-compose ignores conditions: the app waits for its services itself.
            assert (settings or {}).get("condition", "service_started") == "service_started", (name, needed)
    for line in (ROOT / "compose.yaml").read_text().splitlines():
        assert not re.search(r"!(reset|override)\b", line), "merge tags: compose v2 >= 2.24 only"


def test_the_interpolation_reads_compose_v2s_forms():
    env = {"SET": "x", "EMPTY": ""}
    assert _interpolate("$$SET ${SET} $SET ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${SET:+p} ${EMPTY+p}", env, set()) \
        == "$SET x x d  d p p"
    with pytest.raises(Interpolated):
        _interpolate("${EMPTY:?needed}", env, set())
    with pytest.raises(Interpolated):
        _interpolate("${not valid}", env, set())
    assert _interpolate("${EMPTY?x}", env, set()) == ""


RESET = object()


def _without_reset(value: Any) -> Any:
    """compose v2 drops a `!reset` key from the file before validating it."""
    if isinstance(value, dict):
        return {key: _without_reset(item) for key, item in value.items() if item is not RESET}
    return [_without_reset(item) for item in value] if isinstance(value, list) else value


def _value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node) if isinstance(node, yaml.MappingNode) else loader.construct_scalar(node)


def test_the_loopback_override_is_valid_on_its_own_as_compose_v2_validates_each_file():
    class Tagged(yaml.SafeLoader):
        pass
    Tagged.add_constructor("!override", _value)  # the value as it stands replaces the base file's
    Tagged.add_constructor("!reset", lambda loader, node: RESET)
    override = yaml.load((ROOT / "deploy/containers/compose.loopback.yaml").read_text(), Tagged)
    assert _schema_errors(_without_reset(_interpolate(override, {**os.environ, **OPERATOR}, set()))) == []
