"""A room reads decisions, the moderation queue and its people from the record only after they change:
a burst of votes costs no such query, and every change still reaches the console."""

from collections import Counter

import pytest

from helpers import AUTH, command, join, receive_until

QID = "arrival.direction"
READS = ("records", "moderation", "recent_people", "participant_count")


@pytest.fixture
def reads(client, monkeypatch) -> Counter:
    """How often the rooms have asked the record for each of READS."""
    store, calls = client.app.state.store, Counter()
    for name in READS:
        def counted(*args, _original=getattr(store, name), _name=name, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(store, name, counted)
    return calls


def _until(console, seen) -> None:
    """Read the console's snapshots until one shows what `seen` looks for."""
    for _ in range(50):
        if seen(receive_until(console, "snapshot")["snapshot"]):
            return
    raise AssertionError("the console never showed it")


def test_votes_cost_no_reads_and_each_kind_of_change_is_read_again(client, session_code, reads):
    command(client, session_code, command="open", question=QID)
    with client.websocket_connect(f"/ws/{session_code}/control", headers=AUTH) as console, \
            client.websocket_connect(f"/ws/{session_code}") as first, \
            client.websocket_connect(f"/ws/{session_code}") as second:
        join(first, name="Ada")
        join(second)
        _until(console, lambda snapshot: snapshot["participants"]["joined"] == 2)
        reads.clear()
        for number, phone in enumerate((first, second)):
            phone.send_json({"type": "vote", "id": f"v{number}", "question": QID, "value": -1})
            assert receive_until(phone, "ack")["question"] == QID
        _until(console, lambda snapshot: (snapshot["questions"][QID].get("tally") or {}).get("voted") == 2)
        assert not reads, reads  # the votes changed none of what these read

        with client.websocket_connect(f"/ws/{session_code}") as third:
            join(third)
            _until(console, lambda snapshot: snapshot["participants"]["joined"] == 3)
        assert reads["recent_people"] >= 1 and reads["records"] == 0
        record = {"direction": "less", "strategy": "classic_reduction", "status": "agreed", "notes": "Saved"}
        saved = client.put(f"/api/sessions/{session_code}/consensus/arrival", json=record, headers=AUTH)
        assert saved.status_code == 200, saved.text
        _until(console, lambda snapshot: snapshot["consensus"].get("arrival", {}).get("notes") == "Saved")
