"""Measuring the matcher on a labelled set built from OFAC sanctions entities (leave one alias out).

Every OFAC entity (type `-0-`, i.e. not a person, vessel or aircraft) is indexed as a company with its
primary name and all its aliases except one withheld alias; querying the withheld alias must return
the entity (a *positive*). A share of entities is left out of the index entirely; querying any of their
names must not produce a `matched` verdict (a *negative*). A plain rapidfuzz baseline
(`process.extractOne` with `WRatio` over every indexed name) runs on the same cases.

`evaluate(...)` returns a plain metrics dict, so that tests assert floors and a benchmark prints it.
"""

from __future__ import annotations

import csv
import io
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

from screening.matching.config import MatchConfig
from screening.matching.features import PreparedName, prepare_name
from screening.matching.index import MatchIndex
from screening.matching.scoring import DEFAULT_CONFIG, classify, country_code
from screening.model import Company
from screening.names import name_key

CATEGORIES = ("equal", "reordered", "abbreviated", "acronym", "partial", "none", "cross_script")
# Aliases that share a word (as written, abbreviated or with a typo) with another name of the entity.
SHARES_A_WORD = ("equal", "reordered", "abbreviated", "partial")

# OFAC spellings that the country normaliser does not know.
_OFAC_COUNTRIES = {
    "korea, north": "KP",
    "korea, south": "KR",
    "burma": "MM",
    "congo, democratic republic of the": "CD",
    "congo, republic of the": "CG",
    "virgin islands, british": "VG",
    "palestinian": "PS",
    "region: gaza": "PS",
    "west bank": "PS",
    "region: west bank": "PS",
    "the gambia": "GM",
    "bahamas, the": "BS",
    "man, isle of": "IM",
    "north macedonia, the republic of": "MK",
    "cote d ivoire": "CI",
    "macau": "MO",
    "region: crimea": "UA",
    "kosovo": "XK",
    "netherlands antilles": "CW",
}


