"""The shipped rule folder: every rule's dates at their edges, and the facts the rules must carry."""

from __future__ import annotations

import datetime as dt

import pytest

from screening.rules import DEFAULT_RULES_DIR, Rule, RuleSet, load_rules

DAY = dt.timedelta(days=1)
RULESET = load_rules(DEFAULT_RULES_DIR)
RULES = RULESET.rules
SUSPENDED = [rule for rule in RULES if rule.suspended]


def first_day_in_force(rule: Rule) -> dt.date:
    """effective_from, moved past any suspension window that covers it."""
    day = rule.effective_from
    for window in sorted(rule.suspended, key=lambda w: w.start):
        if window.start <= day <= window.end:
            day = window.end + DAY
    return day


def tariff_rate(ruleset: RuleSet, origin: str, hs_code: str, as_of: dt.date, family: str = "us-") -> float:
    """Sum of the duties of one family of rules in force for these goods (0 when none)."""
    return sum(
        rule.tariff.rate_pct
        for rule in ruleset.in_force(as_of)
        if rule.id.startswith(family) and rule.tariff is not None and rule.matches_goods(origin, hs_code, 1)
    )


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_rule_applies_from_its_first_day_and_not_the_day_before(rule: Rule) -> None:
    assert not rule.in_force(rule.effective_from - DAY)
    first = first_day_in_force(rule)
    if rule.effective_to is None or first <= rule.effective_to:
        assert rule.in_force(first)
        assert not rule.in_force(first - DAY)


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.effective_to], ids=lambda rule: rule.id)
def test_rule_applies_on_effective_to_and_not_after(rule: Rule) -> None:
    assert rule.effective_to is not None
    assert rule.in_force(rule.effective_to)
    assert not rule.in_force(rule.effective_to + DAY)


@pytest.mark.parametrize("rule", SUSPENDED, ids=[rule.id for rule in SUSPENDED])
def test_suspended_rule_is_off_inside_its_window_and_back_the_day_after(rule: Rule) -> None:
    for window in rule.suspended:
        middle = window.start + (window.end - window.start) / 2
        for day in (window.start, middle, window.end):
            assert not rule.in_force(day)
        after = window.end + DAY
        if rule.effective_from <= after and (rule.effective_to is None or after <= rule.effective_to):
            assert rule.in_force(after)


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_every_rule_carries_its_sources_and_a_note(rule: Rule) -> None:
    assert rule.source.startswith(("https://", "http://"))
    assert rule.authority
    assert rule.document
    assert len(rule.note) > 20


def test_rare_earth_control_no_18_is_never_suspended() -> None:
    rule = RULESET.rule("cn-mofcom-2025-18")
    assert rule.suspended == ()
    assert rule.effective_from == dt.date(2025, 4, 4)
    assert rule.matches_goods("CN", "8505110070", 3)
    assert rule.matches_goods("CN", "280530", 2)
    assert not rule.matches_goods("JP", "850511", 1)


@pytest.mark.parametrize("number", ["55", "56", "57", "58", "61-cn-origin", "61-foreign-made", "62"])
def test_october_2025_package_is_suspended_until_2026_11_10_and_flagged_for_review(number: str) -> None:
    rule = RULESET.rule(f"cn-mofcom-2025-{number}")
    assert [(w.start, w.end) for w in rule.suspended] == [(dt.date(2025, 11, 7), dt.date(2026, 11, 10))]
    assert rule.review_by == dt.date(2026, 11, 10)
    assert "unconfirmed" in rule.note
    assert not rule.in_force(dt.date(2026, 11, 10))
    assert rule.in_force(dt.date(2026, 11, 11))


def test_us_specific_ban_of_2024_no_46_is_suspended_until_2026_11_27() -> None:
    rule = RULESET.rule("cn-mofcom-2024-46-c2")
    assert [(w.start, w.end) for w in rule.suspended] == [(dt.date(2025, 11, 9), dt.date(2026, 11, 27))]
    assert rule.in_force(dt.date(2025, 11, 8))
    assert not rule.in_force(dt.date(2026, 11, 27))


@pytest.mark.parametrize(
    ("hs_code", "as_of", "rate"),
    [
        ("8507600010", dt.date(2020, 2, 13), 0),
        ("8507600010", dt.date(2020, 2, 14), 7.5),
        ("8507600010", dt.date(2024, 9, 26), 7.5),
        ("8507600010", dt.date(2024, 9, 27), 25),
        ("8507600020", dt.date(2025, 12, 31), 7.5),
        ("8507600020", dt.date(2026, 1, 1), 25),
        ("8507904000", dt.date(2024, 9, 27), 25),
        ("8505110070", dt.date(2025, 12, 31), 0),
        ("8505110070", dt.date(2026, 1, 1), 25),
        ("2504101000", dt.date(2026, 1, 1), 25),
        ("2504900000", dt.date(2025, 12, 31), 0),
        ("2805300000", dt.date(2026, 6, 1), 0),
    ],
)
def test_section_301_rate_on_chinese_goods_by_date(hs_code: str, as_of: dt.date, rate: float) -> None:
    assert tariff_rate(RULESET, "CN", hs_code, as_of, "us-301") == rate


