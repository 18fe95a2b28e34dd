"""Entity resolution of bill-of-lading parties (screening/network/resolve.py), measured on the synthetic
demo network against its answer key (truth.json: every spelling of every company), the way
`services._load_shipments` runs it: registry companies first, their names keyed with `name_key`."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from screening import ingest, synth
from screening.codes import normalize_country
from screening.matching import MatchConfig, classify
from screening.model import Candidate, Company, Match, RowError
from screening.names import name_key
from screening.network.resolve import Resolver, derived_company_id, is_derived, registry_tie

# Measured on seed 7: 176 companies seen in shipments, 5 fragmented (each into 2 ids: typos such as
# "HUBEI EE POWER", "HUNN ANKER", "AUDIO DDEL PACIFICO"), no id holding two companies.
MAX_FRAGMENTED = 7


def registry_keys(companies: list[Company]) -> dict[str, str]:
    """Clustering keys of the registry's names, first company first (as the registry load stores them)."""
    keys: dict[str, str] = {}
    for company in companies:
        for text in (company.name, *company.aliases):
            keys.setdefault(name_key(text, company.country), company.company_id)
    return keys


def spelling(name: str, country: str | None) -> tuple[str, str]:
    """A party as the answer key lists it: the name with spaces collapsed (as ingest reads it), the ISO
    country (the DE and AT companies share every spelling of their name)."""
    return " ".join(name.split()), normalize_country(country) if country else ""


@dataclass
class Resolution:
    truth: dict[str, Any]
    resolver: Resolver
    ids: dict[tuple[str, str], Counter[str]]  # party as written -> company ids it resolved to

    def ids_of(self, company: dict[str, Any]) -> set[str]:
        found: set[str] = set()
        for text in company["spellings"]:
            found.update(self.ids.get(spelling(text, company["country"]), ()))
        return found

    def company(self, name: str, country: str) -> dict[str, Any]:
        return next(c for c in self.truth["companies"] if c["name"] == name and c["country"] == country)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("network")
    synth.generate(out, seed=7, as_of=date(2026, 11, 29))
    return out


@pytest.fixture(scope="module")
def resolution(network: Path) -> Resolution:
    companies, errors = ingest.read_companies(network / "companies.csv")
    assert errors == []
    resolver = Resolver.start(companies, registry_keys(companies))
    ids: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    _header, rows = ingest.read_shipments(network / "shipments.csv")
    for row in rows:
        assert not isinstance(row, RowError)
        for name, country, address, given in (
            (row.shipper_name, row.shipper_country, row.shipper_address, row.shipper_id),
            (row.consignee_name, row.consignee_country, row.consignee_address, row.consignee_id),
        ):
            ids[spelling(name, country)][resolver.resolve(name, country, address, given)] += 1
    truth = json.loads((network / "truth.json").read_text(encoding="utf-8"))
    return Resolution(truth, resolver, ids)


def test_few_companies_are_split_over_several_ids(resolution: Resolution) -> None:
    seen = [c for c in resolution.truth["companies"] if resolution.ids_of(c)]
    fragmented = [c["name"] for c in seen if len(resolution.ids_of(c)) > 1]
    assert len(seen) > 150
    assert len(fragmented) <= MAX_FRAGMENTED, fragmented


def test_no_id_holds_two_companies(resolution: Resolution) -> None:
    holders: dict[str, set[str]] = defaultdict(set)
    for company in resolution.truth["companies"]:
        for company_id in resolution.ids_of(company):
            holders[company_id].add(company["name"] + " " + company["country"])
    assert {i: names for i, names in holders.items() if len(names) > 1} == {}


def test_registered_companies_keep_their_registry_id(resolution: Resolution) -> None:
    registered = [c for c in resolution.truth["companies"] if c["registered"] and resolution.ids_of(c)]
    assert all(c["company_id"] in resolution.ids_of(c) for c in registered)


@pytest.mark.parametrize(
    ("decoy", "decoy_country", "imitated", "imitated_country"),
    [
        ("Ningde Times Trading Co., Limited", "HK", "Contemporary Amperex Technology Co., Limited", "CN"),
        (
            "Rare Earth Magnesium Technology Group Holdings Limited",
            "CN",
            "Baotou Huaxin Rare Earth Co., Ltd.",
            "CN",
        ),
        ("EVE Garments Co., Ltd.", "CN", "EVE Energy Co., Ltd.", "CN"),
        ("Shenzhen Kelu Optoelectronics Co., Ltd.", "CN", "Shenzhen Kelu Electronic Co., Ltd.", "CN"),
        ("Rheinwerk Antriebstechnik GmbH", "AT", "Rheinwerk Antriebstechnik GmbH", "DE"),
    ],
)
def test_lookalikes_stay_apart(
    resolution: Resolution, decoy: str, decoy_country: str, imitated: str, imitated_country: str
) -> None:
    decoy_ids = resolution.ids_of(resolution.company(decoy, decoy_country))
    imitated_ids = resolution.ids_of(resolution.company(imitated, imitated_country))
    assert decoy_ids and imitated_ids
    assert not decoy_ids & imitated_ids