@dataclass(frozen=True, slots=True)
class ListEntity:
    """An entity of a sanctions list: primary name, aliases, ISO countries of its addresses."""

    entity_id: str
    name: str
    aliases: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    @property
    def country(self) -> str | None:
        return self.countries[0] if self.countries else None


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled query: the expected entity (None for a negative) and its difficulty category."""

    query: str
    country: str | None
    expected: str | None
    category: str


def read_legacy_csv(path: Path) -> list[list[str]]:
    """Rows of an OFAC legacy CSV: no header, CRLF lines, a trailing 0x1A byte, `-0-` for empty."""
    raw = path.read_bytes().rstrip(b"\x1a\r\n ")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text)):
        if row:
            rows.append(["" if cell.strip() == "-0-" else cell.strip() for cell in row])
    return rows


def _ofac_country(value: str) -> str | None:
    if not value:
        return None
    return _OFAC_COUNTRIES.get(value.casefold()) or country_code(value)


def load_ofac_entities(folder: Path, prefix: str = "") -> list[ListEntity]:
    """Entities (type `-0-`) of an OFAC legacy CSV set: `sdn.csv`, `alt.csv`, `add.csv` (SDN list) or,
    with prefix `cons_`, `cons_prim.csv`, `cons_alt.csv`, `cons_add.csv` (consolidated non-SDN list)."""
    primary = folder / (f"{prefix}prim.csv" if prefix else "sdn.csv")
    entities: dict[str, tuple[str, list[str], list[str]]] = {}
    for row in read_legacy_csv(primary):
        if len(row) > 2 and row[2] == "" and row[1]:
            entities[row[0]] = (row[1], [], [])
    for row in read_legacy_csv(folder / f"{prefix}alt.csv"):
        if len(row) > 3 and row[0] in entities and row[3]:
            entities[row[0]][1].append(row[3])
    for row in read_legacy_csv(folder / f"{prefix}add.csv"):
        if len(row) > 4 and row[0] in entities:
            code = _ofac_country(row[4])
            if code and code not in entities[row[0]][2]:
                entities[row[0]][2].append(code)
    id_prefix = "ofac-cons-" if prefix else "ofac-"
    return [
        ListEntity(id_prefix + ent, name, tuple(dict.fromkeys(aliases)), tuple(countries))
        for ent, (name, aliases, countries) in entities.items()
    ]


# --- categories -----------------------------------------------------------------------------------


def _scripts(prepared: PreparedName) -> tuple[bool, bool]:
    """(has Han, has another non-Latin script)."""
    text = prepared.text
    has_han = prepared.normalized.han is not None
    other = any(ch.isalpha() and not ch.isascii() and ord(ch) > 0x024F for ch in text) and not has_han
    return has_han, other


def _shortens(short: str, long: str) -> bool:
    """`short` keeps the first letter of `long` and some of the rest in order, at most 60% of its length
    ("intl", "natl"): a spelling variant such as "kala" for "kalaye" is no abbreviation."""
    if len(short) < 2 or len(short) > 0.6 * len(long) or short[0] != long[0]:
        return False
    rest = iter(long[1:])
    return all(ch in rest for ch in short[1:])


def _abbreviates(a: Sequence[str], b: Sequence[str]) -> bool:
    """The two token lists pair up one to one (in any order), each pair equal or one shortening the
    other, and at least one pair is a shortening. Legal forms and generic words are left out by the
    caller: "co" for "complex" is no abbreviation."""
    if not a or len(a) != len(b):
        return False
    left = sorted(set(a) - set(b))
    right = sorted(set(b) - set(a))
    if not left or len(left) != len(right):
        return False
    unused = list(right)
    for token in left:
        partner = next((t for t in unused if _shortens(token, t) or _shortens(t, token)), None)
        if partner is None:
            return False
        unused.remove(partner)
    return True


def _distinct(prepared: PreparedName) -> list[str]:
    """The tokens that tell companies apart: not legal forms or generic words, not places."""
    normalized = prepared.normalized
    return sorted(
        t for t, k in zip(normalized.tokens, normalized.kinds, strict=True) if k not in ("generic", "place")
    )


def categorize(query: str, names: Sequence[str]) -> str:
    """How hard a query is against the names it should match, independent of the scorer:
    cross_script, equal (same tokens after normalisation), reordered, abbreviated (the same words with
    some of them shortened, as "INTL" for "INTERNATIONAL"), acronym, partial (shares a word, exactly or
    with a typo), none."""
    q = prepare_name(query)
    prepared = [prepare_name(n) for n in names]
    if prepared and all(_scripts(q) != _scripts(p) for p in prepared):
        return "cross_script"
    q_tokens = q.normalized.tokens
    q_distinct = {
        t for t, k in zip(q_tokens, q.normalized.kinds, strict=True) if k not in ("generic", "place")
    }
    best = "none"
    order = {c: i for i, c in enumerate(CATEGORIES)}
    for p in prepared:
        tokens = p.normalized.tokens
        if (q_tokens and tokens == q_tokens) or (q.normalized.han and q.normalized.han == p.normalized.han):
            found = "equal"
        elif q_tokens and sorted(tokens) == sorted(q_tokens):
            found = "reordered"
        elif _abbreviates(sorted(q_distinct), _distinct(p)):
            found = "abbreviated"
        elif (q.core_token and q.core_token in p.acronyms) or (p.core_token and p.core_token in q.acronyms):
            found = "acronym"
        elif q_distinct & set(tokens) or any(
            fuzz.ratio(a, b) >= 80 for a in q_distinct if len(a) >= 4 for b in tokens if len(b) >= 4
        ):
            found = "partial"
        else:
            found = "none"
        if order[found] < order[best]:
            best = found
    return best


# --- building the labelled set --------------------------------------------------------------------


def build_cases(
    entities: Sequence[ListEntity], *, negative_share: float = 0.1, seed: int = 7
) -> tuple[list[Company], list[Case]]:
    """The companies to index and the labelled queries (leave one alias out; withheld entities)."""
    rng = random.Random(seed)
    ordered: list[ListEntity] = []
    seen_primary: set[str] = set()
    for entity in sorted(entities, key=lambda e: e.entity_id):
        key = name_key(entity.name, None)
        if key not in seen_primary:  # the same entity listed twice (SDN and non-SDN lists)
            seen_primary.add(key)
            ordered.append(entity)
    negatives = {e.entity_id for e in ordered if rng.random() < negative_share}
    companies: list[Company] = []
    cases: list[Case] = []
    for entity in ordered:
        if entity.entity_id in negatives:
            for text in (entity.name, *entity.aliases):
                cases.append(Case(text, entity.country, None, "negative"))
            continue
        aliases = list(entity.aliases)
        withheld = aliases.pop(rng.randrange(len(aliases))) if aliases else None
        companies.append(Company(entity.entity_id, entity.name, entity.country, aliases=tuple(aliases)))
        if withheld is not None:
            category = categorize(withheld, [entity.name, *aliases])
            cases.append(Case(withheld, entity.country, entity.entity_id, category))
    # A withheld entity's name that another indexed entity also bears is no negative: any matcher must
    # (and should) find the namesake.
    indexed = {name_key(text, None) for c in companies for text in (c.name, *c.aliases)}
    cases = [c for c in cases if c.expected is not None or name_key(c.query, None) not in indexed]
    return companies, cases


# --- evaluating -----------------------------------------------------------------------------------


def _rates(outcomes: list[tuple[Case, str, str | None]]) -> dict[str, Any]:
    """precision/recall of `matched`, ambiguous and wrong-entity rates, false-match rate on negatives."""
    positives = [o for o in outcomes if o[0].expected is not None]
    negatives = [o for o in outcomes if o[0].expected is None]
    matched = [o for o in outcomes if o[1] == "matched"]
    correct = [o for o in positives if o[1] == "matched" and o[2] == o[0].expected]
    wrong = [o for o in positives if o[1] == "matched" and o[2] != o[0].expected]
    false_neg = [o for o in negatives if o[1] == "matched"]
    out: dict[str, Any] = {
        "positives": len(positives),
        "negatives": len(negatives),
        "precision": round(len(correct) / len(matched), 4) if matched else 1.0,
        "recall": round(len(correct) / len(positives), 4) if positives else 0.0,
        "ambiguous_rate": round(sum(o[1] == "ambiguous" for o in positives) / len(positives), 4)
        if positives
        else 0.0,
        "wrong_entity_rate": round(len(wrong) / len(positives), 4) if positives else 0.0,
        "false_match_rate": round(len(false_neg) / len(negatives), 4) if negatives else 0.0,
        "negatives_ambiguous_rate": round(sum(o[1] == "ambiguous" for o in negatives) / len(negatives), 4)
        if negatives
        else 0.0,
    }
    return out


def _by_category(outcomes: list[tuple[Case, str, str | None]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[tuple[Case, str, str | None]]] = defaultdict(list)
    for outcome in outcomes:
        if outcome[0].expected is not None:
            groups[outcome[0].category].append(outcome)
    out: dict[str, dict[str, Any]] = {}
    for category in CATEGORIES:
        group = groups.get(category, [])
        if not group:
            continue
        n = len(group)
        out[category] = {
            "n": n,
            "recall": round(sum(o[1] == "matched" and o[2] == o[0].expected for o in group) / n, 4),
            "ambiguous": round(sum(o[1] == "ambiguous" for o in group) / n, 4),
            "wrong": round(sum(o[1] == "matched" and o[2] != o[0].expected for o in group) / n, 4),
        }
    return out


def evaluate(
    entities: Sequence[ListEntity],
    config: MatchConfig = DEFAULT_CONFIG,
    *,
    negative_share: float = 0.1,
    seed: int = 7,
    sample: int | None = None,
    use_country: bool = True,
    baseline_cutoffs: Sequence[float] = (85.0, 90.0, 95.0),
) -> dict[str, Any]:
    """Leave-one-alias-out metrics of the matcher and of the rapidfuzz baseline on the same cases.

    `sample` limits the number of queries (positives and negatives alike, chosen at random with `seed`);
    the index always holds every non-withheld entity. With `use_country`, queries carry the entity's
    country, as an importer's supplier list would.
    """
    companies, cases = build_cases(entities, negative_share=negative_share, seed=seed)
    if sample is not None and sample < len(cases):
        cases = sorted(
            random.Random(seed + 1).sample(cases, sample), key=lambda c: (c.expected or "", c.query)
        )

    started = time.perf_counter()
    index = MatchIndex(companies, config)
    build_seconds = time.perf_counter() - started

    started = time.perf_counter()
    ours: list[tuple[Case, str, str | None]] = []
    for case in cases:
        verdict = classify(index.search(case.query, case.country if use_country else None), config)
        ours.append((case, verdict.status, verdict.company_id))
    query_seconds = time.perf_counter() - started

    names: list[str] = []
    owners: list[str] = []
    for company in companies:
        for text in (company.name, *company.aliases):
            names.append(text)
            owners.append(company.company_id)
    started = time.perf_counter()
    best: list[tuple[float, str]] = []
    for case in cases if baseline_cutoffs else ():
        found = process.extractOne(case.query, names, scorer=fuzz.WRatio, processor=utils.default_process)
        best.append((found[1], owners[found[2]]) if found else (0.0, ""))
    baseline_seconds = time.perf_counter() - started
    baseline: dict[str, Any] = {}
    for cutoff in baseline_cutoffs:
        outcomes: list[tuple[Case, str, str | None]] = [
            (case, "matched" if score >= cutoff else "unmatched", owner)
            for case, (score, owner) in zip(cases, best, strict=True)
        ]
        baseline[f"wratio>={cutoff:g}"] = {**_rates(outcomes), "by_category": _by_category(outcomes)}

    return {
        "entities_indexed": len(companies),
        "names_indexed": index.name_count,
        "queries": len(cases),
        "categories": dict(Counter(c.category for c in cases)),
        "build_seconds": round(build_seconds, 3),
        "ms_per_query": round(1000 * query_seconds / max(len(cases), 1), 3),
        "baseline_ms_per_query": round(1000 * baseline_seconds / max(len(cases), 1), 3),
        "ours": {**_rates(ours), "by_category": _by_category(ours)},
        "baseline": baseline,
        "config": config.model_dump(),
    }


# --- calibrated at a false-match rate -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BestCandidate:
    """A query's best candidate: its score and whether it is the expected entity (never, for a
    negative). Scores are on the scorer's own scale (the matcher's [0, 1], WRatio's [0, 100])."""

    case: Case
    score: float
    right: bool
    lead: float = 1.0  # over the best other company (the matcher's verdict needs `margin` of it)

    def passes(self, threshold: float, margin: float) -> bool:
        """Whether the verdict at this threshold is `matched` (score reached and lead kept)."""
        return self.score >= threshold and self.lead >= margin


