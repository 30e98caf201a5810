"""The console's search for people: everyone still in the room whose name or group holds every word
typed, newest first, as many as a list can show and how many matched in all. The console lists only
the newest people it is sent; this is how it finds those who joined before them."""

from collections.abc import Iterable, Mapping

MAX_QUERY = 200  # characters of a search; a name or group is at most 40


def person_words(person: Mapping) -> str:
    """What a search looks in: the name (an unnamed person is "Anonymous #id", as the console shows
    them) and the group, case folded."""
    name = person.get("name") or f"Anonymous #{person['id']}"
    return f"{name} {person.get('group') or ''}".casefold()


def find_people(people: Iterable[Mapping], query: str, limit: int) -> tuple[list[Mapping], int]:
    """Those not removed whose name or group holds every word of `query` (case ignored; no words:
    everyone), newest (highest id) first: at most `limit` of them, and how many matched in all."""
    words = query.casefold().split()
    found = [person for person in people if not person.get("removed_at")
             and all(word in person_words(person) for word in words)]
    found.sort(key=lambda person: person["id"], reverse=True)
    return found[:limit], len(found)
