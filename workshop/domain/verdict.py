"""The verdict on one round of votes, and how certain it is: plain functions over plain values.

The rules, in the order they are applied (README, "How a round is judged", gives the reasons):

1. **Enough votes.** `too_few_votes` unless the round has at least the plan's minimum of votes (not
   abstentions) and a quorum of the phones present took part (votes and abstentions). A room smaller
   than the minimum reaches it when everyone present voted, all for one position (`small_room`).
2. **Polarised.** A shown group (at least the plan's `min_group_size` votes) holding at least a fifth of
   the votes, agreeing within itself on another position than the room's: `polarised`.
3. **Reached.** On a question with decision sides (the direction scale's less / same / more, the
   strategy question's reduce / accommodate) the leading side's share must meet the agreement
   threshold; on other scales Cns and agreement must both meet theirs. Otherwise `not_reached`.

`reached` is true exactly when the verdict is `reached`. Certainty is a separate word, from the 95%
Wilson interval of the leading share: `firm` or `narrow` for a reached round, `close` or `far` for one
that was judged and did not reach.
"""

import math
from collections.abc import Mapping

from .figures import Thresholds
from .plan_model import Question

VERDICTS: tuple[str, ...] = ("reached", "not_reached", "too_few_votes", "polarised")
CERTAINTIES: tuple[str, ...] = ("firm", "narrow", "close", "far")
CONFIDENCE = 0.95
Z = 1.959963984540054  # the normal quantile for a two-sided 95% interval
CAMP_SHARE = 0.2        # a dissenting group must hold this share of the votes to polarise the room
SPLIT_GAP = 1.0         # points between two shown groups' means that count as a split
SMALL_ROOM_MIN = 2      # a "room" of one person is not a consensus


def assess(question: Question, figures: dict, present: int | None, thresholds: Thresholds) -> dict:
    """A round's figures (overall, with by_group) judged: present, quorum, interval, split, verdict.

    `present` is how many phones were present for the round (None when not known); whoever took part
    in the round was there, so it is never fewer than voted and abstained. `by_group` figures of groups
    smaller than `thresholds.min_group_size` are never used to judge anything.
    """
    figures = with_sides(question, figures)
    n, taking_part = figures["n"], figures["n"] + figures["abstain"]
    if present is not None:
        present = max(present, taking_part)
    small_room = _small_room(figures, present, thresholds)
    enough = n > 0 and (n >= thresholds.min_votes or small_room) and quorum_met(taking_part, present,
                                                                                   thresholds.quorum)
    by_group = {group: {**with_sides(question, found), "reached": meets(with_sides(question, found), thresholds)}
                for group, found in (figures.get("by_group") or {}).items()}
    judged = {**figures, "by_group": by_group, "present": present, "taking_part": taking_part,
              "quorum_needed": quorum_needed(present, thresholds.quorum), "small_room": small_room,
              "interval": wilson_interval(leading_count(figures), n) if n else None}
    judged["split"] = group_split(judged, thresholds)
    judged["verdict"] = _verdict(judged, enough, thresholds)
    judged["reached"] = judged["verdict"] == "reached"
    judged["certainty"] = certainty(judged, thresholds)
    return judged


def _verdict(figures: dict, enough: bool, thresholds: Thresholds) -> str:
    if not enough:
        return "too_few_votes"
    if figures["split"] and figures["split"]["polarised"]:
        return "polarised"
    return "reached" if meets(figures, thresholds) else "not_reached"


def meets(figures: dict, thresholds: Thresholds) -> bool:
    """The thresholds met by these votes alone (no minimum or quorum): see the module's rule 3."""
    if not figures.get("n") or figures.get("agreement") is None:
        return False
    if "side_counts" in figures:
        return figures["side"] is not None and figures["agreement"] >= thresholds.agreement - 1e-12
    if figures.get("consensus") is not None and figures["consensus"] < thresholds.consensus - 1e-12:
        return False
    if figures.get("consensus") is None and figures.get("leader") is None:
        return False  # a choice without sides: a tie has no leader
    return figures["agreement"] >= thresholds.agreement - 1e-12


def _small_room(figures: dict, present: int | None, thresholds: Thresholds) -> bool:
    """Everyone present voted, all for one position, in a room smaller than the minimum of votes."""
    return (present is not None and SMALL_ROOM_MIN <= figures["n"] == present < thresholds.min_votes
            and figures.get("agreement") == 1.0 and meets(figures, thresholds))


def quorum_needed(present: int | None, quorum: float) -> int | None:
    """Phones that must take part (vote or abstain) for the quorum (None when presence is not known)."""
    if present is None:
        return None
    # The small tolerance keeps 0.5 * 7 from needing 4 because of a rounding error upwards.
    return math.ceil(quorum * present - 1e-9)


def quorum_met(taking_part: int, present: int | None, quorum: float) -> bool:
    needed = quorum_needed(present, quorum)
    return needed is None or taking_part >= needed


# --- sides -------------------------------------------------------------------------------------------