def score_matcher(
    companies: Sequence[Company],
    cases: Sequence[Case],
    config: MatchConfig = DEFAULT_CONFIG,
    *,
    use_country: bool = True,
) -> list[BestCandidate]:
    """The matcher's best candidate per query, before any threshold or margin."""
    index = MatchIndex(companies, config)
    out: list[BestCandidate] = []
    for case in cases:
        found = index.search(case.query, case.country if use_country else None, limit=2)
        if not found:
            out.append(BestCandidate(case, 0.0, False))
            continue
        best = found[0]
        lead = best.score - found[1].score if len(found) > 1 else 1.0
        right = case.expected is not None and best.company_id == case.expected
        out.append(BestCandidate(case, best.score, right, lead))
    return out


def score_baseline(companies: Sequence[Company], cases: Sequence[Case]) -> list[BestCandidate]:
    """Plain rapidfuzz: `process.extractOne(query, names, scorer=WRatio, processor=default_process)`
    over every indexed name. The names are processed once up front, which gives the same result."""
    names: list[str] = []
    owners: list[str] = []
    for company in companies:
        for text in (company.name, *company.aliases):
            names.append(utils.default_process(text))
            owners.append(company.company_id)
    out: list[BestCandidate] = []
    for case in cases:
        found = process.extractOne(
            utils.default_process(case.query), names, scorer=fuzz.WRatio, processor=None
        )
        if found is None:
            out.append(BestCandidate(case, 0.0, False))
            continue
        owner = owners[found[2]]
        out.append(BestCandidate(case, float(found[1]), case.expected is not None and owner == case.expected))
    return out


