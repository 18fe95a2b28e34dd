"""The synthetic network: deterministic, in the contract's formats, shaped like the seed report, messy."""

from __future__ import annotations

import csv
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from screening import services
from screening.analyze import Analysis
from screening.codes import CHINA_REGION, EU_REGION, normalize_country, normalize_hs
from screening.rules import load_rules
from screening.storage.db import make_engine, migrate, session_scope
from screening.storage.repository import SqlNetworkStore
from screening.synth import WINDOW_DAYS, generate

REPO = Path(__file__).parents[2]
HS_2022 = REPO / ".." / "shared" / "data" / "hs" / "harmonized-system.csv"
AS_OF = date(2026, 11, 28)
FILES = ("shipments.csv", "companies.csv", "suppliers.csv", "truth.json")

# CONTRACT.md 2.1, 2.2 and 2.3, written out here so a drift in the generator's constants shows.
CONTRACT_SHIPMENT_COLUMNS = {
    "shipper_name", "consignee_name", "hs_code", "value_usd", "date", "shipment_id", "shipper_address",
    "shipper_country", "consignee_address", "consignee_country", "origin_country", "description", "quantity",
    "weight_kg", "port_of_lading", "port_of_unlading", "shipper_id", "consignee_id",
}  # fmt: skip
CONTRACT_COMPANY_COLUMNS = {"company_id", "name", "aliases", "address", "country", "lei"}
CONTRACT_SUPPLIER_COLUMNS = {
    "supplier_name", "supplier_country", "supplier_address", "supplier_ref", "part_number",
    "part_description", "parent_part_number", "hs_code", "annual_value_usd",
}  # fmt: skip

# The input prefixes of lithium-ion batteries and cells (trade-data.md section 7, table a).
BATTERY_INPUTS = (
    "850790", "284290", "382499", "284190", "284169", "282590", "283691", "282520", "250410", "250490",
    "380110", "380190", "282690", "7410", "7607", "392010", "392020", "392119", "283324", "283329", "282200",
    "810520", "282010", "390469", "293379", "280300", "854231", "7318", "761610", "848790", "847989",
    "847990", "8536", "842139", "847982", "841939", "842010", "8514", "8515", "850440", "903033",
)  # fmt: skip
CELL_INPUTS = (
    "284290", "382499", "284190", "282590", "283691", "282520", "250410", "380110", "380190", "282690",
    "7410", "7607", "392010", "392119",
)  # fmt: skip
CAPITAL_GOODS = ("7318", "761610", "848790", "847989", "847990", "8536", "8514", "847982")
RULES = load_rules(REPO / "rules")
EU_MOTOR_COUNTRIES = {"DE", "AT", "FR", "IT"}


@dataclass(frozen=True)
class Shipment:
    shipment_id: str
    shipper: str  # company id, resolved through the answer key
    consignee: str
    shipper_country: str
    consignee_country: str
    origin: str  # origin_country, else the shipper's country
    hs6: str
    value: float


@dataclass(frozen=True)
class Network:
    folder: Path
    raw: list[dict[str, str]]
    shipments: list[Shipment]
    companies: dict[str, dict[str, str]]  # registry rows by company id
    suppliers: list[dict[str, str]]
    truth: dict[str, Any]
    names: dict[str, str]  # company id -> canonical name, registered or not
    importer: str

    def id_of(self, name: str) -> str:
        return next(cid for cid, canonical in self.names.items() if canonical == name)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load(folder: Path) -> Network:
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    resolve: dict[tuple[str, str], str] = {}
    names: dict[str, str] = {}
    for company in truth["companies"]:
        names[company["company_id"]] = company["name"]
        for spelling in company["spellings"]:
            key = (spelling, company["country"])
            assert resolve.setdefault(key, company["company_id"]) == company["company_id"], key
    raw = read_csv(folder / "shipments.csv")
    shipments = []
    for row in raw:
        shipper_country = normalize_country(row["shipper_country"])
        consignee_country = normalize_country(row["consignee_country"])
        origin = normalize_country(row["origin_country"]) if row["origin_country"] else shipper_country
        shipments.append(
            Shipment(
                row["shipment_id"],
                resolve[(row["shipper_name"], shipper_country)],
                resolve[(row["consignee_name"], consignee_country)],
                shipper_country,
                consignee_country,
                origin,
                normalize_hs(row["hs_code"])[:6],
                float(row["value_usd"]),
            )
        )
    return Network(
        folder=folder,
        raw=raw,
        shipments=shipments,
        companies={row["company_id"]: row for row in read_csv(folder / "companies.csv")},
        suppliers=read_csv(folder / "suppliers.csv"),
        truth=truth,
        names=names,
        importer=truth["importer"]["company_id"],
    )


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    folder = tmp_path_factory.mktemp("seed7")
    generate(folder, seed=7, as_of=AS_OF)
    return load(folder)


