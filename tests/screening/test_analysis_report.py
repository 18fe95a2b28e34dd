"""The HTML page of `tiersight analyze`: chart geometry, the numbers shown, escaping, self-containment.

The sample analysis carries the seed report's battery figures (China $9.5 billion, elsewhere in Asia
$3.9 billion, the EU $1.8 billion, elsewhere $100 million, the US $31.9 million over all tiers),
split over two tiers; the database-backed cases reuse the hand-built network of test_analyze.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from screening import analysis_report
from screening.analysis_report import (
    FORMATS,
    SankeyLayout,
    bar_layout,
    compact_money,
    region_order,
    render,
    render_fragment,
    render_html,
    tier_sankey,
)
from screening.analyze import (
    Analysis,
    Concentration,
    IndustryExports,
    RegionTotal,
    Supplier,
    TierKind,
    TierOrigin,
    TierRegion,
)
from screening.trace import Window
from tests.screening.test_analyze import analyze, exporting, network  # noqa: F401  (fixtures)
from tests.screening.test_cli import run
from tests.screening.test_services import AS_OF, files, load  # noqa: F401  (fixture)

HOSTILE = '<script>alert(1)</script> & "Sons"'
WINDOW = Window(since=dt.date(2021, 6, 30), as_of=dt.date(2026, 6, 30))

TIER_REGIONS = (
    TierRegion(1, "China", 2_350_000_000.0, 400),
    TierRegion(1, "elsewhere in Asia", 900_000_000.0, 100),
    TierRegion(1, "EU", 300_000_000.0, 50),
    TierRegion(2, "China", 7_150_000_000.0, 900),
    TierRegion(2, "elsewhere in Asia", 3_000_000_000.0, 200),
    TierRegion(2, "EU", 1_500_000_000.0, 120),
    TierRegion(2, "elsewhere", 100_000_000.0, 5),
    TierRegion(2, "US", 31_900_000.0, 10),
)


def sample(**changes: object) -> Analysis:
    result = Analysis(
        product="850760",
        destination="US",
        origin=None,
        tiers=2,
        window=WINDOW,
        by_tier_origin=(
            TierOrigin(1, "CN", 2_350_000_000.0, 400),
            TierOrigin(1, "VN", 900_000_000.0, 100),
            TierOrigin(1, "DE", 300_000_000.0, 50),
            TierOrigin(2, "CN", 7_150_000_000.0, 900),
            TierOrigin(2, "JP", 3_000_000_000.0, 200),
            TierOrigin(2, "DE", 1_500_000_000.0, 120),
            TierOrigin(2, "MX", 100_000_000.0, 5),
            TierOrigin(2, "US", 31_900_000.0, 10),
        ),
        by_tier_region=TIER_REGIONS,
        by_region=(
            RegionTotal("China", 9_500_000_000.0, 1300),
            RegionTotal("elsewhere in Asia", 3_900_000_000.0, 300),
            RegionTotal("EU", 1_800_000_000.0, 170),
            RegionTotal("elsewhere", 100_000_000.0, 5),
            RegionTotal("US", 31_900_000.0, 10),
        ),
        by_tier_kind=(
            TierKind(2, "direct", 9_131_900_000.0, 600),
            TierKind(2, "capital", 2_550_000_000.0, 600),
            TierKind(2, "same goods", 100_000_000.0, 35),
        ),
        top_suppliers=(
            Supplier("C-NINGDE", "Ningde Times, Ltd.", "CN", 3_430_000_000.0, 93),
            Supplier("C-HOSTILE", HOSTILE, "HK", 263_000_000.0, 12),
        ),
        concentration=(
            Concentration(1, 5_300.5, 3, "CN", 0.6620),
            Concentration(2, 4_391.2, 5, "CN", 0.6069),
        ),
        industries=(
            IndustryExports("autos", 122_000_000_000.0, 1_000, 61_000_000_000.0, 400),
            IndustryExports("electronics", 64_000_000_000.0, 800, 0.0, 0),
        ),
    )
    return replace(result, **changes)  # type: ignore[arg-type]


def page_of(result: Analysis) -> str:
    return render_html(result, rules_version="rules-v7").decode("utf-8")


def section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    end = page.find("<h2 ", start)
    return page[start : end if end != -1 else len(page)]


def band(path: str) -> list[float]:
    """A band's numbers: x0,top0, two control points, x1,top1, x1,bottom1, two control points, x0,bottom0."""
    return [float(number) for number in re.findall(r"-?\d+(?:\.\d+)?", path)]


