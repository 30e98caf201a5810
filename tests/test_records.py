import pytest

from workshop.domain.records import RecordError, parse_record


def test_a_record_defaults_its_sla_input_to_the_kinds_hint():
    record = parse_record("effort", {"direction": "less", "strategy": "classic_reduction", "status": "agreed",
                                     "notes": "  Required fields on the form  "})
    assert record.notes == "Required fields on the form"
    assert record.sla_input.startswith("Customer responsibilities")


@pytest.mark.parametrize("kind, data, field", [
    ("effort", None, "body"),
    ("effort", {"direction": "less", "strategy": "classic_reduction"}, "status"),
    ("effort", {"direction": "less", "strategy": "classic_reduction", "status": "agreed", "dissent": "x" * 4001},
     "dissent"),
    ("moods", {}, "kind"),
])
def test_invalid_records_name_the_field(kind, data, field):
    with pytest.raises(RecordError) as refused:
        parse_record(kind, data)
    assert refused.value.field == field


def test_proposal_follows_the_median_and_the_leader():
    from workshop.domain.records import propose
    assert propose({"median": -1.0}, {"leader": "classic_reduction"}) == {
        "direction": "less", "strategy": "classic_reduction"}
    assert propose({"median": 0.0}, None) == {"direction": "same", "strategy": None}
    assert propose({"median": 1.5}, {"leader": None}) == {"direction": "more", "strategy": None}
    assert propose(None, None) == {"direction": None, "strategy": None}


@pytest.mark.parametrize("direction, strategy, status, reached, count", [
    ("less", "uncompromised_reduction", "agreed", True, 0),
    ("less", "classic_accommodation", "agreed", True, 1),
    ("more", "classic_reduction", "agreed", True, 1),
    ("more", "low_cost_accommodation", "agreed", False, 1),
    ("more", "classic_reduction", "agreed", False, 2),
    ("same", "classic_reduction", "no_consensus", False, 0),
    ("same", "classic_reduction", "agreed", None, 0),
])
def test_warnings_flag_inconsistent_records(direction, strategy, status, reached, count):
    from workshop.domain.records import warnings_for
    assert len(warnings_for(direction, strategy, status, reached)) == count