@pytest.fixture(scope="module")
def stored(network: Network, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The network loaded into SQLite as `tiersight network load` does (names resolved by the matcher)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'network.db'}")
    migrate(engine)
    with session_scope(engine) as session:
        services.load_network(
            SqlNetworkStore(session),
            shipments=network.folder / "shipments.csv",
            companies=network.folder / "companies.csv",
        )
    yield engine
    engine.dispose()


def analyze(engine: Engine, **options: Any) -> Analysis:
    with session_scope(engine) as session:
        return services.analyze(SqlNetworkStore(session), RULES, as_of=AS_OF, **options)


def trace_battery_chain(net: Network, tiers: int = 3) -> dict[tuple[int, str], float]:
    """Value by (tier, origin) of the US-bound 850760 chain: CONTRACT.md section 4 with table (a)."""
    by_consignee: dict[str, list[Shipment]] = defaultdict(list)
    for shipment in net.shipments:
        by_consignee[shipment.consignee].append(shipment)
    value: dict[tuple[int, str], float] = defaultdict(float)
    counted: set[str] = set()
    frontier: set[tuple[str, str]] = set()
    for s in net.shipments:
        if s.hs6 == "850760" and s.consignee_country == "US":
            counted.add(s.shipment_id)
            value[(1, s.origin)] += s.value
            frontier.add((s.shipper, s.hs6))
    reached = set(frontier)
    for tier in range(2, tiers + 1):
        following: set[tuple[str, str]] = set()
        for company, hs6 in sorted(frontier):
            inputs = {hs6, *(BATTERY_INPUTS if hs6 == "850760" else CELL_INPUTS if hs6 == "850790" else ())}
            for s in by_consignee[company]:
                if s.shipment_id not in counted and s.hs6.startswith(tuple(inputs)):
                    counted.add(s.shipment_id)
                    value[(tier, s.origin)] += s.value
                    if (s.shipper, s.hs6) not in reached:
                        reached.add((s.shipper, s.hs6))
                        following.add((s.shipper, s.hs6))
        frontier = following
    return value


def test_same_seed_gives_identical_files(network: Network, tmp_path: Path) -> None:
    generate(tmp_path, seed=7, as_of=AS_OF)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (network.folder / name).read_bytes(), name


def test_another_seed_gives_another_network(network: Network, tmp_path: Path) -> None:
    generate(tmp_path, seed=8, as_of=AS_OF)
    for name in FILES:
        assert (tmp_path / name).read_bytes() != (network.folder / name).read_bytes(), name


def test_supplier_list_depends_on_the_seed_only(network: Network, tmp_path: Path) -> None:
    generate(tmp_path, seed=7, scale=2, as_of=AS_OF - timedelta(days=400))
    assert (tmp_path / "suppliers.csv").read_bytes() == (network.folder / "suppliers.csv").read_bytes()
    assert (tmp_path / "shipments.csv").read_bytes() != (network.folder / "shipments.csv").read_bytes()


def test_bundled_example_is_the_default_seeds_supplier_list(network: Network) -> None:
    example = REPO / "examples" / "suppliers.csv"
    assert example.read_bytes() == (network.folder / "suppliers.csv").read_bytes()


def test_columns_follow_the_contract(network: Network) -> None:
    assert set(network.raw[0]) == CONTRACT_SHIPMENT_COLUMNS
    assert set(next(iter(network.companies.values()))) == CONTRACT_COMPANY_COLUMNS
    supplier_columns = set(network.suppliers[0])
    assert supplier_columns <= CONTRACT_SUPPLIER_COLUMNS
    assert {
        "supplier_name",
        "supplier_country",
        "hs_code",
        "annual_value_usd",
        "supplier_ref",
    } <= supplier_columns


