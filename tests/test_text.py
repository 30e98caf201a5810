"""The normal form of what people type: names, groups and examples."""

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from workshop.domain.text import BIDI_CONTROLS, MAX_MARKS, blank, normal_name, normal_text

# Text rich in what the normaliser acts on: bidi controls, marks, blanks and characters NFC expands.
TRICKY = st.sampled_from(sorted(BIDI_CONTROLS) + ["\u0301", "\u0308", "\u0344", "\ufb2c", "\u200b", "\u3164",
                                                  "e", "a", " ", "\u05d0", "\u0e01", "\u0e34", "\u0e48"])
TEXT = st.lists(st.one_of(TRICKY, st.characters()), max_size=60).map("".join)


def test_a_right_to_left_override_is_removed_and_the_name_kept():
    assert normal_name("Ana\u202e") == "Ana"
    assert normal_name("\u2067Ana\u2069 M\u200fo") == "Ana Mo"


def test_a_name_of_invisible_characters_is_no_name():
    for invisible in ("\u200b\u200b", "\u3164", "\u2800\u2800", "\u200d\u200c\u2060", " \u00a0\u3000",
                      "\u202e\u202d", "\u0301\u0301", "\ufeff", "\u115f\u1160"):
        assert normal_name(invisible) == "", repr(invisible)
        assert blank(normal_text(invisible)), repr(invisible)


def test_combining_marks_are_capped_per_base_character():
    zalgo = "Z" + "\u0301\u0302\u0303\u0304\u0306" * 8 + "oe"
    assert normal_text(zalgo) == "\u0179\u0302\u0303\u0304\u0306oe"  # Z and its first mark compose
    assert normal_text("Ng\u1ef0\u1ef0") == "Ng\u1ef0\u1ef0"  # Vietnamese, precomposed
    assert normal_text("\u0e01\u0e34\u0e48") == "\u0e01\u0e34\u0e48"  # Thai: a vowel and a tone mark


def test_text_is_composed_and_emoji_sequences_kept():
    assert normal_text("Jose\u0301") == "Jos\u00e9"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert normal_name(family) == family


@settings(max_examples=400)
@given(TEXT)
@example("\u0344")
@example("\ufb2c\ufb2c")
@example("e" + "\u0301" * 40)
def test_the_normal_form_has_no_bidi_control_grows_nothing_and_is_stable(text):
    cleaned = normal_text(text)
    assert not BIDI_CONTROLS & set(cleaned)
    assert len(cleaned) <= len(text)
    assert normal_text(cleaned) == cleaned
    assert unicodedata.is_normalized("NFC", cleaned) or len(unicodedata.normalize("NFC", cleaned)) > len(cleaned)
    name = normal_name(text)
    assert not BIDI_CONTROLS & set(name) and len(name) <= len(text)
    assert normal_name(name) == name
    assert name == "" or not blank(name)


@given(TEXT)
def test_no_base_character_carries_more_than_the_cap(text):
    run = 0
    for char in normal_text(text):
        run = run + 1 if unicodedata.category(char) in ("Mn", "Me") else 0
        assert run <= MAX_MARKS
