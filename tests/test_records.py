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
