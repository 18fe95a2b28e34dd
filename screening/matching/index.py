"""The blocking index: from a written name to the few hundred network names worth scoring.

Every name of every company (primary name, each alias, names found in brackets) is an entry. An
inverted index maps keys to entry ids (compact `array` posting lists):

- each token of the Latin and pinyin views, and each pair of neighbouring tokens written together
  (so "zhong ke" finds "zhongke" and the other way round);
- `#` + each acronym of the name (so "CATL" finds "Contemporary Amperex Technology Limited");
- `~` + the metaphone code of each word (so "Sovkomkard" finds "Sovcomcard").

A query looks up its own tokens, runs of two to four of its tokens written together, its acronyms and,
for words the index has never seen, the closest known words of the same beginning or ending (typos).
Entries collect the rarity (IDF) of the keys they share with the query; keys held by very many names are
skipped once rarer keys have proposed candidates. Only the best `max_candidates` entries are scored with
the features, so a query never compares against every company.

Not safe to `add` while other threads `search`; build, then share read-only.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import pairwise
from operator import itemgetter

from rapidfuzz import fuzz, process

from screening.matching.config import MatchConfig
from screening.matching.features import (
    EMPTY,
    Context,
    PreparedName,
    Side,
    combine_names,
    company_words,
    phonetic_key,
    prepare_normalized,
)
from screening.matching.scoring import (
    DEFAULT_CONFIG,
    address_words,
    company_names,
    country_code,
    extra_factor,
    query_side,
    score_sides,
)
from screening.model import Candidate, Company
from screening.names import normalize_uncached


@dataclass(frozen=True, slots=True)
class _Entry:
    prepared: PreparedName
    company: int  # position in MatchIndex._companies
    label: str  # "name 'X'", "alias 'Y'", "part of alias 'Z'"


def _index_keys(prepared: PreparedName) -> set[str]:
    keys: set[str] = set()
    for view in (prepared.latin, prepared.pinyin):
        if view is None:
            continue
        tokens = view.tokens
        keys.update(tokens)
        keys.update(a + b for a, b in pairwise(tokens))
        keys.update("~" + code for t in tokens if (code := phonetic_key(t)) is not None)
    keys.update("#" + a for a in prepared.acronyms)
    return keys


class MatchIndex:
    """Companies indexed by every name they go by; `search` returns the best candidates for a name."""

    def __init__(self, companies: Iterable[Company] = (), config: MatchConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self._companies: list[Company] = []
        self._countries: list[str | None] = []
        self._addresses: list[frozenset[str]] = []
        self._position: dict[str, int] = {}
        self._company_entries: list[list[int]] = []
        self._combined: dict[int, PreparedName | None] = {}  # cache, dropped when a company gains names
        self._words: dict[int, frozenset[str]] = {}  # cache, likewise
        self._entries: list[_Entry] = []
        self._postings: dict[str, int | array[int]] = {}
        self._vocabulary: set[str] = set()
        self._by_prefix: dict[str, list[str]] = {}
        self._by_suffix: dict[str, list[str]] = {}
        for company in companies:
            self.add(company)

    def __len__(self) -> int:
        return len(self._companies)

    def __contains__(self, company_id: object) -> bool:
        return company_id in self._position

    @property
    def name_count(self) -> int:
        return len(self._entries)

    def get(self, company_id: str) -> Company | None:
        position = self._position.get(company_id)
        return None if position is None else self._companies[position]

    # --- building ---------------------------------------------------------------------------------

    def add(self, company: Company) -> None:
        """Index a company; a known company_id gains the new names (its country and address are
        updated when the new record has them)."""
        position = self._position.get(company.company_id)
        if position is None:
            position = len(self._companies)
            self._position[company.company_id] = position
            self._companies.append(company)
            self._countries.append(None)
            self._addresses.append(EMPTY)
            self._company_entries.append([])
        else:
            company = self._merge(self._companies[position], company)
            self._companies[position] = company
        self._countries[position] = country_code(company.country)
        self._addresses[position] = address_words(company.address)
        seen = {self._entries[e].prepared.text.strip().casefold() for e in self._company_entries[position]}
        for text, label, normalized in company_names(company, normalize_uncached):
            key = text.strip().casefold()
            if key in seen:
                continue
            seen.add(key)
            prepared = prepare_normalized(text, normalized)
            if not prepared.views:
                continue
            shown = f"{label} '{text}'" if label in ("name", "alias") else label
            self._add_entry(_Entry(prepared, position, shown))

    @staticmethod
    def _merge(old: Company, new: Company) -> Company:
        known = {old.name.casefold(), *(a.casefold() for a in old.aliases)}
        extra = [n for n in (new.name, *new.aliases) if n.casefold() not in known]
        return replace(
            old,
            aliases=old.aliases + tuple(dict.fromkeys(extra)),
            country=new.country or old.country,
            address=new.address or old.address,
            lei=new.lei or old.lei,
        )

    def _add_entry(self, entry: _Entry) -> None:
        entry_id = len(self._entries)
        self._entries.append(entry)
        self._company_entries[entry.company].append(entry_id)
        self._combined.pop(entry.company, None)
        self._words.pop(entry.company, None)
        postings = self._postings
        for key in _index_keys(entry.prepared):
            held = postings.get(key)
            if held is None:
                postings[key] = entry_id  # most keys belong to one name: an int, not an array
            elif isinstance(held, int):
                postings[key] = array("I", (held, entry_id))
            else:
                held.append(entry_id)
        for view in (entry.prepared.latin, entry.prepared.pinyin):
            if view is None:
                continue
            for token, kind in zip(view.tokens, view.kinds, strict=True):
                if token in self._vocabulary or kind == "number" or len(token) < self.config.fuzzy_min_length:
                    continue
                self._vocabulary.add(token)
                self._by_prefix.setdefault(token[:3], []).append(token)
                self._by_suffix.setdefault(token[-3:], []).append(token)

    def _combined_name(self, position: int) -> PreparedName | None:
        if position not in self._combined:
            if len(self._combined) >= 100_000:  # a cache, not a second copy of the network
                self._combined.clear()
            names = [self._entries[e].prepared for e in self._company_entries[position]]
            self._combined[position] = combine_names(names)
        return self._combined[position]

    def _side(self, prepared: PreparedName, position: int) -> Side:
        """A name of the company at `position` as a comparison side, with what all its names say."""
        words = self._words.get(position)
        if words is None:
            if len(self._words) >= 100_000:  # a cache, not a second copy of the network
                self._words.clear()
            names = [self._entries[e].prepared for e in self._company_entries[position]]
            words = self._words[position] = company_words(names)
        return Side(prepared, self._countries[position], self._addresses[position], words)

    # --- searching --------------------------------------------------------------------------------

    def idf(self, key: str) -> float:
        """Rarity of a key among all indexed names: log(1 + N / (df + 1)); unseen keys are rarest."""
        return math.log(1.0 + len(self._entries) / (self.frequency(key) + 1.0))

    def frequency(self, key: str) -> int:
        """How many indexed names hold a key (a token, or `#` + an acronym)."""
        held = self._postings.get(key)
        if held is None:
            return 0
        return 1 if isinstance(held, int) else len(held)

    def _entries_of(self, key: str) -> Iterable[int]:
        held = self._postings.get(key)
        if held is None:
            return ()
        return (held,) if isinstance(held, int) else held

    def similar_tokens(self, token: str) -> list[tuple[str, float]]:
        """Known tokens that share the first or last three letters and are within the typo tolerance."""
        cutoff = self.config.fuzzy_min_similarity * 100.0
        limit = self.config.fuzzy_vocabulary_limit
        found: dict[str, float] = {}
        for pool in (self._by_prefix.get(token[:3]), self._by_suffix.get(token[-3:])):
            if not pool:
                continue
            for choice, score, _ in process.extract(
                token, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit
            ):
                found[choice] = max(found.get(choice, 0.0), score / 100.0)
        return sorted(found.items(), key=itemgetter(1), reverse=True)[:limit]

    def _query_keys(self, prepared: PreparedName) -> dict[str, float]:
        cfg = self.config
        keys: dict[str, float] = {}
        for view in (prepared.latin, prepared.pinyin):
            if view is None:
                continue
            tokens = view.tokens
            for size in (1, 2, 3, 4):
                for start in range(len(tokens) - size + 1):
                    keys["".join(tokens[start : start + size])] = 1.0
            for token, kind in zip(tokens, view.kinds, strict=True):
                code = phonetic_key(token)
                if code is not None and kind == "word":
                    keys.setdefault("~" + code, cfg.phonetic_similarity)
                if token in self._vocabulary or kind == "number" or len(token) < cfg.fuzzy_min_length:
                    continue
                for similar, similarity in self.similar_tokens(token):
                    keys[similar] = max(keys.get(similar, 0.0), similarity)
        if prepared.core_token is not None:
            keys["#" + prepared.core_token] = 1.0
        for initials in prepared.acronyms:
            keys.setdefault(initials, 1.0)
        return keys

    def candidate_entries(self, prepared: PreparedName) -> list[int]:
        """Entry ids worth scoring for a query, best blocking score first, at most `max_candidates`."""
        cfg = self.config
        hits = [
            (df, key, weight)
            for key, weight in self._query_keys(prepared).items()
            if (df := self.frequency(key)) > 0
        ]
        hits.sort()
        scores: dict[int, float] = {}
        for df, key, weight in hits:
            if df > cfg.common_key_postings and scores:
                continue
            gain = weight * self.idf(key)
            for entry_id in self._entries_of(key):
                scores[entry_id] = scores.get(entry_id, 0.0) + gain
        best = heapq.nlargest(cfg.max_candidates, scores.items(), key=itemgetter(1))
        return [entry_id for entry_id, _ in best]

    def search(
        self, name: str, country: str | None = None, address: str | None = None, limit: int = 5
    ) -> list[Candidate]:
        """The best `limit` companies for a written name, best first, one candidate per company, each
        with its score in [0, 1], the name that scored best and a sentence saying why."""
        first = query_side(name, country, address)
        queries = [first] + [
            query_side(extra, country, address) for extra in first.name.normalized.extra_names
        ]
        ctx = Context(self.config, self.idf, self.frequency)
        best: dict[int, tuple[float, str, str]] = {}
        for number, query in enumerate(queries):
            factor = 1.0 if number == 0 else extra_factor(first.name.normalized, query.name.text, self.config)
            for entry_id in self.candidate_entries(query.name):
                entry = self._entries[entry_id]
                side = self._side(entry.prepared, entry.company)
                scored = score_sides(query, side, ctx, entry.label, factor)
                current = best.get(entry.company)
                if current is None or scored.score > current[0]:
                    best[entry.company] = (scored.score, scored.explanation, entry.prepared.text)
        shortlist = heapq.nlargest(self.config.combined_candidates, best.items(), key=lambda item: item[1][0])
        for position, _ in shortlist:
            combined = self._combined_name(position)
            if combined is None:
                continue
            side = self._side(combined, position)
            scored = score_sides(queries[0], side, ctx, "all names together")
            if scored.score > best[position][0]:
                best[position] = (scored.score, scored.explanation, self._companies[position].name)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], self._companies[item[0]].company_id))
        out: list[Candidate] = []
        for position, (score, explanation, matched) in ranked[:limit]:
            company = self._companies[position]
            out.append(
                Candidate(
                    company_id=company.company_id,
                    name=company.name,
                    country=company.country,
                    score=round(score, 4),
                    explanation=explanation,
                    matched_name=matched,
                )
            )
        return out