def test_every_supplier_meant_to_match_ships_to_the_importer(network: Network) -> None:
    shippers_to_importer = {s.shipper for s in network.shipments if s.consignee == network.importer}
    matched = [row for row in network.truth["suppliers"] if row["expect"] == "matched"]
    assert len(matched) >= 35
    for row in matched:
        (company_id,) = row["company_ids"]
        assert company_id in shippers_to_importer, row
        assert row["supplier_name"].casefold() != network.names[company_id].casefold()  # its own spelling
    ambiguous = [row for row in network.truth["suppliers"] if row["expect"] == "ambiguous"]
    for row in ambiguous:  # companies sharing a name; at least one of them supplies the importer
        assert len({network.names[c].split()[0] for c in row["company_ids"]}) == 1, row
        assert shippers_to_importer & set(row["company_ids"]), row


def test_supplier_list_has_unmatched_ambiguous_and_unusable_rows(network: Network) -> None:
    by_line = {row["line"]: row for row in network.truth["suppliers"]}
    assert 38 <= len(network.suppliers) <= 48
    known = {name.casefold() for name in network.names.values()}
    for company in network.truth["companies"]:
        known.update(spelling.casefold() for spelling in company["spellings"])
    expect = [by_line[line]["expect"] for line in range(2, len(network.suppliers) + 2)]
    unmatched = [row for row, e in zip(network.suppliers, expect, strict=True) if e == "unmatched"]
    assert 2 <= len(unmatched) <= 3
    assert all(row["supplier_name"].casefold() not in known for row in unmatched)
    ambiguous = [by_line[line] for line, e in enumerate(expect, start=2) if e == "ambiguous"]
    assert 1 <= len(ambiguous) <= 2
    for row in ambiguous:  # two network companies share the name, and the row gives no country
        assert len(row["company_ids"]) == 2
        assert network.suppliers[row["line"] - 2]["supplier_country"] == ""
    errors = [row for row, e in zip(network.suppliers, expect, strict=True) if e == "error"]
    assert any(row["supplier_name"] == "" for row in errors)
    bad_hs = [row for row in errors if row["supplier_name"]]
    assert bad_hs
    for row in bad_hs:
        with pytest.raises(ValueError):
            normalize_hs(row["hs_code"])
    usable = [row for row in network.suppliers if row not in errors]
    assert any(row["hs_code"] == "" for row in usable)
    assert any(len(re.sub(r"\D", "", row["hs_code"])) == 10 for row in usable)
    assert all(row["hs_code"] == "" or len(normalize_hs(row["hs_code"])) >= 6 for row in usable)
    assert sum(row["annual_value_usd"] != "" for row in usable) >= len(usable) - 4


def test_scale_multiplies_shipments_and_companies(network: Network, tmp_path: Path) -> None:
    stats = generate(tmp_path, seed=7, scale=3, as_of=AS_OF)
    assert 2.6 <= stats.shipments / len(network.shipments) <= 3.4
    assert stats.network_companies > 2.5 * len(network.names)
    assert len(read_csv(tmp_path / "shipments.csv")) == stats.shipments


def test_scale_one_is_demo_sized_and_quick(tmp_path: Path) -> None:
    started = time.perf_counter()
    stats = generate(tmp_path, seed=7, as_of=AS_OF)
    assert time.perf_counter() - started < 3.0
    assert 2_000 <= stats.shipments <= 9_000
    assert stats.clusters == 1


def test_scale_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0)


def test_chinese_origin_leads_the_battery_chain_at_every_tier(network: Network) -> None:
    value = trace_battery_chain(network)
    for tier in (1, 2):
        by_origin = {origin: v for (t, origin), v in value.items() if t == tier}
        assert max(by_origin, key=lambda origin: by_origin[origin]) == "CN", by_origin
    total: dict[str, float] = defaultdict(float)
    for (_, origin), v in value.items():
        total[origin] += v
    overall = sum(total.values())
    assert 0.5 <= total["CN"] / overall <= 0.8  # the seed report: $9.5B of $15.3B
    assert total["US"] / overall < 0.01  # $31.9M
    rest_of_asia = sum(
        v for origin, v in total.items() if origin in {"JP", "KR", "VN", "MY", "TH", "TW", "ID"}
    )
    europe = sum(v for origin, v in total.items() if origin in {"DE", "FR", "IT", "PL", "HU", "AT"})
    assert total["CN"] > rest_of_asia > 0
    assert total["CN"] > europe > 0