@pytest.mark.parametrize(
    ("hs_code", "as_of", "rate"),
    [
        ("7318159000", dt.date(2025, 3, 11), 0),
        ("7318159000", dt.date(2025, 3, 12), 25),
        ("7318159000", dt.date(2025, 6, 3), 25),
        ("7318159000", dt.date(2025, 6, 4), 50),
        ("7616100000", dt.date(2025, 6, 4), 50),
        ("7607110000", dt.date(2025, 4, 1), 25),
        ("7202990000", dt.date(2025, 6, 4), 0),
        ("7602000000", dt.date(2025, 6, 4), 0),
    ],
)
def test_section_232_rate_applies_to_any_origin_by_date(hs_code: str, as_of: dt.date, rate: float) -> None:
    assert tariff_rate(RULESET, "VN", hs_code, as_of) == rate


def test_section_232_stacks_with_section_301_on_chinese_goods() -> None:
    assert tariff_rate(RULESET, "CN", "7318159000", dt.date(2026, 6, 1)) == 50
    assert tariff_rate(RULESET, "CN", "8505110070", dt.date(2026, 6, 1)) == 25
    assert tariff_rate(RULESET, "CN", "7318159000", dt.date(2025, 6, 1)) == 25 + 20 + 10
    basis = {rule.tariff.basis for rule in RULES if rule.id.startswith("us-232") and rule.tariff}
    assert basis == {"full value"}


def test_ieepa_duties_are_history_only() -> None:
    ieepa = [rule for rule in RULES if rule.id.startswith("us-ieepa")]
    assert ieepa
    assert all(rule.effective_to is not None and rule.effective_to <= dt.date(2026, 2, 23) for rule in ieepa)
    assert tariff_rate(RULESET, "CN", "9999999999", dt.date(2025, 6, 1), "us-ieepa") == 20 + 10
    assert tariff_rate(RULESET, "HK", "9999999999", dt.date(2026, 2, 23), "us-ieepa") == 10 + 10
    assert tariff_rate(RULESET, "CN", "9999999999", dt.date(2026, 2, 24), "us-ieepa") == 0


def test_ndaa_154_lists_the_six_battery_makers_from_2027_10_01() -> None:
    rule = RULESET.rule("us-ndaa-2024-154")
    assert rule.in_force(dt.date(2027, 10, 1))
    assert not rule.in_force(dt.date(2027, 9, 30))
    names = {party.name for party in RULESET.parties[rule.id]}
    for expected in (
        "Contemporary Amperex Technology Co., Limited",
        "BYD Company Limited",
        "FinDreams Battery Co., Ltd.",
        "Envision Energy, Ltd.",
        "EVE Energy Co., Ltd.",
        "Gotion High-tech Co., Ltd.",
        "Xiamen Hithium Energy Storage Technology Co., Ltd.",
    ):
        assert expected in names
    catl = RULESET.parties[rule.id][0]
    assert catl.company_id == "us-ndaa-2024-154:1"
    assert "宁德时代新能源科技股份有限公司" in catl.aliases
    assert "CATL" in catl.aliases


def test_1260h_listing_dates_for_catl_and_byd() -> None:
    assert RULESET.rule("us-dod-1260h-catl").effective_from == dt.date(2025, 1, 7)
    assert RULESET.rule("us-dod-1260h-byd").effective_from == dt.date(2026, 6, 10)
    assert [party.name for party in RULESET.parties["us-dod-1260h-catl"]] == [
        "Contemporary Amperex Technology Co., Limited"
    ]


def test_dfars_magnets_cover_the_four_covered_countries() -> None:
    rule = RULESET.rule("us-dfars-225-7018")
    assert set(rule.when.origin or ()) == {"CN", "RU", "KP", "IR"}
    assert rule.in_force(dt.date(2024, 5, 30))
    assert rule.matches_goods("RU", "8505110070", 2)
    assert not rule.matches_goods("JP", "8505110070", 2)


def test_every_restricted_party_rule_has_parties() -> None:
    party_rules = [rule for rule in RULES if rule.kind == "restricted_party"]
    assert {rule.id for rule in party_rules} == set(RULESET.parties)
    assert all(RULESET.parties[rule.id] for rule in party_rules)


def test_hs_input_map_covers_batteries_and_magnets() -> None:
    products = {product.hs for product in RULESET.hs_inputs.products}
    assert {"850760", "850790", "850511", "850519"} <= products
    # Deeper material chains and the products that carry magnets downstream.
    assert {"382499", "282590", "720299", "8501", "8703"} <= products
    battery_inputs = RULESET.hs_inputs.input_set("850760")
    assert {"850790", "284290", "250410", "7318", "761610", "850760"} <= set(battery_inputs)
    assert RULESET.hs_inputs.kind_of("850760", "7318159000") == "capital"
    assert RULESET.hs_inputs.kind_of("850511", "2805300000") == "direct"
    assert "850511" in RULESET.hs_inputs.input_set("850152")
    assert "283324" in RULESET.hs_inputs.input_set("282590")
    assert RULESET.hs_inputs.input_set("940360") == ("940360",)


def test_industry_map_uses_the_longest_prefix() -> None:
    assert RULESET.industry_of("8703800000") == "autos"
    assert RULESET.industry_of("8501324500") == "autos"
    assert RULESET.industry_of("8501100000") == "electronics"
    assert RULESET.industry_of("8501530000") == "industrial"
    assert RULESET.industry_of("0101210000") is None
