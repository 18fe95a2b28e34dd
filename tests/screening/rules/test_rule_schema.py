"""Rule model: strict validation, as-of evaluation and goods conditions (screening/rules/schema.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from screening.rules.schema import Rule

D = dt.date


def rule(**changes: object) -> Rule:
    data: dict[str, object] = {
        "id": "r1",
        "title": "Test rule",
        "kind": "export_control",
        "authority": "Test authority",
        "document": "Test document",
        "source": "https://example.org/r1",
        "effective_from": "2025-01-10",
        "severity": "high",
    }
    data.update(changes)
    return Rule.model_validate(data)


def test_rule_applies_from_effective_from_not_the_day_before() -> None:
    r = rule()
    assert not r.in_force(D(2025, 1, 9))
    assert r.in_force(D(2025, 1, 10))


def test_effective_to_is_inclusive() -> None:
    r = rule(effective_to="2025-03-31")
    assert r.in_force(D(2025, 3, 31))
    assert not r.in_force(D(2025, 4, 1))


def test_open_ended_rule_applies_far_ahead() -> None:
    assert rule(effective_to=None).in_force(D(2099, 12, 31))


def test_suspension_window_edges_are_inclusive() -> None:
    r = rule(suspended=[{"from": "2025-02-01", "to": "2025-02-28"}])
    assert r.in_force(D(2025, 1, 31))
    assert not r.in_force(D(2025, 2, 1))
    assert not r.in_force(D(2025, 2, 14))
    assert not r.in_force(D(2025, 2, 28))
    assert r.in_force(D(2025, 3, 1))


def test_suspension_starting_before_the_rule_delays_it_to_the_day_after_the_window() -> None:
    r = rule(effective_from="2025-11-08", suspended=[{"from": "2025-11-07", "to": "2026-11-10"}])
    assert not r.in_force(D(2025, 11, 8))
    assert not r.in_force(D(2026, 11, 10))
    assert r.in_force(D(2026, 11, 11))


def test_origin_condition_needs_a_known_origin_in_the_list() -> None:
    r = rule(when={"origin": ["CN", "HK"]})
    assert r.matches_goods("CN", "850511", 1)
    assert r.matches_goods("HK", None, 3)
    assert not r.matches_goods("JP", "850511", 1)
    assert not r.matches_goods(None, "850511", 1)


def test_rule_without_origin_matches_any_origin_including_unknown() -> None:
    assert rule(when={"hs": ["8505"]}).matches_goods(None, "850511", 2)


def test_hs_condition_matches_by_prefix_and_unknown_hs_meets_only_rules_without_hs() -> None:
    with_hs = rule(when={"hs": ["850511", "2846"]})
    assert with_hs.matches_goods("CN", "8505110070", 1)
    assert with_hs.matches_goods("CN", "284690", 1)
    assert not with_hs.matches_goods("CN", "850519", 1)
    assert not with_hs.matches_goods("CN", None, 1)
    assert rule(when={"origin": ["CN"]}).matches_goods("CN", None, 1)


def test_tier_bounds_are_inclusive_and_max_may_be_open() -> None:
    bounded = rule(when={"tiers": {"min": 2, "max": 3}})
    assert [bounded.matches_goods("CN", "850511", tier) for tier in (1, 2, 3, 4)] == [
        False,
        True,
        True,
        False,
    ]
    open_ended = rule(when={"tiers": {"min": 2}})
    assert open_ended.matches_goods("CN", "850511", 9)
    assert not open_ended.matches_goods("CN", "850511", 1)


def test_codes_are_normalised_on_load() -> None:
    r = rule(when={"origin": ["China", "deu", "NO"], "hs": ["8505.11", 2846]})
    assert r.when.origin == ("CN", "DE", "NO")
    assert r.when.hs == ("850511", "2846")


def test_review_due_from_its_date_on() -> None:
    r = rule(review_by="2026-11-10")
    assert not r.review_due(D(2026, 11, 9))
    assert r.review_due(D(2026, 11, 10))
    assert not rule().review_due(D(2099, 1, 1))


def test_tariff_rule_keeps_rate_country_and_basis() -> None:
    r = rule(kind="tariff", tariff={"rate_pct": 25, "importing_country": "USA", "basis": "full value"})
    assert r.tariff is not None
    assert (r.tariff.rate_pct, r.tariff.importing_country, r.tariff.basis) == (25.0, "US", "full value")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"colour": "red"}, "colour"),
        ({"effective_from": "2025-02-30"}, "not a valid calendar date"),
        ({"effective_from": 20250110}, "not a date"),
        ({"effective_from": "2025-01-10T10:00:00"}, "not a date"),
        ({"severity": "critical"}, "severity"),
        ({"source": "example.org"}, "URL"),
        ({"id": "has space"}, "rule id"),
        ({"when": {"origin": []}}, "origin"),
        ({"when": {"hs": [8505.11]}}, "as text"),
        ({"when": {"tiers": {"min": 0}}}, "min"),
        ({"tariff": {"rate_pct": 25, "importing_country": "US"}}, "only tariff rules"),
        ({"kind": "tariff"}, "tariff"),
        ({"kind": "restricted_party"}, "when.parties"),
        ({"when": {"parties": "lists/x.csv"}}, "only restricted_party"),
    ],
)
def test_invalid_rules_are_refused(changes: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        rule(**changes)
    assert fragment in str(caught.value)


def test_rules_are_frozen() -> None:
    r = rule()
    with pytest.raises(ValidationError):
        r.title = "changed"