def test_capital_goods_weigh_about_as_much_as_the_batteries(network: Network) -> None:
    us_batteries = [s for s in network.shipments if s.hs6 == "850760" and s.consignee_country == "US"]
    chinese_batteries = sum(s.value for s in us_batteries if s.origin == "CN")
    battery_shippers = {s.shipper for s in us_batteries}
    capital = sum(
        s.value
        for s in network.shipments
        if s.consignee in battery_shippers and s.origin == "CN" and s.hs6.startswith(CAPITAL_GOODS)
    )
    assert (
        0.5 <= capital / chinese_batteries <= 2.0
    )  # the seed report: $2.55B of capital goods, $2.35B of batteries


def test_catl_is_the_largest_battery_supplier_with_the_most_us_recipients(network: Network) -> None:
    value: dict[str, float] = defaultdict(float)
    recipients: dict[str, set[str]] = defaultdict(set)
    for s in network.shipments:
        if s.hs6 == "850760" and s.consignee_country == "US":
            value[s.shipper] += s.value
            recipients[s.shipper].add(s.consignee)
    catl = network.id_of("Contemporary Amperex Technology Co., Limited")
    assert max(value, key=lambda c: value[c]) == catl
    assert max(recipients, key=lambda c: len(recipients[c])) == catl
    assert len(recipients[catl]) >= 10
    for name in (
        "Hong Kong EcoFlow Technology Limited",
        "Jiangsu Aside Energy Co., Ltd.",
        "Hubei EVE Power Co., Ltd.",
    ):
        assert recipients[network.id_of(name)], name


def test_ndaa_battery_makers_ship_batteries_to_the_us(network: Network) -> None:
    us_battery_shippers = {
        s.shipper for s in network.shipments if s.hs6 == "850760" and s.consignee_country == "US"
    }
    makers = {
        "CATL": ["Contemporary Amperex Technology Co., Limited"],
        "BYD": ["BYD Company Limited", "FinDreams Battery Co., Ltd."],
        "EVE": ["EVE Energy Co., Ltd.", "Hubei EVE Power Co., Ltd."],
        "Gotion": ["Gotion High-tech Co., Ltd."],
        "Hithium": ["Xiamen Hithium Energy Storage Technology Co., Ltd."],
        "Envision AESC": ["Envision AESC (Jiangsu) Co., Ltd."],
    }
    for maker, names in makers.items():
        ids = [network.id_of(name) for name in names]
        assert all(company_id in network.companies for company_id in ids), maker  # in the registry
        assert us_battery_shippers & set(ids), maker
    catl = network.companies[network.id_of("Contemporary Amperex Technology Co., Limited")]
    assert {"CATL", "Ningde Times", "宁德时代"} <= set(catl["aliases"].split("|"))


def test_traders_reship_chinese_goods_under_the_same_code(network: Network) -> None:
    traders = {c["company_id"]: c["country"] for c in network.truth["companies"] if c["role"] == "trader"}
    assert set(traders.values()) == {"VN", "MY", "TH", "MX"}
    received: dict[str, set[str]] = defaultdict(set)
    for s in network.shipments:
        if s.consignee in traders:
            assert s.shipper_country == "CN", s
            received[s.consignee].add(s.hs6)
    reshipped = [
        (raw, s) for raw, s in zip(network.raw, network.shipments, strict=True) if s.shipper in traders
    ]
    assert {s.shipper for _, s in reshipped} == set(traders)
    assert {s.hs6 for _, s in reshipped} >= {"850760", "850790", "850511"}
    for raw, s in reshipped:
        assert s.hs6 in received[s.shipper], s  # the same code it received
        assert raw["origin_country"] and s.origin == "CN", raw  # origin stays China, written out
    assert any(s.consignee_country == "US" for _, s in reshipped)


def test_chinese_magnets_reach_the_us_inside_european_motors(network: Network) -> None:
    magnet_buyers = {
        s.consignee
        for s in network.shipments
        if s.hs6 == "850511" and s.origin == "CN" and s.shipper_country == "CN"
    }
    european_exporters = {
        s.shipper
        for s in network.shipments
        if s.shipper_country in {"DE", "FR", "IT", "AT"}
        and s.consignee_country == "US"
        and s.hs6.startswith("8501")
    }
    assert len(magnet_buyers & european_exporters) >= 3


