"""How reviewers' decisions change a line's match: pure values, no network, no database.

Candidates carry explicit scores and the thresholds are given explicitly, so every verdict below
follows from this file and not from the matcher's current tuning.
"""

from __future__ import annotations

import datetime as dt

import pytest

from screening.decisions import Decision, DecisionAction, apply_decisions, effective, parse_action
from screening.matching import MatchConfig, classify
from screening.model import Candidate, Company, Match

CONFIG = MatchConfig(match_threshold=0.88, review_threshold=0.65, margin=0.03)
KEY = "orbit magnetic|CN"
DAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def candidate(company_id: str, score: float) -> Candidate:
    return Candidate(company_id, f"Name of {company_id}", "CN", score, f"why {company_id}")


def decision(
    action: DecisionAction,
    company_id: str | None = None,
    *,
    minutes: int = 0,
    by: str = "alice",
    note: str = "",
    tenant: str = "acme",
    key: str = KEY,
) -> Decision:
    return Decision(
        tenant=tenant,
        key=key,
        supplier_name="Orbit Magnetics",
        country="CN",
        action=action,
        company_id=company_id,
        decided_by=by,
        decided_at=DAY + dt.timedelta(minutes=minutes),
        note=note,
    )


def verdict(*candidates: Candidate) -> Match:
    return classify(candidates, CONFIG)


def test_confirm_matches_an_ambiguous_line_to_the_confirmed_candidate() -> None:
    before = verdict(candidate("A", 0.95), candidate("B", 0.94))
    assert before.status == "ambiguous"
    after = apply_decisions(before, [decision("confirm", "B", note="same VAT number")], config=CONFIG)
    assert (after.status, after.company_id, after.name, after.score) == ("matched", "B", "Name of B", 0.94)
    assert after.decision == "confirmed by alice on 2026-06-01 (same VAT number)"
    assert after.explanation.startswith("reviewer decision:")
    assert [c.company_id for c in after.candidates] == ["A", "B"]


def test_confirm_of_a_company_the_matcher_did_not_propose_takes_it_from_the_network() -> None:
    before = verdict(candidate("A", 0.30))
    assert before.status == "unmatched"
    network = {"Z": Company("Z", "Zenith Magnet Works", "CN")}
    after = apply_decisions(before, [decision("confirm", "Z")], companies=network, config=CONFIG)
    assert (after.status, after.company_id, after.name, after.country) == (
        "matched",
        "Z",
        "Zenith Magnet Works",
        "CN",
    )
    assert after.decision == "confirmed by alice on 2026-06-01"


def test_confirm_of_a_company_that_is_nowhere_leaves_the_match_as_it_was() -> None:
    before = verdict(candidate("A", 0.30))
    assert apply_decisions(before, [decision("confirm", "GONE")], companies={}, config=CONFIG) == before


def test_rejecting_the_best_candidate_matches_the_runner_up() -> None:
    before = verdict(candidate("A", 0.99), candidate("B", 0.97))
    assert before.status == "ambiguous"  # too close to call
    after = apply_decisions(before, [decision("reject", "A")], config=CONFIG)
    assert (after.status, after.company_id) == ("matched", "B")
    assert [c.company_id for c in after.candidates] == ["B"]
    assert after.decision == "A rejected by alice on 2026-06-01"
    assert after.explanation.startswith("reviewer decision: A rejected")


def test_rejecting_a_matched_company_leaves_a_weak_runner_up_ambiguous_or_nothing_unmatched() -> None:
    weak = verdict(candidate("A", 0.97), candidate("B", 0.70))
    assert (weak.status, weak.company_id) == ("matched", "A")
    assert apply_decisions(weak, [decision("reject", "A")], config=CONFIG).status == "ambiguous"
    alone = verdict(candidate("A", 0.97))
    after = apply_decisions(alone, [decision("reject", "A")], config=CONFIG)
    assert (after.status, after.company_id, after.candidates) == ("unmatched", None, ())
    assert after.decision is not None


def test_rejects_of_different_companies_accumulate() -> None:
    before = verdict(candidate("A", 0.99), candidate("B", 0.98), candidate("C", 0.93))
    after = apply_decisions(
        before, [decision("reject", "A"), decision("reject", "B", minutes=5, by="bob")], config=CONFIG
    )
    assert (after.status, after.company_id) == ("matched", "C")
    assert after.decision == "A rejected by alice on 2026-06-01; B rejected by bob on 2026-06-01"


def test_rejecting_a_company_that_is_no_candidate_changes_nothing() -> None:
    before = verdict(candidate("A", 0.97))
    assert apply_decisions(before, [decision("reject", "Z")], config=CONFIG) == before


def test_new_company_makes_the_line_unmatched_and_keeps_the_candidates() -> None:
    before = verdict(candidate("A", 0.97))
    after = apply_decisions(before, [decision("new_company")], config=CONFIG)
    assert (after.status, after.company_id) == ("unmatched", None)
    assert after.candidates == before.candidates
    assert after.decision == "declared a new company by alice on 2026-06-01"
    assert after.explanation.startswith("reviewer decision:")


def test_the_latest_verdict_wins_whatever_order_the_history_comes_in() -> None:
    before = verdict(candidate("A", 0.99), candidate("B", 0.98))
    history = [
        decision("confirm", "A", minutes=0),
        decision("new_company", minutes=10),
        decision("confirm", "B", minutes=20),
    ]
    for decisions in (history, list(reversed(history))):
        after = apply_decisions(before, decisions, config=CONFIG)
        assert (after.status, after.company_id) == ("matched", "B")
    last_new = apply_decisions(before, [*history, decision("new_company", minutes=30)], config=CONFIG)
    assert last_new.status == "unmatched"


def test_a_later_decision_about_the_same_company_replaces_the_earlier_one() -> None:
    before = verdict(candidate("A", 0.99), candidate("B", 0.90))
    assert before.status == "matched"
    # reject after confirm: the confirmation no longer holds, A leaves the candidates.
    after = apply_decisions(
        before, [decision("confirm", "A"), decision("reject", "A", minutes=1)], config=CONFIG
    )
    assert (after.status, after.company_id) == ("matched", "B")
    # confirm after reject: A is back and confirmed.
    again = apply_decisions(
        before,
        [decision("confirm", "A"), decision("reject", "A", minutes=1), decision("confirm", "A", minutes=2)],
        config=CONFIG,
    )
    assert (again.status, again.company_id) == ("matched", "A")
    assert [c.company_id for c in again.candidates] == ["A", "B"]


def test_effective_keeps_rejects_of_other_companies_under_a_new_verdict() -> None:
    history = [
        decision("reject", "A"),
        decision("reject", "B", minutes=1),
        decision("new_company", minutes=2),
    ]
    assert [(d.action, d.company_id) for d in effective(history)] == [
        ("reject", "A"),
        ("reject", "B"),
        ("new_company", None),
    ]


def test_decisions_of_another_tenant_or_key_never_supersede() -> None:
    mine = decision("confirm", "A")
    theirs = decision("confirm", "B", minutes=1, tenant="other")
    other_key = decision("confirm", "B", minutes=2, key="another|CN")
    assert effective([mine, theirs, other_key]) == (mine, theirs, other_key)


@pytest.mark.parametrize(
    ("typed", "action"), [("confirm", "confirm"), (" Reject ", "reject"), ("new-company", "new_company")]
)
def test_actions_are_parsed_as_typed(typed: str, action: str) -> None:
    assert parse_action(typed) == action


def test_an_unknown_action_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="confirm, reject, new_company"):
        parse_action("approve")