def with_sides(question: Question, figures: dict) -> dict:
    """A choice question's figures with its decision families as sides: side_counts, side, and
    agreement as the leading family's share; the named option keeps `leader`, `leader_share` and
    `clear_leader`. Scale figures already carry their sides; other figures are returned as they are."""
    if question.kind != "choice" or "leader_share" in figures:
        return figures
    counts, n = figures["counts"], figures["n"]
    found = {**figures, **_plurality(counts, n)}
    if question.families:
        sides = {name: sum(counts.get(option, 0) for option in options) for name, options in question.families}
        top = max(sides.values(), default=0)
        leaders = [name for name, count in sides.items() if count == top]
        found.update(side_counts=sides, side=leaders[0] if n and len(leaders) == 1 else None,
                     agreement=top / n if n else None)
    return found


def _plurality(counts: Mapping[str, int], n: int) -> dict:
    ordered = sorted(counts.values(), reverse=True)
    top, second = (ordered + [0, 0])[:2]
    margin = top - second
    return {"leader_share": top / n if n else None, "leader_margin": margin,
            "clear_leader": bool(n) and margin >= clear_margin(n)}


def clear_margin(n: int) -> int:
    """Votes by which a named option must lead the next to be a clear plurality: 2, or a tenth of the votes."""
    return max(2, math.ceil(0.1 * n - 1e-9))


def leading_count(figures: dict) -> int:
    """Votes behind the agreement figure: the leading side's, else the agreement share of n."""
    if figures.get("agreement") is None:
        return 0
    return round(figures["agreement"] * figures["n"])


def position(figures: dict) -> str | None:
    """The decision a set of votes leans to: its side where it has sides, else the leader of a choice."""
    if "side_counts" in figures:
        return figures["side"]
    return figures.get("leader")


# --- certainty ---------------------------------------------------------------------------------------

def wilson_interval(successes: int, n: int) -> dict | None:
    """The 95% Wilson score interval of a share: {"agreement": [low, high], "method", "confidence"}."""
    if n <= 0:
        return None
    share = successes / n
    denominator = 1 + Z * Z / n
    centre = (share + Z * Z / (2 * n)) / denominator
    half = Z * math.sqrt(share * (1 - share) / n + Z * Z / (4 * n * n)) / denominator
    return {"agreement": [max(0.0, centre - half), min(1.0, centre + half)], "method": "wilson",
            "confidence": CONFIDENCE}


def certainty(judged: dict, thresholds: Thresholds) -> str | None:
    """firm / narrow for a reached round, close / far for one judged and not reached; None when too few."""
    interval = judged.get("interval")
    if judged["verdict"] == "too_few_votes" or interval is None:
        return None
    low, high = interval["agreement"]
    if judged["verdict"] == "reached":
        return "firm" if low >= thresholds.agreement else "narrow"
    return "close" if high >= thresholds.agreement else "far"


# --- groups ------------------------------------------------------------------------------------------

def group_split(figures: dict, thresholds: Thresholds) -> dict | None:
    """How the shown groups stand against the room: None with fewer than two shown groups holding votes.

    Only groups with at least `thresholds.min_group_size` votes are looked at, so a hidden group is
    never told. Returns gap (between shown groups' means, scale only), against (shown groups whose own
    position differs from the room's), split (any such group, or a gap of SPLIT_GAP points or more),
    and polarised with its camps: the room's position and each shown group holding at least
    CAMP_SHARE of the votes that agrees within itself on another position.
    """
    shown = {group: found for group, found in (figures.get("by_group") or {}).items()
             if found.get("n", 0) >= thresholds.min_group_size}
    if len(shown) < 2:
        return None
    overall = position(figures)
    against = sorted(group for group, found in shown.items()
                     if overall is not None and position(found) not in (None, overall))
    means = [found["mean"] for found in shown.values() if found.get("mean") is not None]
    gap = max(means) - min(means) if len(means) >= 2 else None
    camps = _camps(shown, figures["n"], overall)
    return {"gap": gap, "against": against, "split": bool(against) or (gap is not None and gap >= SPLIT_GAP - 1e-9),
            "polarised": bool(camps), "camps": camps}


def _camps(shown: Mapping[str, dict], n: int, overall: str | None) -> list[str]:
    """Shown groups of a real share that agree within themselves and stand apart: from the room's
    position, or from each other."""
    agreeing = {group: found for group, found in shown.items()
                if found["n"] >= CAMP_SHARE * n - 1e-9 and found["reached"]}
    against = [group for group, found in agreeing.items() if overall is not None and position(found) != overall]
    if against:
        return sorted(against)
    names = sorted(agreeing)
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            if _apart(agreeing[first], agreeing[second]):
                return [first, second]
    return []


def _apart(first: dict, second: dict) -> bool:
    one, other = position(first), position(second)
    if one is not None and other is not None:
        return one != other
    if first.get("mean") is None or second.get("mean") is None:
        return False
    return abs(first["mean"] - second["mean"]) >= SPLIT_GAP - 1e-9