def test_decoys_are_separate_companies_in_unrelated_trade(network: Network) -> None:
    decoy = network.id_of("Ningde Times Trading Co., Limited")
    catl = network.id_of("Contemporary Amperex Technology Co., Limited")
    assert decoy != catl
    assert network.companies[decoy]["country"] == "HK"
    assert {s.hs6 for s in network.shipments if s.shipper == decoy} == {"691200"}
    magnesium = network.id_of("Rare Earth Magnesium Technology Group Holdings Limited")
    assert magnesium in network.companies
    assert {s.hs6[:4] for s in network.shipments if s.shipper == magnesium} == {"8104"}
    eve_garments = network.id_of("EVE Garments Co., Ltd.")
    assert {s.hs6 for s in network.shipments if s.shipper == eve_garments} == {"610910"}


def test_unrelated_goods_reach_battery_importers_and_cell_makers(network: Network) -> None:
    unrelated = ("9403", "6109", "9503", "0901")
    battery_importers = {
        s.consignee for s in network.shipments if s.hs6 == "850760" and s.consignee_country == "US"
    }
    cell_makers = {s.shipper for s in network.shipments if s.hs6 == "850790"}
    found = {
        s.hs6[:4]
        for s in network.shipments
        if s.consignee in battery_importers and s.hs6.startswith(unrelated)
    }
    assert found == set(unrelated)
    assert any(s.consignee in cell_makers and s.hs6.startswith(unrelated) for s in network.shipments)


def test_bills_spell_parties_messily(network: Network) -> None:
    catl = network.id_of("Contemporary Amperex Technology Co., Limited")
    catl_rows = [raw for raw, s in zip(network.raw, network.shipments, strict=True) if s.shipper == catl]
    spellings = {row["shipper_name"] for row in catl_rows}
    assert len(spellings) >= 10
    assert any("NINGDE" in name.upper() for name in spellings)  # pinyin or "Ningde Times"
    assert any(name.isupper() for name in spellings) and any(not name.isupper() for name in spellings)
    assert any(
        re.search(r"[\u4e00-\u9fff]", row["shipper_name"]) for row in network.raw
    )  # Chinese legal names
    assert len({row["shipper_name"] for row in network.raw if row["shipper_country"] == "CN"}) > 200
    countries = {row["shipper_country"] for row in network.raw} | {
        row["consignee_country"] for row in network.raw
    }
    assert {"CN", "CHN", "CHINA"} <= countries
    hs_codes = [row["hs_code"] for row in network.raw]
    assert all(6 <= len(normalize_hs(code)) <= 10 for code in hs_codes)
    assert any("." in code for code in hs_codes) and any(
        len(code) == 10 and code.isdigit() for code in hs_codes
    )
    missing_origin = sum(row["origin_country"] == "" for row in network.raw) / len(network.raw)
    assert 0.15 <= missing_origin <= 0.45
    assert all(row["shipper_id"] == row["consignee_id"] == "" for row in network.raw)
    ids = [row["shipment_id"] for row in network.raw]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"S\d{7,}", i) for i in ids)


def test_registry_covers_most_but_not_all_companies(network: Network) -> None:
    share = len(network.companies) / len(network.names)
    assert 0.7 <= share <= 0.9
    unregistered_shippers = {s.shipper for s in network.shipments} - set(network.companies)
    assert unregistered_shippers
    for row in network.companies.values():
        assert len(row["country"]) == 2 and normalize_country(row["country"]) == row["country"]
        assert row["name"] and row["address"]


def test_registry_leis_have_valid_check_digits(network: Network) -> None:
    leis = [row["lei"] for row in network.companies.values() if row["lei"]]
    assert leis
    for lei in leis:
        assert re.fullmatch(r"[0-9A-Z]{18}\d\d", lei)
        assert int("".join(str(int(ch, 36)) for ch in lei)) % 97 == 1


