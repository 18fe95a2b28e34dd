"""The HTML of a what-if scenario (the self-contained page and the web UI's fragment): the chart of the
value at risk, the companies hit with their evidence paths hop by hop, the alternatives with the ones
that depend on the origin marked and ranked last; escaping, self-containment, accessible markup.

The sample is built by hand: two US companies hit by Chinese magnets (850511), one buying them itself
(tier 1), one through a German motor maker (tier 2); two alternatives, one of which depends on China."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from dataclasses import replace

from screening.model import PathStep
from screening.scenario import Alternative, Exposure, RestrictedInput, Scenario
from screening.scenario_report import (
    TIER_COLOURS,
    exposure_chart,
    hops,
    render_fragment,
    render_html,
    render_json,
    scenario_to_dict,
)
from screening.trace import Window

HOSTILE = '<script>alert(1)</script> & "Sons"'
WINDOW = Window(since=dt.date(2021, 6, 30), as_of=dt.date(2026, 6, 30))

NINGBO = "Ningbo Magnet Co., Ltd."
MOTOR = PathStep("C-MOTOR", 1, "S10", "Rheinwerk Motoren GmbH", "850164", dt.date(2025, 3, 1), "DE", 1.5e6)
MAGNET = PathStep("C-NINGBO", 2, "S2", NINGBO, "8505110070", dt.date(2025, 1, 5), "CN", 40_000.0)
DIRECT = PathStep("C-NINGBO", 1, "S3", NINGBO, "850511", dt.date(2025, 2, 1), "CN", 60_000.0)


def sample(**changes: object) -> Scenario:
    result = Scenario(
        origin="CN",
        hs=("850511",),
        window=WINDOW,
        max_tier=4,
        destination="US",
        restricted_value_usd=16_263_205.88,
        restricted_shipments=241,
        companies_at_risk=36,
        exposures=(
            Exposure("C-TURBINE", "Laramie Wind Turbines Inc.", "US", 8_001_782.78, 12, 15_000_000.0, 2,
                     ("850511",), (MOTOR, MAGNET)),
            Exposure("C-HOSTILE", HOSTILE, "US", 2_684_989.09, 272, 2_684_989.09, 1, ("850511",), (DIRECT,)),
        ),
        inputs=(
            RestrictedInput(
                "850511",
                16_263_205.88,
                241,
                (
                    Alternative("C-KANSAI", "Kansai Magnetics Corp.", "JP", 1_562_055.61, 24, 6, False, None),
                    Alternative("C-OBERPFALZ", "Oberpfalz Magnetwerk", "DE", 2_456_088.38, 360, 4, True, 2),
                ),
            ),
        ),
    )  # fmt: skip
    return replace(result, **changes)  # type: ignore[arg-type]


def page_of(result: Scenario) -> str:
    return render_html(result, rules_version="rules-v7").decode("utf-8")


def section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    end = page.find("<h2 ", start)
    return page[start : end if end != -1 else len(page)]


def test_json_is_the_clis_json() -> None:
    result = sample()
    assert json.loads(render_json(result, rules_version="v")) == scenario_to_dict(result, rules_version="v")


def test_the_chart_has_a_bar_per_company_on_one_scale_coloured_by_tier() -> None:
    chart = exposure_chart(sample())
    (group,) = chart.groups
    assert group.label == "Value at risk by company in US"
    assert [bar.label for bar in group.bars] == [
        "Laramie Wind Turbines Inc.",
        '<script>alert(1)</script> & "Sons"',
    ]
    assert [bar.colour for bar in group.bars] == [TIER_COLOURS[2], TIER_COLOURS[1]]
    first, second = group.bars
    assert abs(second.length / first.length - 2_684_989.09 / 8_001_782.78) < 1e-9
    turbine = sample().exposures[0]
    many = sample(exposures=tuple(replace(turbine, company_id=f"C{i}", tier=7) for i in range(30)))
    bars = exposure_chart(many).groups[0].bars
    assert len(bars) == 15 and {bar.colour for bar in bars} == {TIER_COLOURS[4]}
    long_name = replace(turbine, name="A" * 80)
    assert len(exposure_chart(sample(exposures=(long_name,))).groups[0].bars[0].label) == 34


def test_hops_say_who_shipped_to_whom_and_end_at_the_restricted_goods() -> None:
    told = hops(sample().exposures[0])
    assert [(hop.step.company_id, hop.recipient, hop.restricted) for hop in told] == [
        ("C-MOTOR", "Laramie Wind Turbines Inc.", False),
        ("C-NINGBO", "Rheinwerk Motoren GmbH", True),
    ]


def test_the_page_shows_what_stops_and_the_companies_hit_with_nested_evidence() -> None:
    page = page_of(sample())
    assert page.startswith("<!DOCTYPE html>") and "<h1>If CN stopped exporting HS 850511</h1>" in page
    stops = section(page, "restricted")
    assert "$16.3M of CN's exports of HS 850511 in 241 shipments" in stops and "36 companies in US" in stops
    assert '<dd id="restricted-value">16,263,205.88 USD</dd>' in stops
    hit = section(page, "hit")
    assert hit.count('<tr class="company">') == 2
    assert re.search(r'data-field="value">8,001,782.78</td>.*?53.3%', hit, re.S)  # 8.0M of 15.0M purchases
    assert '<td class="num" data-label="Lowest tier" data-field="tier">2</td>' in hit
    # The first company's path: the motor maker's hop, and inside it the magnet maker's.
    start = hit.index('<details class="evidence">')
    first = hit[start : hit.index("</td></tr>", start)]
    assert "2 hops to Ningbo Magnet Co., Ltd." in first
    outer = first.index("Tier 1: Rheinwerk Motoren GmbH")
    inner = first.index("Tier 2: Ningbo Magnet Co., Ltd.")
    assert outer < inner and first.count('<details class="hop" open>') == 2
    assert first.index("</details>") > inner  # the tier-2 hop is nested in the tier-1 hop
    assert "Shipped HS <code>850164</code> of DE origin to Laramie Wind Turbines Inc. on 2025-03-01" in first
    assert "shipment <code>S10</code>, 1,500,000.00 USD." in first
    assert first.count('class="restricted"') == 1
    assert "<figure>" in hit and 'aria-labelledby="exposure-chart-title exposure-chart-desc"' in hit


def test_alternatives_mark_the_ones_that_depend_on_the_origin() -> None:
    alternatives = section(page_of(sample()), "alternatives")
    rows = re.findall(r'<tr class="(depends|independent)">', alternatives)
    assert rows == ["independent", "depends"]
    assert "Kansai Magnetics Corp." in alternatives and "yes, at tier 2" in alternatives
    none = page_of(sample(inputs=(RestrictedInput("850511", 10.0, 1, ()),)))
    assert "No other supplier of HS 850511 was seen in the network" in none


def test_a_scenario_without_restricted_trade_says_so() -> None:
    nothing = {"restricted_value_usd": 0.0, "restricted_shipments": 0, "companies_at_risk": 0}
    page = page_of(sample(**nothing, exposures=(), inputs=()))
    assert "No exports of HS 850511 from CN in the window" in page
    assert "<svg" not in page and 'id="companies-hit"' not in page and 'id="no-companies"' in page
    assert "Nothing is restricted" in page
    everything = page_of(sample(hs=(), destination=None))
    assert "<h1>If CN stopped exporting all goods</h1>" in everything and "Companies hit</h2>" in everything


def test_the_page_escapes_and_loads_nothing() -> None:
    page = page_of(sample())
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Sons&#34;" in page
    lowered = page.lower()
    for needle in ("http://", "https://", "src=", "<script", "<link", "@import", "url(", "<img", "href="):
        assert needle not in lowered, needle


def test_the_page_markup_is_accessible() -> None:
    page = page_of(sample())
    assert '<html lang="en">' in page
    assert page.count("<table ") == page.count("<caption>") == 2
    assert page.count("<th ") == page.count('<th scope="')
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", page)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))
    assert page.count("<summary>") == page.count("<details")  # every expander has its summary
    assert 'role="img"' in page and '<desc id="exposure-chart-desc">' in page


def test_the_fragment_is_the_pages_summary_and_sections_without_its_frame() -> None:
    result = sample()
    page = page_of(result)
    fragment = render_fragment(result, rules_version="rules-v7")
    assert fragment.startswith('<div class="scenario">')
    for frame in ("<!DOCTYPE", "<html", "<body", "<style", "<h1", "<main"):
        assert frame not in fragment, frame
    main = page[page.index("<main>") + len("<main>") : page.index("</main>")].strip()
    assert main in fragment
    assert min(int(level) for level in re.findall(r"<h([1-6])[ >]", fragment)) == 2