# --- compact money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (9_500_000_000.0, "$9.5B"),
        (748_267_825.89, "$748.3M"),
        (31_900_000.0, "$31.9M"),
        (469_087.82, "$469.1K"),
        (999_960_000.0, "$1.0B"),  # rounds up to the next unit rather than "$1000.0M"
        (950.0, "$950"),
        (0.0, "$0"),
        (-1_500.0, "-$1.5K"),
    ],
)
def test_compact_money(value: float, text: str) -> None:
    assert compact_money(value) == text


# --- Sankey geometry ------------------------------------------------------------------------------


def nodes_by_key(layout: SankeyLayout) -> dict[str, analysis_report.SankeyNode]:
    return {node.key: node for node in layout.nodes}


def test_sankey_columns_are_regions_in_the_seed_order_then_tiers_then_the_product() -> None:
    layout = tier_sankey(TIER_REGIONS, product="850760", destination="US")
    columns = [[node.label for node in layout.nodes if node.column == c] for c in range(3)]
    assert columns == [
        ["China", "elsewhere in Asia", "EU", "US", "elsewhere"],
        ["tier 1", "tier 2"],
        ["HS 850760"],
    ]
    assert region_order("US") == ("China", "elsewhere in Asia", "EU", "US", "elsewhere", "unknown")
    values = {node.label: node.value for node in layout.nodes}
    assert values["China"] == pytest.approx(9_500_000_000.0)
    assert values["tier 1"] == pytest.approx(3_550_000_000.0)
    assert values["tier 2"] == pytest.approx(11_781_900_000.0)
    assert values["HS 850760"] == pytest.approx(15_331_900_000.0)


def test_sankey_node_heights_sum_to_the_scale_and_links_are_proportional_to_value() -> None:
    layout = tier_sankey(TIER_REGIONS, product="850760", destination="US")
    for column in range(3):
        heights = [node.height for node in layout.nodes if node.column == column]
        assert sum(heights) == pytest.approx(layout.scale)
    # One factor (height per dollar) for every link: the largest and the smallest alike.
    factors = {round(link.width / link.value, 15) for link in layout.links}
    assert len(factors) == 1
    assert factors.pop() == pytest.approx(layout.scale / 15_331_900_000.0)
    assert len(layout.links) == len(TIER_REGIONS) + 2  # region -> tier, then tier -> product


def test_sankey_bands_stack_inside_their_nodes_without_overlap() -> None:
    layout = tier_sankey(TIER_REGIONS, product="850760", destination="US")
    nodes = nodes_by_key(layout)
    leaving: dict[str, list[tuple[float, float]]] = {}
    entering: dict[str, list[tuple[float, float]]] = {}
    for link in layout.links:
        numbers = band(link.path)
        x0, top0, x1, top1, bottom1, bottom0 = (
            numbers[0],
            numbers[1],
            numbers[6],
            numbers[7],
            numbers[9],
            numbers[15],
        )
        source, target = nodes[link.source], nodes[link.target]
        assert x0 == pytest.approx(source.x + layout.node_width) and x1 == pytest.approx(target.x)
        assert bottom0 - top0 == pytest.approx(link.width, abs=0.02)
        assert bottom1 - top1 == pytest.approx(link.width, abs=0.02)
        leaving.setdefault(link.source, []).append((top0, bottom0))
        entering.setdefault(link.target, []).append((top1, bottom1))
    for key, spans in itertools.chain(leaving.items(), entering.items()):
        node = nodes[key]
        spans.sort()
        assert spans[0][0] == pytest.approx(node.y, abs=0.01)
        assert spans[-1][1] == pytest.approx(node.y + node.height, abs=0.02)
        assert all(b[0] == pytest.approx(a[1], abs=0.02) for a, b in itertools.pairwise(spans))


