"""The console's search for people (workshop/domain/people.py): every word, in the name or the group."""

from workshop.domain.people import find_people

PEOPLE = [
    {"id": 1, "name": "Ana María", "group": "IT", "removed_at": None},
    {"id": 2, "name": "Ben", "group": "Business", "removed_at": None},
    {"id": 3, "name": "", "group": "IT", "removed_at": None},
    {"id": 4, "name": "Anabel", "group": "Business", "removed_at": "2026-12-05T10:00:00Z"},
    {"id": 5, "name": "ANA-LUISA", "group": None, "removed_at": None},
]


def ids(found):
    return [person["id"] for person in found]


def test_every_word_must_be_in_the_name_or_the_group_case_ignored():
    assert ids(find_people(PEOPLE, "ana", 10)[0]) == [5, 1]
    assert ids(find_people(PEOPLE, "ana it", 10)[0]) == [1]
    assert ids(find_people(PEOPLE, "MARÍA", 10)[0]) == [1]
    assert find_people(PEOPLE, "ana business", 10) == ([], 0)  # Anabel was removed


def test_an_unnamed_person_is_found_as_the_console_shows_them():
    assert ids(find_people(PEOPLE, "anonymous #3", 10)[0]) == [3]


def test_no_words_find_everyone_in_the_room_newest_first_up_to_the_limit():
    found, matched = find_people(PEOPLE, "  ", 2)
    assert ids(found) == [5, 3] and matched == 4