def test_shipments_lie_in_the_window_before_as_of(network: Network) -> None:
    days = {date.fromisoformat(row["date"]) for row in network.raw}
    assert min(days) >= AS_OF - timedelta(days=WINDOW_DAYS)
    assert max(days) <= AS_OF
    assert max(days) - min(days) > timedelta(days=WINDOW_DAYS * 9 // 10)
    assert [row["date"] for row in network.raw] == sorted(row["date"] for row in network.raw)


def test_every_hs_code_exists_in_hs_2022(network: Network) -> None:
    if not HS_2022.exists():
        pytest.skip(f"the HS 2022 nomenclature is not present at {HS_2022}")
    with HS_2022.open(encoding="utf-8", newline="") as handle:
        subheadings = {row["hscode"] for row in csv.DictReader(handle) if row["level"] == "6"}
    used = {s.hs6 for s in network.shipments}
    assert used <= subheadings, used - subheadings


def test_us_exports_of_magnet_reliant_products_partly_trace_to_magnets(
    network: Network, stored: Engine
) -> None:
    result = analyze(stored, product="850511", destination="US", tiers=4)
    # Answer key: US shippers to consignees abroad, by the industry of the code as the bill writes it.
    value: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for raw, s in zip(network.raw, network.shipments, strict=True):
        industry = RULES.industry_of(normalize_hs(raw["hs_code"]))
        if industry and s.shipper_country == "US" and s.consignee_country != "US":
            value[industry] += s.value
            count[industry] += 1
    assert {i.industry: i.shipments for i in result.industries} == count
    assert {i.industry: i.value_usd for i in result.industries} == pytest.approx(value, abs=0.05)
    # The seed report's order of potentially affected US exports: autos, electronics, energy, medical.
    assert [i.industry for i in result.industries][:4] == ["autos", "electronics", "energy", "medical"]
    assert all(0 <= i.traced_value_usd <= i.value_usd for i in result.industries)
    assert {i.industry for i in result.industries if 0 < i.traced_value_usd < i.value_usd} >= {
        "autos",
        "electronics",
    }
    traced = {i.industry: i.traced_value_usd for i in result.industries}
    untraced = {i.industry: i.value_usd - i.traced_value_usd for i in result.industries}

    # Tier-2 magnets: Chinese magnets into DE/AT/FR/IT motor and generator makers, whose motors the US
    # manufacturers import and build into what they export.
    fed = {s.consignee for s in network.shipments if s.hs6 == "850511" and s.origin == "CN"}
    eu_makers = {
        s.shipper
        for s in network.shipments
        if s.shipper_country in EU_MOTOR_COUNTRIES
        and s.consignee_country == "US"
        and s.hs6.startswith("8501")
    }
    assert len(eu_makers & fed) >= 3
    exporters: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # US company -> industry
    for raw, s in zip(network.raw, network.shipments, strict=True):
        industry = RULES.industry_of(normalize_hs(raw["hs_code"]))
        if industry and s.shipper_country == "US" and s.consignee_country != "US":
            exporters[s.shipper][industry] += s.value
    motor_suppliers: dict[str, set[str]] = defaultdict(set)
    for s in network.shipments:
        if s.consignee in exporters and s.hs6.startswith("8501"):
            motor_suppliers[s.consignee].add(s.shipper)
    via_eu = {c for c, suppliers in motor_suppliers.items() if suppliers & eu_makers & fed}
    assert {industry for c in via_eu for industry in exporters[c]} >= {"autos", "energy"}
    for industry in ("autos", "energy"):  # their exports are traced, whatever else they buy
        via_eu_value = sum(exporters[c][industry] for c in via_eu)
        assert traced[industry] >= via_eu_value - 0.05 > 0
    # Exports without magnets upstream: motors only from makers that buy no magnets, and no magnets.
    magnet_free = {
        c
        for c, suppliers in motor_suppliers.items()
        if not suppliers & fed and c not in fed and "autos" in exporters[c]
    }
    assert magnet_free
    assert untraced["autos"] >= sum(exporters[c]["autos"] for c in magnet_free) - 0.05 > 0


def test_eu_ships_more_magnets_but_china_ships_more_value(stored: Engine) -> None:
    # The seed report: 7,107 EU export shipments of permanent magnets and inputs, 5,967 from China, yet
    # $120M of value from China against $36M from the EU.
    result = analyze(stored, product="850511", tiers=4)
    regions = {r.region: r for r in result.by_region}
    assert regions[EU_REGION].shipments > regions[CHINA_REGION].shipments
    assert regions[CHINA_REGION].value_usd > 1.5 * regions[EU_REGION].value_usd
