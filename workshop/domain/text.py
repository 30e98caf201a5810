"""What people type, made safe to show: names, groups and examples normalised on the way in.

A name ending in U+202E would reverse the text drawn after it; a name of zero-width or blank
characters reads as nobody; dozens of combining marks on one letter draw far above its line. The
normal form removes bidirectional controls, caps combining marks per base character, is NFC and
is never longer than what was typed (so a length checked before still holds); `blank` tells
text that shows nothing. Pages also isolate user text (`<bdi>`), so what remains cannot reorder
its surroundings.
"""

import unicodedata

from .refusal import Refusal

# Embeddings, overrides, isolates and the implicit marks: each changes the direction of what follows.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_MARKS = 4  # combining marks kept on one base character: enough for Thai, Hebrew or Vietnamese
# Letters and symbols that draw nothing, though Unicode does not class them as spaces or formats.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180e")
_INVISIBLE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me", "Zs", "Zl", "Zp")
_MARK_CATEGORIES = ("Mn", "Me")


def normal_text(text: str) -> str:
    """`text` without bidirectional controls, with at most MAX_MARKS marks per base, in NFC.

    Idempotent, and never longer than `text`.
    """
    kept = "".join(char for char in text if char not in BIDI_CONTROLS)
    composed = _capped_marks(unicodedata.normalize("NFC", kept))
    # A few characters (U+0344, Hebrew presentation forms) decompose under NFC; the length limits are
    # checked on what was typed, so what is stored must not outgrow it.
    return composed[:len(text)]


def _capped_marks(text: str) -> str:
    kept: list[str] = []
    marks = 0
    for char in text:
        if unicodedata.category(char) in _MARK_CATEGORIES:
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        kept.append(char)
    return "".join(kept)


def blank(text: str) -> bool:
    """True if `text` would show nothing: only spaces, controls, format characters, marks or blank letters."""
    return all(unicodedata.category(char) in _INVISIBLE_CATEGORIES or char in BLANK_LETTERS for char in text)


def normal_name(text: str) -> str:
    """A name or group as stored: the normal text, trimmed, and "" (no name) when it would show nothing."""
    cleaned = normal_text(text).strip()
    return "" if blank(cleaned) else cleaned


def optional_name(value: object, field: str, limit: int) -> str:
    """A name or group as a phone gave it (None: none), normalised; Refusal if not text or too long."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refusal("invalid_field", f"'{field}' must be a string")
    if len(value.strip()) > limit:
        raise Refusal("invalid_field", f"'{field}' must be at most {limit} characters")
    return normal_name(value)  # no bidi controls, capped marks; nothing visible is no name