def test_sankey_of_a_single_region_fills_every_column() -> None:
    layout = tier_sankey([TierRegion(1, "China", 42.0, 1)], product="850511", destination=None)
    assert [(node.label, node.height) for node in layout.nodes] == [
        ("China", layout.scale),
        ("tier 1", layout.scale),
        ("HS 850511", layout.scale),
    ]
    assert [(link.source, link.target, link.width) for link in layout.links] == [
        ("region:China", "tier:1", layout.scale),
        ("tier:1", "product", layout.scale),
    ]
    assert len({node.y for node in layout.nodes}) == 1  # one node per column: all at the same height


def test_sankey_with_zero_totals_draws_no_band_and_no_nan() -> None:
    layout = tier_sankey(
        [TierRegion(1, "China", 0.0, 2), TierRegion(2, "EU", 0.0, 1)], product="850760", destination="US"
    )
    assert layout.links == ()
    numbers = [layout.width, layout.height] + [v for n in layout.nodes for v in (n.x, n.y, n.height, n.value)]
    assert all(math.isfinite(v) for v in numbers)
    assert {node.height for node in layout.nodes} == {0.0}
    empty = analysis_report.sankey_layout([], [])
    assert (empty.nodes, empty.links) == ((), ())


def test_bar_layout_shares_one_scale_and_gives_zero_no_length() -> None:
    chart = bar_layout(
        [("tier 1", [("China", 300.0, "#000"), ("EU", 100.0, "#111")]), ("tier 2", [("China", 0.0, "#000")])],
        width=500.0,
        label_width=100.0,
        value_width=100.0,
    )
    bars = [bar for group in chart.groups for bar in group.bars]
    assert [bar.length for bar in bars] == [300.0, 100.0, 0.0]
    assert [group.label for group in chart.groups] == ["tier 1", "tier 2"]
    tops = [bar.y for bar in bars]
    assert tops == sorted(tops) and chart.height > tops[-1] + chart.bar_height
    nothing = bar_layout([("tier 1", [("China", 0.0, "#000")])])
    assert [bar.length for group in nothing.groups for bar in group.bars] == [0.0]


# --- the page ---------------------------------------------------------------------------------------


def test_html_is_a_format_of_the_analysis() -> None:
    assert "html" in FORMATS
    result = sample()
    assert render(result, "html", rules_version="rules-v7") == render_html(result, rules_version="rules-v7")
    assert render(result, "html", rules_version="rules-v7").startswith(b"<!DOCTYPE html>")


def test_html_header_names_product_destination_origin_tiers_window_and_rules() -> None:
    page = page_of(sample(origin="CN"))
    header = page[page.index("<header>") : page.index("</header>")]
    for text in ("Trade in HS 850760 into US", "850760", "<dd>US</dd>", "<dd>CN</dd>", "1 to 2"):
        assert text in header
    assert "2021-06-30 to 2026-06-30" in header and "rules-v7" in header
    assert "Top tier-1 suppliers from CN" in page
    anywhere = page_of(sample(destination=None))
    assert "Trade in HS 850760 into any destination" in anywhere


