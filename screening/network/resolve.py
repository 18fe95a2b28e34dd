"""Entity resolution: one real company gets one id, however messily bills of lading write it.

Each shipper or consignee string goes through three doors, cheapest first:

1. the source's own id (`shipper_id` / `consignee_id`), trusted when present;
2. its clustering key (`names.name_key`: legal forms, punctuation, case and word order removed,
   plus the country) already seen -- the same spelling, or a trivially different one, resolves to
   the company it resolved to before, with no scoring at all (a key that names of two companies
   share is left to the matcher);
3. the matcher, over every company known so far (registry companies with their aliases, and the
   companies clustered earlier in this and previous loads): a `matched` verdict links the string,
   and so does a near tie that a registry company leads over companies founded from bills (they are
   most likely earlier misspellings of it);

and otherwise it founds a new company whose id is derived from its key, so that loading the same
file again, or another file naming the same company, lands on the same id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from screening.matching import MatchConfig, MatchIndex, classify
from screening.model import Company, Match
from screening.names import name_key


@dataclass(frozen=True, slots=True)
class NewName:
    """A spelling to remember for a company: registry name/alias, or a bill-of-lading observation."""

    company_id: str
    name: str
    country: str | None
    kind: str  # "primary" | "alias" | "observed"
    key: str


def derived_company_id(key: str) -> str:
    """A stable id for a company founded from bill-of-lading names: the same key, the same id."""
    return "N" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12].upper()


_DERIVED_ID = re.compile(r"N[0-9A-F]{12}")


def is_derived(company_id: str) -> bool:
    """Whether an id is one `derived_company_id` gives (a company founded from bills of lading)."""
    return _DERIVED_ID.fullmatch(company_id) is not None


def registry_tie(verdict: Match, config: MatchConfig) -> str | None:
    """The registry company of a near tie between it and companies founded from bills of lading.

    A spelling that fits a registry company best, and companies founded from bills about as well (all
    above the match threshold, within the margin), belongs to the registry company: the founded
    companies are most likely earlier misspellings of it, and linking keeps it from splitting further.
    Two registry companies, or a founded company ahead, stay a tie."""
    if verdict.status != "ambiguous" or not verdict.candidates:
        return None
    top = verdict.candidates[0].score
    close = [
        c for c in verdict.candidates if c.score >= config.match_threshold and top - c.score < config.margin
    ]
    registry = [c.company_id for c in close if not is_derived(c.company_id)]
    if len(registry) == 1 and len(close) > 1 and registry[0] == close[0].company_id:
        return registry[0]
    return None


# Resolution scores fewer candidates per spelling than screening does (the matcher's defaults are 60
# and 20): a bill-of-lading spelling is linked by its best candidate or founds a company, so the long
# tail of the shortlist only costs time. On the synthetic network at scale 30 (109,337 rows, 4,494
# companies seen) this halves resolution time with 355 companies split over several ids instead of
# 372, 150 ids holding two companies instead of 161, and the same 33 registry companies missed.
RESOLVE_CONFIG = MatchConfig(max_candidates=20, combined_candidates=5)


@dataclass
class Resolver:
    """Resolves party strings to company ids, learning as it goes (new companies, new spellings)."""

    index: MatchIndex
    keys: dict[str, str]
    known_ids: set[str]
    config: MatchConfig = RESOLVE_CONFIG
    new_companies: list[Company] = field(default_factory=list)
    new_names: list[NewName] = field(default_factory=list)
    linked: int = 0  # strings linked to an existing company by the matcher
    _cache: dict[tuple[str, str | None, str | None], str] = field(default_factory=dict)

    @classmethod
    def start(
        cls, companies: Iterable[Company], keys: dict[str, str], config: MatchConfig = RESOLVE_CONFIG
    ) -> Resolver:
        """A resolver over the companies known so far and the keys their names were stored under.

        A key that names of two different companies share ("Copper Grove E-Bikes Inc." and "Copper
        Grove E-Bikes Corporation") is left to the matcher: it cannot say which of them a spelling is."""
        known = list(companies)
        owners: dict[str, set[str]] = {}
        for company in known:
            for text in (company.name, *company.aliases):
                owners.setdefault(name_key(text, company.country), set()).add(company.company_id)
        usable = {key: cid for key, cid in keys.items() if len(owners.get(key, ())) <= 1}
        return cls(
            index=MatchIndex(known, config),
            keys=usable,
            known_ids={c.company_id for c in known},
            config=config,
        )

    def resolve(self, name: str, country: str | None, address: str | None, given_id: str | None) -> str:
        cache_key = (name, country, given_id)
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        company_id = self._resolve(name, country, address, given_id)
        self._cache[cache_key] = company_id
        return company_id

    def _resolve(self, name: str, country: str | None, address: str | None, given_id: str | None) -> str:
        key = name_key(name, country)
        if given_id:
            if given_id not in self.known_ids:
                self._found(Company(company_id=given_id, name=name, country=country, address=address), key)
            elif key not in self.keys:
                self._observe(given_id, name, country, key)
            return given_id
        known = self.keys.get(key)
        if known is not None:
            return known
        verdict = classify(self.index.search(name, country=country, address=address), self.config)
        linked = verdict.company_id if verdict.status == "matched" else registry_tie(verdict, self.config)
        if linked is not None:
            self.linked += 1
            self._observe(linked, name, country, key)
            return linked
        company_id = derived_company_id(key)
        if company_id in self.known_ids:  # the key was seen in an earlier load under another spelling
            self._observe(company_id, name, country, key)
            return company_id
        self._found(Company(company_id=company_id, name=name, country=country, address=address), key)
        return company_id

    def _found(self, company: Company, key: str) -> None:
        self.known_ids.add(company.company_id)
        self.new_companies.append(company)
        self.index.add(company)
        self.keys[key] = company.company_id
        self.new_names.append(NewName(company.company_id, company.name, company.country, "observed", key))

    def _observe(self, company_id: str, name: str, country: str | None, key: str) -> None:
        self.keys[key] = company_id
        self.new_names.append(NewName(company_id, name, country, "observed", key))
        known = self.index.get(company_id)
        if known is not None:  # the index learns the spelling as one more name of the company
            self.index.add(
                Company(company_id=company_id, name=known.name, country=known.country, aliases=(name,))
            )

    def drain(self) -> tuple[list[Company], list[NewName]]:
        """Hand over what was learnt since the last drain (to be stored by the caller)."""
        companies, names = self.new_companies, self.new_names
        self.new_companies, self.new_names = [], []
        return companies, names
