"""Combine features into a score and an explanation; turn candidates into a verdict.

score = max over name features of (weight * value)  +  sum over qualifiers of (weight * value),
clipped to [0, 1]; qualifiers only apply when some name feature found something.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rigour.text.translit import ascii_text

from screening.codes import normalize_country
from screening.matching.config import MatchConfig
from screening.matching.features import (
    EMPTY,
    NAME_FEATURES,
    QUALIFIERS,
    Context,
    PreparedName,
    Side,
    combine_names,
    company_words,
    prepare_name,
    prepare_normalized,
)
from screening.model import Candidate, Company, Match
from screening.names import NORMALIZER_VERSION, NormalizedName, normalize_name

# Bump when normalisation, features, weights or thresholds change what a screening returns.
MATCHER_VERSION = f"tiersight-match-4+{NORMALIZER_VERSION}"

DEFAULT_CONFIG = MatchConfig()


def matcher_version(config: MatchConfig = DEFAULT_CONFIG) -> str:
    """MATCHER_VERSION, plus the settings' fingerprint when they differ from the defaults: what a
    report records so that a past screening can be replayed with the same matcher."""
    if config == DEFAULT_CONFIG:
        return MATCHER_VERSION
    return f"{MATCHER_VERSION}+cfg.{config.fingerprint()}"


@dataclass(frozen=True, slots=True)
class Scored:
    """The score of one query against one company name, and why."""

    score: float
    explanation: str


def _uniform_idf(_key: str) -> float:
    return 1.0


def score_sides(query: Side, candidate: Side, ctx: Context, label: str, factor: float = 1.0) -> Scored:
    """Score one query side against one name of a company; `label` says which name ("alias 'X'").
    `factor` scales the name evidence (for names found inside the query's brackets)."""
    cfg = ctx.config
    best_value = 0.0
    best_why = ""
    for feature, default in NAME_FEATURES:
        evidence = feature(query, candidate, ctx)
        value = factor * cfg.weight(feature.__name__, default) * evidence.value
        if value > best_value:
            best_value, best_why = value, evidence.why
    if best_value <= 0.0:
        return Scored(0.0, f"{label}: no word, character or acronym in common")
    reasons = [f"{label} matched: {best_why}"]
    total = best_value
    for feature, default in QUALIFIERS:
        evidence = feature(query, candidate, ctx)
        total += cfg.weight(feature.__name__, default) * evidence.value
        if evidence.why:
            reasons.append(evidence.why)
    return Scored(max(0.0, min(1.0, total)), "; ".join(reasons))


def country_code(country: str | None) -> str | None:
    """ISO alpha-2 for a country as written, or None when absent or unknown (unknown is neutral)."""
    if not country or not country.strip():
        return None
    try:
        return normalize_country(country)
    except ValueError:
        return None


def address_words(address: str | None) -> frozenset[str]:
    """Distinctive words of an address: casefolded ASCII words of three or more characters."""
    if not address:
        return EMPTY
    text = ascii_text(address).casefold()
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    return frozenset(w for w in words if len(w) >= 3 and w not in _ADDRESS_NOISE) or EMPTY


_ADDRESS_NOISE = frozenset(
    {
        "road",
        "street",
        "str",
        "district",
        "city",
        "province",
        "floor",
        "room",
        "building",
        "bldg",
        "the",
        "and",
        "no",
        "unit",
        "zone",
        "industrial",
        "park",
        "area",
        "town",
        "village",
        "county",
        "china",
    }
)


def extra_factor(query: NormalizedName, extra: str, config: MatchConfig) -> float:
    """The share of a full name's score that a name found inside the query scores: plain brackets
    (`bracket_name_factor`) qualify the name more often than "formerly", "a.k.a." (`extra_name_factor`)."""
    return config.bracket_name_factor if extra in query.bracketed else config.extra_name_factor


def query_side(name: str | PreparedName, country: str | None, address: str | None) -> Side:
    prepared = prepare_name(name) if isinstance(name, str) else name
    return Side(prepared, country_code(country), address_words(address))


def company_names(
    company: Company,
    normalize: Callable[[str], NormalizedName] = normalize_name,
    known: Iterable[str] = (),
) -> list[tuple[str, str, NormalizedName]]:
    """Every name of a company, with its label and normal form: the name, each alias, and names found
    inside them (brackets, "formerly ..."). Names in `known` (casefolded, stripped) are left out without
    being normalised: a company gaining one alias costs one normalisation, not one per name it has."""
    out: list[tuple[str, str, NormalizedName]] = []
    seen: set[str] = set(known)

    def add(text: str, label: str) -> None:
        key = text.strip().casefold()
        if key and key not in seen:
            seen.add(key)
            out.append((text, label, normalize(text)))

    add(company.name, "name")
    for alias in company.aliases:
        add(alias, "alias")
    for text, label, normalized in list(out):
        for extra in normalized.extra_names:
            add(extra, f"part of {label} '{text}'")
    return out


def compare_names(
    query_name: str,
    query_country: str | None,
    candidate: Company,
    config: MatchConfig = DEFAULT_CONFIG,
    *,
    query_address: str | None = None,
    idf: Callable[[str], float] | None = None,
) -> Candidate:
    """Score a name against every name of one company (no index: for small lists such as restricted
    parties); the best name wins. Without `idf` every word is equally rare, so only token kinds weigh."""
    ctx = Context(config, idf or _uniform_idf)
    queries = [query_side(query_name, query_country, query_address)]
    queries += [
        query_side(extra, query_country, query_address) for extra in queries[0].name.normalized.extra_names
    ]
    country = country_code(candidate.country)
    address = address_words(candidate.address)
    best = Scored(-1.0, "")
    best_name = candidate.name
    names = [
        (text, label, prepare_normalized(text, normalized))
        for text, label, normalized in company_names(candidate)
    ]
    words = company_words([prepared for _, _, prepared in names])
    combined = combine_names([prepared for _, _, prepared in names])
    if combined is not None:
        best = score_sides(queries[0], Side(combined, country, address, words), ctx, "all names together")
    for text, label, prepared in names:
        side = Side(prepared, country, address, words)
        shown = f"{label} '{text}'" if label in ("name", "alias") else label
        for number, query in enumerate(queries):
            factor = 1.0 if number == 0 else extra_factor(queries[0].name.normalized, query.name.text, config)
            scored = score_sides(query, side, ctx, shown, factor)
            if scored.score > best.score:
                best, best_name = scored, text
    return Candidate(
        company_id=candidate.company_id,
        name=candidate.name,
        country=candidate.country,
        score=round(max(best.score, 0.0), 4),
        explanation=best.explanation,
        matched_name=best_name,
    )


def classify(candidates: Iterable[Candidate], config: MatchConfig = DEFAULT_CONFIG) -> Match:
    """matched: the best candidate reaches match_threshold and leads every other company by `margin`;
    ambiguous: it reaches review_threshold, or two companies are too close to call; else unmatched."""
    ranked = sorted(candidates, key=lambda c: (-c.score, c.company_id))
    if not ranked:
        return Match(status="unmatched", explanation="no candidate in the network")
    best = ranked[0]
    runner = next((c for c in ranked[1:] if c.company_id != best.company_id), None)
    everything = tuple(ranked)
    if best.score >= config.match_threshold:
        if runner is not None and best.score - runner.score < config.margin:
            return Match(
                status="ambiguous",
                score=best.score,
                explanation=(
                    f"'{best.name}' ({best.score:.2f}) and '{runner.name}' ({runner.score:.2f}) are too "
                    f"close to call (margin {config.margin:.2f}); best: {best.explanation}"
                ),
                candidates=everything,
            )
        return Match(
            status="matched",
            company_id=best.company_id,
            name=best.name,
            country=best.country,
            score=best.score,
            explanation=best.explanation,
            candidates=everything,
        )
    if best.score >= config.review_threshold:
        return Match(
            status="ambiguous",
            score=best.score,
            explanation=(
                f"best candidate '{best.name}' scored {best.score:.2f}, below the match threshold "
                f"{config.match_threshold:.2f}: {best.explanation}"
            ),
            candidates=everything,
        )
    return Match(
        status="unmatched",
        score=best.score,
        explanation=(
            f"best candidate '{best.name}' scored {best.score:.2f}, below {config.review_threshold:.2f}"
        ),
        candidates=everything,
    )