def threshold_at(negative_scores: Sequence[float], rate: float) -> float:
    """The lowest score that lets through at most `rate` of the negatives (ties count against it)."""
    ranked = sorted(negative_scores, reverse=True)
    allowed = int(rate * len(ranked) + 1e-9)
    if allowed >= len(ranked):
        return 0.0
    return math.nextafter(ranked[allowed], math.inf)


def calibrated(
    scored: Sequence[BestCandidate], rates: Sequence[float] = (0.02, 0.05), margin: float = 0.0
) -> dict[str, Any]:
    """For each false-match rate: the threshold set on the negatives, the share of positives whose
    best candidate is right and reaches it (overall and per category, None for an empty category),
    and the share whose best candidate is another entity and reaches it (wrong entity).

    With `margin`, a best candidate that leads the next company by less is no match at any threshold
    (the matcher calls it ambiguous and a person decides), as `classify` does."""
    scored = [s if s.lead >= margin else replace(s, score=0.0) for s in scored]
    positives = [s for s in scored if s.case.expected is not None]
    negatives = [s.score for s in scored if s.case.expected is None]
    groups: dict[str, list[BestCandidate]] = defaultdict(list)
    for s in positives:
        groups[s.case.category].append(s)
    out: dict[str, Any] = {
        "positives": len(positives),
        "negatives": len(negatives),
        "n": {category: len(groups.get(category, [])) for category in CATEGORIES},
        # the share of each class whose best candidate is the right entity, at any score: the most any
        # threshold can recall
        "top1": {
            category: round(sum(s.right for s in group) / len(group), 4)
            for category in CATEGORIES
            if (group := groups.get(category))
        },
    }
    sharing = [s for s in positives if s.case.category in SHARES_A_WORD]
    for rate in rates:
        cut = threshold_at(negatives, rate)

        def recall(group: Sequence[BestCandidate], cut: float = cut) -> float | None:
            if not group:
                return None
            return round(sum(s.right and s.score >= cut for s in group) / len(group), 4)

        out[f"{rate:g}"] = {
            "threshold": round(cut, 4),
            "false_match_rate": round(sum(n >= cut for n in negatives) / len(negatives), 4)
            if negatives
            else 0.0,
            "recall": recall(positives),
            "wrong_entity_rate": round(
                sum(not s.right and s.score >= cut for s in positives) / len(positives), 4
            )
            if positives
            else 0.0,
            "by_category": {category: recall(groups.get(category, [])) for category in CATEGORIES},
            "shares_a_word": recall(sharing),
        }
    return out