def test_html_shows_the_seed_figures_in_the_sankey_and_the_tables() -> None:
    page = page_of(sample())
    flow = section(page, "flow")
    sankey = flow[flow.index("<svg") : flow.index("</svg>")]
    for label in ("China</tspan> $9.5B", "elsewhere in Asia</tspan> $3.9B", "EU</tspan> $1.8B"):
        assert label in sankey
    assert "US</tspan> $31.9M" in sankey and "elsewhere</tspan> $100.0M" in sankey
    assert "tier 2</tspan> $11.8B" in sankey and "HS 850760</tspan> $15.3B" in sankey
    assert sankey.count('<path class="link"') == len(TIER_REGIONS) + 2
    # The same numbers in the table under the diagram, with each region's share of the total.
    table = flow[flow.index("<table>") :]
    assert re.search(
        r"China</th><td class=\"num\">9,500,000,000.00</td>\s*<td class=\"num\">1,300</td>", table
    )
    assert "62.0%" in table  # 9.5 of 15.3319 billion
    regions = section(page, "regions")
    assert "$7.2B" in regions and "7,150,000,000.00" in regions and "60.7%" in regions  # 7.15 / 11.7819
    kinds = section(page, "inputs")
    assert "capital" in kinds and "$2.5B" in kinds and "2,550,000,000.00" in kinds and "21.6%" in kinds
    suppliers = section(page, "suppliers")
    assert re.search(r"Ningde Times, Ltd.</th><td><code>C-NINGDE</code></td>\s*<td>CN</td>", suppliers)
    assert "3,430,000,000.00" in suppliers and '<td class="num">93</td>' in suppliers
    concentration = section(page, "concentration")
    assert "5,300" in concentration and "66.2%" in concentration and "4,391" in concentration


def test_html_industries_view_draws_a_bar_pair_per_industry() -> None:
    page = page_of(sample())
    industries = section(page, "industries")
    chart = industries[industries.index("<svg") : industries.index("</svg>")]
    assert chart.count("<rect") == 4  # exports and the traced part, for autos and for electronics
    assert "$122.0B" in chart and "$61.0B" in chart and "$64.0B" in chart
    assert chart.count(">exports</text>") == chart.count(">with HS 850760 upstream</text>") == 2
    assert "61,000,000,000.00" in industries and "50.0%" in industries and "0.0%" in industries
    assert 'id="industries"' not in page_of(sample(industries=()))


def test_html_escapes_company_names() -> None:
    page = page_of(sample())
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Sons&#34;" in page
    hostile_region = page_of(sample(by_tier_region=(TierRegion(1, "<b>x</b>", 5.0, 1),)))
    assert "<b>x</b>" not in hostile_region and "&lt;b&gt;x&lt;/b&gt;" in hostile_region


def test_html_loads_nothing_from_anywhere() -> None:
    for result in (sample(), sample(by_tier_origin=(), by_tier_region=(), by_region=())):
        page = page_of(result).lower()
        for needle in ("http://", "https://", "src=", "<script", "<link", "@import", "url(", "<img", "href="):
            assert needle not in page, needle


def test_html_markup_is_accessible() -> None:
    page = page_of(sample())
    assert '<html lang="en">' in page
    assert page.count("<table>") == page.count("<caption>") == 7
    assert page.count("<th ") == page.count('<th scope="')
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", page)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))
    svgs = re.findall(r"<svg [^>]*>", page)
    assert len(svgs) == 4  # the Sankey, regions, input kinds, industries
    for tag in svgs:
        assert 'role="img"' in tag
        title, desc = re.search(r'aria-labelledby="([^" ]+) ([^" ]+)"', tag).groups()  # type: ignore[union-attr]
        assert f'<title id="{title}">' in page and f'<desc id="{desc}">' in page
    desc = page[page.index('<desc id="sankey-desc">') : page.index("</desc>")]
    assert "tier 2 from China: $7.2B" in desc
    assert "nan" not in re.sub(
        r"[^a-z]+", " ", " ".join(re.findall(r'(?:d|x|y|width|height)="([^"]*)"', page))
    )


