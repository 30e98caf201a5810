"""Who is in a room: phones by participant, however many sockets each holds, here and elsewhere."""

from workshop.live.audience import Audience


def test_a_participant_counts_once_however_many_sockets_and_processes_hold_them():
    audience = Audience()
    first, second, other = object(), object(), object()
    audience.add_phone(first, {"id": 1, "name": "Ada"})
    audience.add_phone(second, {"id": 1, "name": "Ada"})
    audience.add_phone(other, {"id": 2, "name": ""})
    audience.elsewhere = {2, 3}
    assert audience.present() == 3 and audience.sockets() == 4
    assert audience.phones_of(1, keep=first) == [second]
    assert audience.not_voted({2: "1"}) == {"count": 2, "names": ["Ada"]}
    assert audience.remove(first) and audience.remove(second)
    assert not audience.remove(first)  # already gone
    assert 1 not in audience.connected and audience.not_voted({}) == {"count": 2, "names": []}


def test_a_socket_that_joins_again_as_someone_else_stops_counting_for_the_first():
    audience = Audience()
    socket = object()
    audience.add_phone(socket, {"id": 1, "name": "Ada"})
    audience.add_phone(socket, {"id": 2, "name": ""})
    assert {pid: len(phones) for pid, phones in audience.connected.items()} == {2: 1} and audience.named == {}