def evaluate_calibrated(
    entities: Sequence[ListEntity],
    config: MatchConfig = DEFAULT_CONFIG,
    *,
    negative_share: float = 0.1,
    seed: int = 7,
    sample: int | None = None,
    use_country: bool = True,
    rates: Sequence[float] = (0.02, 0.05),
    baseline: bool = True,
) -> dict[str, Any]:
    """Leave-one-alias-out recall of the matcher and of the rapidfuzz baseline, each at thresholds set
    so that at most `rates` of the negatives pass: the two are compared at equal false-match rates,
    whatever their score scales. `sample` picks that many queries at random (with `seed`)."""
    companies, cases = build_cases(entities, negative_share=negative_share, seed=seed)
    if sample is not None and sample < len(cases):
        cases = sorted(
            random.Random(seed + 1).sample(cases, sample), key=lambda c: (c.expected or "", c.query)
        )
    started = time.perf_counter()
    ours = score_matcher(companies, cases, config, use_country=use_country)
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    theirs = score_baseline(companies, cases) if baseline else []
    baseline_seconds = time.perf_counter() - started
    return {
        "entities_indexed": len(companies),
        "queries": len(cases),
        "seconds": round(ours_seconds, 2),
        "baseline_seconds": round(baseline_seconds, 2),
        "ours": calibrated(ours, rates, config.margin),
        "baseline": calibrated(theirs, rates) if baseline else None,
    }
