"""Gather what every export shows from one room: the session, and each kind's record with evidence."""

from ..domain.framework import KINDS, STRATEGIES_BY_ID
from ..live.room import Room

SCHEMA = "variability-workshop/export/v1"


def collect(room: Room) -> dict:
    records = room.store.records(room.code)
    return {
        "schema": SCHEMA,
        "session": {
            "code": room.code, "title": room.title, "service": room.service,
            "plan": room.plan.id, "groups": room.groups, "held_at": room.created_at,
            "participants": room.store.participant_count(room.code),
        },
        "kinds": [_kind_entry(room, kind.id, kind.name, records.get(kind.id)) for kind in KINDS],
    }


def _kind_entry(room: Room, kind: str, name: str, record: dict | None) -> dict:
    entry: dict = {"kind": kind, "name": name, "record": None}
    if record is not None:
        strategy = STRATEGIES_BY_ID[record["strategy"]]
        entry["record"] = {
            key: record[key]
            for key in ("direction", "strategy", "status", "notes", "dissent", "sla_input", "recorded_at")
        }
        entry["record"]["strategy_name"] = strategy.name
        entry["record"]["strategy_family"] = strategy.family
        entry["evidence"] = record["evidence"]
    return entry
