"""Reviewers' decisions on match candidates, and how they change a line's match.

A decision is about one supplier as a tenant writes it, keyed by `names.name_key(name, country)` so
that "ACME Co., Ltd." and "Acme Co Ltd" share it. Three actions:

    confirm X      the supplier is network company X, whatever the scores say
    reject X       the supplier is not X; the other candidates are classified again
    new_company    the supplier is in no network company

Which decisions are in force (`effective`): a later decision replaces an earlier one of the same
key about the same company (confirm X after reject X, and the reverse), and a later verdict
(confirm or new_company) replaces every earlier verdict of the key. Rejects of different companies
accumulate. Stores keep the replaced rows as history; `apply_decisions` resolves a history itself,
so it stays right even when two reviewers decide at the same moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, cast, get_args

from screening.matching import MatchConfig, classify
from screening.model import Candidate, Company, Match

DecisionAction = Literal["confirm", "reject", "new_company"]
ACTIONS: tuple[str, ...] = get_args(DecisionAction)
# A verdict says which company the supplier is (or that it is none); a key has at most one in force.
VERDICTS: frozenset[str] = frozenset({"confirm", "new_company"})


@dataclass(frozen=True, slots=True)
class Decision:
    """One reviewer decision as recorded. `company_id` is None exactly for `new_company`."""

    tenant: str
    key: str  # names.name_key(supplier_name, country)
    supplier_name: str  # as the reviewer (or the supplier list) wrote it
    country: str | None
    action: DecisionAction
    company_id: str | None
    decided_by: str
    decided_at: dt.datetime
    note: str = ""
    id: int | None = None  # set by the store
    superseded: bool = False  # a later decision replaced this one (kept as history)

    @property
    def described(self) -> str:
        """The phrase a report shows, such as `confirmed by alice on 2026-06-30` (the UTC date)."""
        verb = {"confirm": "confirmed", "reject": "rejected", "new_company": "declared a new company"}
        return f"{verb[self.action]} by {self.decided_by} on {self.decided_at.date().isoformat()}"


def parse_action(value: str) -> DecisionAction:
    """The action named by `value` (as typed: case and dashes ignored); ValueError names the choices."""
    text = value.strip().lower().replace("-", "_")
    for action in get_args(DecisionAction):
        if text == action:
            return cast(DecisionAction, action)
    raise ValueError(f"action {value!r} is not one of {', '.join(ACTIONS)}")


def supersedes(new: Decision, old: Decision) -> bool:
    """Whether `new`, recorded after `old`, replaces it (same tenant and key; see the module docstring)."""
    if (new.tenant, new.key) != (old.tenant, old.key):
        return False
    if new.action in VERDICTS and old.action in VERDICTS:
        return True
    return new.company_id is not None and new.company_id == old.company_id


def _order(decision: Decision) -> tuple[dt.datetime, int]:
    return decision.decided_at, decision.id if decision.id is not None else 0


def effective(decisions: Iterable[Decision]) -> tuple[Decision, ...]:
    """The decisions in force, oldest first: each one drops the earlier ones it supersedes."""
    kept: list[Decision] = []
    for decision in sorted(decisions, key=_order):
        kept = [old for old in kept if not supersedes(decision, old)]
        kept.append(decision)
    return tuple(kept)


def apply_decisions(
    match: Match,
    decisions: Sequence[Decision],
    *,
    companies: Mapping[str, Company] | None = None,
    config: MatchConfig | None = None,
) -> Match:
    """The match after a line's decisions (all of one key; history allowed): see the module docstring.

    A confirmed company that the matcher did not propose is taken from `companies` (the network); when
    it is not there either, the confirmation cannot apply and the rest of the decisions still do.
    Rejected companies leave the candidates, and the remaining ones are classified again with `config`.
    `decision` is set only when a decision changed the outcome or produced it.
    """
    in_force = effective(decisions)
    rejected = {d.company_id: d for d in in_force if d.action == "reject" and d.company_id is not None}
    verdict = next((d for d in reversed(in_force) if d.action in VERDICTS), None)
    remaining = tuple(c for c in match.candidates if c.company_id not in rejected)

    if verdict is not None and verdict.action == "new_company":
        return Match(
            status="unmatched",
            score=match.score,
            explanation=(
                f"reviewer decision: the supplier is not in the network; matcher: {match.explanation}"
            ),
            candidates=match.candidates,
            decision=_with_note(verdict),
        )
    if verdict is not None and verdict.company_id is not None:
        confirmed = _confirmed(verdict.company_id, match.candidates, companies or {})
        if confirmed is not None:
            return Match(
                status="matched",
                company_id=confirmed.company_id,
                name=confirmed.name,
                country=confirmed.country,
                score=confirmed.score,
                explanation=(
                    f"reviewer decision: confirmed '{confirmed.name}' ({confirmed.company_id}); "
                    f"matcher: {confirmed.explanation}"
                ),
                candidates=remaining,
                decision=_with_note(verdict),
            )

    applied = [
        rejected[cid] for cid in dict.fromkeys(c.company_id for c in match.candidates) if cid in rejected
    ]
    if not applied:
        return match
    what = "; ".join(f"{d.company_id} {_with_note(d)}" for d in applied)
    reclassified = classify(remaining, config or MatchConfig())
    then = reclassified.explanation if remaining else "no other candidate is left"
    return replace(
        reclassified,
        explanation=f"reviewer decision: {what}; then {then}",
        decision=what,
    )


def _with_note(decision: Decision) -> str:
    return f"{decision.described} ({decision.note})" if decision.note else decision.described


def _confirmed(
    company_id: str, candidates: Sequence[Candidate], companies: Mapping[str, Company]
) -> Candidate | None:
    """The confirmed company as a candidate: the matcher's own when it proposed it, else from the network."""
    for candidate in candidates:
        if candidate.company_id == company_id:
            return candidate
    company = companies.get(company_id)
    if company is None:
        return None
    return Candidate(
        company_id=company.company_id,
        name=company.name,
        country=company.country,
        score=0.0,
        explanation="not among the matcher's candidates",
        matched_name=company.name,
    )