def test_html_of_an_analysis_without_trade_says_so_instead_of_drawing() -> None:
    empty = sample(
        by_tier_origin=(),
        by_tier_region=(),
        by_region=(),
        by_tier_kind=(),
        top_suppliers=(),
        concentration=(),
        industries=(),
    )
    page = page_of(empty)
    assert "No shipments of HS 850760 into US in the window" in page
    assert "<svg" not in page and "<table>" not in page
    assert 'id="regions"' not in page and 'id="suppliers"' not in page


def test_html_of_a_network_analysis(engine: Engine, network: dict[str, Path]) -> None:  # noqa: F811
    """test_analyze.py's numbers: tier 1 CN 3,000 and VN 1,000; tier 2 CN 430 (direct 400, capital 30)."""
    load(engine, shipments=network["shipments"], companies=network["companies"])
    result = analyze(engine, network["rules"], product="850760", destination="US", tiers=2, as_of=AS_OF)
    page = page_of(result)
    flow = section(page, "flow")
    assert "China</tspan> $3.4K" in flow and "elsewhere in Asia</tspan> $1.0K" in flow
    assert "tier 2</tspan> $430" in flow and "HS 850760</tspan> $4.4K" in flow
    kinds = section(page, "inputs")
    assert "400.00" in kinds and "30.00" in kinds and "93.0%" in kinds
    assert "Shenzhen Volta Cells Co., Ltd." in section(page, "suppliers")
    assert "6,250" in section(page, "concentration")


def test_html_of_industries_without_trade_in_the_product(
    engine: Engine,
    exporting: dict[str, Path],  # noqa: F811
) -> None:
    """No cells (850790) are shipped into the US, but Acme's drills carry them upstream (test_analyze.py)."""
    load(engine, shipments=exporting["shipments"], companies=exporting["companies"])
    result = analyze(engine, exporting["rules"], product="850790", destination="US", tiers=3, as_of=AS_OF)
    page = page_of(result)
    assert "No shipments of HS 850790 into US in the window" in page
    industries = section(page, "industries")
    assert re.search(r"tools</th><td class=\"num\">5,000.00</td><td class=\"num\">1</td>", industries)
    assert "100.0%" in industries and "$5.0K" in industries and "$700" in industries


def test_analyze_command_writes_the_html_page(network: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    loaded = run(
        "network", "load", str(network["shipments"]), "--companies", str(network["companies"]), cwd=tmp_path
    )
    assert loaded.returncode == 0, loaded.stderr
    out = tmp_path / "pages" / "analysis.html"
    args = ["--product", "850760", "--destination", "US", "--tiers", "3", "--as-of", AS_OF.isoformat()]
    done = run(
        "analyze",
        *args,
        "--rules",
        str(network["rules"]),
        "--format",
        "html",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "tier 3</tspan> $200" in page and "3,000.00" in page
    assert "http://" not in page and "<script" not in page
    missing = run("analyze", *args, "--format", "html", cwd=tmp_path)
    assert missing.returncode == 2 and "--format needs --out FILE" in missing.stderr


# --- the fragment the web UI embeds ------------------------------------------------------------------


def test_the_fragment_is_the_pages_summary_and_sections_without_its_frame() -> None:
    result = sample(origin="CN")
    page = page_of(result)
    fragment = render_fragment(result, rules_version="rules-v7")
    for frame in ("<!DOCTYPE", "<html", "<head", "<body", "<style", "<h1", "<main", "<header"):
        assert frame not in fragment, frame
    assert fragment.startswith('<div class="analysis">')
    main = page[page.index("<main>") + len("<main>") : page.index("</main>")].strip()
    assert main in fragment  # the sections, as the page draws them
    header = page[page.index("</h1>") + len("</h1>") : page.index("</header>")].strip()
    assert header in fragment  # the summary: method and parameters
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", fragment)]
    assert min(levels) == 2
    assert HOSTILE not in fragment and "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment


def test_every_table_of_the_page_scrolls_inside_its_own_box() -> None:
    page = page_of(sample())
    assert page.count('<div class="table-wrap">\n<table>') == page.count("<table>") == 7
    assert ".table-wrap { overflow-x: auto;" in page