def test_every_kelu_electronic_spelling_resolves_to_the_registry_company(resolution: Resolution) -> None:
    kelu = resolution.company("Shenzhen Kelu Electronic Co., Ltd.", "CN")
    assert resolution.ids_of(kelu) == {kelu["company_id"]}
    match = classify(resolution.resolver.index.search("Shenzhen Kelu Electronics Co Ltd", "CN"))
    assert match.status == "matched", match.explanation
    assert match.company_id == kelu["company_id"]


def test_the_supplier_list_matches_as_the_answer_key_says(network: Path, resolution: Resolution) -> None:
    owners = {
        company_id: company["company_id"]
        for company in resolution.truth["companies"]
        for company_id in resolution.ids_of(company)
    }
    lines = {line.line: line for line in ingest.read_suppliers_file(network / "suppliers.csv").lines}
    wrong = []
    for expected in resolution.truth["suppliers"]:
        line = lines.get(expected["line"])
        if expected["expect"] == "error" or line is None:
            continue
        found = resolution.resolver.index.search(
            line.supplier_name, line.supplier_country, line.supplier_address
        )
        match = classify(found)
        owner = owners.get(match.company_id or "", match.company_id)
        if match.status != expected["expect"] or (
            match.status == "matched" and owner not in expected["company_ids"]
        ):
            wrong.append((line.supplier_name, match.status, match.explanation))
    assert wrong == []


def test_a_bracketed_parent_does_not_pull_a_supplier_away(resolution: Resolution) -> None:
    match = classify(resolution.resolver.index.search("FinDreams Battery (BYD)", "CN"))
    assert match.status == "matched", match.explanation
    assert match.company_id == resolution.company("FinDreams Battery Co., Ltd.", "CN")["company_id"]


# --- the resolver's doors, on small networks ----------------------------------------------------------


REGISTRY = [
    Company("C1", "Hubei EVE Power Co., Ltd.", "CN", address="Jingmen, Hubei", aliases=("EVE Power",)),
    Company("C2", "Copper Grove E-Bikes Inc.", "US"),
    Company("C3", "Copper Grove E-Bikes Corporation", "US"),
]


def start() -> Resolver:
    return Resolver.start(REGISTRY, registry_keys(REGISTRY))


def test_a_misspelt_bill_name_links_to_the_registry_company_and_is_remembered() -> None:
    resolver = start()
    assert resolver.resolve("HUBEI EVE POWER, CO. LTD JINGMEN", "CN", None, None) == "C1"
    assert resolver.linked == 1
    companies, names = resolver.drain()
    assert companies == []
    assert [(n.company_id, n.kind) for n in names] == [("C1", "observed")]
    assert resolver.keys[name_key("HUBEI EVE POWER, CO. LTD JINGMEN", "CN")] == "C1"


def test_an_unknown_name_founds_a_company_with_an_id_derived_from_its_key() -> None:
    resolver = start()
    company_id = resolver.resolve("Lone Star Cable Assemblies LLC", "US", "San Antonio, TX", None)
    assert company_id == derived_company_id(name_key("Lone Star Cable Assemblies LLC", "US"))
    assert is_derived(company_id)
    assert not is_derived("C1")
    assert resolver.resolve("LONE STAR CABLE ASSEMBLIES, L.L.C.", "US", None, None) == company_id


def test_a_key_two_registry_companies_share_is_left_to_the_matcher() -> None:
    resolver = start()
    assert name_key("Copper Grove E-Bikes Inc.", "US") == name_key("Copper Grove E-Bikes Corporation", "US")
    assert name_key("Copper Grove E-Bikes Inc.", "US") not in resolver.keys
    assert name_key("EVE Power", "CN") in resolver.keys


def candidate(company_id: str, score: float) -> Candidate:
    return Candidate(company_id, company_id, "CN", score, "")


def test_a_near_tie_goes_to_the_registry_company_ahead_of_founded_ones() -> None:
    config = MatchConfig()
    founded = derived_company_id("hubei eve power|CN")

    def tie(*candidates: Candidate) -> Match:
        return Match(status="ambiguous", score=candidates[0].score, candidates=candidates)

    assert registry_tie(tie(candidate("C1", 1.0), candidate(founded, 0.99)), config) == "C1"
    assert registry_tie(tie(candidate(founded, 1.0), candidate("C1", 0.99)), config) is None
    assert registry_tie(tie(candidate("C2", 1.0), candidate("C3", 1.0)), config) is None
    assert registry_tie(tie(candidate("C1", 0.8), candidate(founded, 0.79)), config) is None
