"""Tracing at network scale: `trace_line` against a plain breadth-first search and a recursive SQL query.

    python bench/trace.py [--shipments 10000000] [--lines 10000] [--max-tier 4] [--seed 7]
                          [--bfs-sample 300] [--sql-sample 20] [--sql-timeout 300] [--postgres URL] [--json]

A seeded network is generated column-wise (numpy): companies in many countries, each making or
trading one product, and shipments along supplier relationships that follow the shipped input map
(`rules/hs_inputs.yaml`): pack makers buy cells, cathode, foils and fasteners, cell makers buy
cathode and anode materials, cathode makers buy precursors and lithium salts, motor makers buy
magnets, magnet makers buy rare-earth oxides and alloys... The upstream is China-heavy, traders in
Vietnam, Malaysia, Hong Kong and elsewhere re-ship goods of Chinese origin, and most trade is in
goods no map lists (furniture, apparel, tools), bought by the same companies too. Suppliers are
chosen with a strong preference for the large ones, so upstream companies are shared by many
lines; relationships carry heavy-tailed numbers of shipments, dated over six years, with
log-normal values. A supplier list of already-matched lines (company, HS code, value; some without
HS code) is drawn from the makers and traders. Matching is not part of this benchmark.

Measured in one run, with the peak resident memory after each stage:

* the `Graph` built from the generated columns (`Graph.from_columns`), seconds and memory;
* tiersight: `trace_line` on every line to `--max-tier`, with the shipped rules in force and
  invented restricted-party lists (a cold start: no state is known before the first line), then
  once more without rules;
* baseline A, a plain pure-Python breadth-first search over a dict consignee -> list of shipment
  tuples with the contract's semantics (states opened once, shipments counted once per line, the
  window, the input-set prefix test), on a random sample of the lines; its upstream (tier, origin)
  totals must equal tiersight's on every sampled line (the run stops otherwise); the sample is timed
  in loops of its own (tiersight, the plain search, tiersight again), each side warm, in CPU
  seconds of the process (wall time too);
* baseline B, the same trace as a recursive query in PostgreSQL (the network copied into a
  throw-away schema of the `test` database, indexed on consignee, dropped at the end), on a smaller
  sample; skipped with a message when the server cannot be reached;
* `analyze` of 850760 over the whole network, to tier 4, without destination and into the US.

Floors (the tracing issue): >= 20x the plain search per line on the same work (upstream totals;
the speed-up with tiersight also evaluating the rules is reported next to it), <= 60 s for the lines
with the rules (10,000 at 10,000,000 shipments), `analyze` over the whole network <= 2 minutes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from _common import Floor, current_rss_mb, peak_rss_mb, print_table, report

from screening.analyze import analyze
from screening.network.graph import Graph
from screening.rules.evaluate import HsInputs
from screening.rules.loader import DEFAULT_RULES_DIR, load_rules
from screening.trace import UNKNOWN_ORIGIN, TraceResult, Window, trace_line

AS_OF = dt.date(2026, 11, 30)
YEARS = 6
SIZE_TAIL = 1.6  # Pareto index of company sizes
MAX_SUPPLIERS = 3_000  # supplier relationships of the largest buyer
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"

# fmt: off
# Country shares (percent) by role: raw materials and equipment, intermediates, finished goods,
# traders, makers of goods no input map lists, and importing buyers.
_COUNTRIES: dict[str, dict[str, int]] = {
    "base": {"CN": 55, "AU": 6, "CL": 6, "AR": 3, "ID": 4, "JP": 5, "KR": 4, "DE": 4, "US": 5, "IN": 3,
             "MY": 2, "CD": 3},
    "mid": {"CN": 68, "KR": 9, "JP": 8, "DE": 3, "US": 3, "VN": 3, "TW": 3, "PL": 1, "IN": 2},
    "end": {"CN": 40, "KR": 8, "JP": 7, "DE": 8, "US": 8, "PL": 4, "HU": 3, "MX": 5, "VN": 5, "CZ": 3,
            "FR": 3, "IT": 3, "SE": 3},
    "trader": {"VN": 25, "MY": 15, "HK": 20, "SG": 15, "MX": 10, "AE": 8, "TH": 7},
    "noise": {"CN": 35, "VN": 8, "IN": 8, "US": 8, "DE": 6, "IT": 5, "TR": 5, "MX": 5, "BD": 4, "ID": 4,
              "TH": 4, "JP": 3, "KR": 3, "BR": 2},
    "buyer": {"US": 45, "DE": 10, "GB": 7, "FR": 6, "NL": 5, "JP": 5, "CA": 6, "MX": 4, "IT": 4, "ES": 4,
              "AU": 4},
}
# Share of companies by role, and mean number of supplier relationships (inbound) per company.
_ROLES = {"buyer": (0.12, 10), "trader": (0.04, 6), "end": (0.06, 12), "mid": (0.08, 14), "base": (0.10, 4),
          "noise": (0.60, 3)}
# Chapters of the goods no input map lists.
_NOISE_CHAPTERS = ("39", "40", "42", "44", "48", "61", "62", "63", "64", "69", "70", "71", "72", "73", "76",
                   "82", "83", "84", "85", "87", "90", "94", "95", "96")
_MEDIAN_VALUE = {"base": 40_000.0, "mid": 90_000.0, "end": 120_000.0, "noise": 25_000.0}
# fmt: on
_ROLE_NAMES = tuple(_ROLES)


@dataclass
class Network:
    """Generated columns, coded as `Graph.from_columns` takes them (tables sorted)."""

    company_ids: list[str]
    company_names: list[str]
    company_countries: list[str]
    company_role: npt.NDArray[np.int8]  # index into _ROLE_NAMES
    company_product: npt.NDArray[np.int32]  # hs6 index of what it makes or trades, -1 for buyers
    hs6_codes: list[str]  # sorted
    hs6_role: list[str]  # base / mid / end / noise
    hs_codes: list[str]  # sorted: hs6 codes and national lines
    hs6_of_hs: npt.NDArray[np.int32]
    countries: list[str]
    shipment_id: npt.NDArray[np.bytes_]
    shipper: npt.NDArray[np.int32]
    consignee: npt.NDArray[np.int32]
    hs: npt.NDArray[np.int32]
    day: npt.NDArray[np.int32]
    value: npt.NDArray[np.float64]
    origin: npt.NDArray[np.int16]  # -1: the shipper's country


@dataclass(frozen=True)
class Line:
    company: int
    hs_code: str | None
    value: float


def _chain_codes(inputs: HsInputs, rng: np.random.Generator) -> dict[str, str]:
    """Six-digit codes of every prefix the input map names, with their role (base, mid, end)."""
    products = {p.hs for p in inputs.products}
    named = products | {item.hs for p in inputs.products for item in p.inputs}
    used_as_input = {item.hs for p in inputs.products for item in p.inputs}
    codes: dict[str, str] = {}
    for prefix in sorted(named):
        role = "base" if prefix not in products else ("mid" if prefix in used_as_input else "end")
        if len(prefix) >= 6:
            concrete = [prefix[:6]]
        else:
            tails = rng.choice(10 ** (6 - len(prefix)), size=3, replace=False)
            concrete = [prefix + f"{t:0{6 - len(prefix)}d}" for t in sorted(tails)]
        for code in concrete:
            codes.setdefault(code, role)
    return codes


def _noise_codes(chain: dict[str, str], inputs: HsInputs, count: int, rng: np.random.Generator) -> list[str]:
    listed = tuple({p.hs for p in inputs.products} | {i.hs for p in inputs.products for i in p.inputs})
    found: set[str] = set()
    while len(found) < count:
        code = f"{rng.choice(_NOISE_CHAPTERS)}{int(rng.integers(0, 10_000)):04d}"
        if not code.startswith(listed) and code not in chain:
            found.add(code)
    return sorted(found)


def _pick(weights: dict[str, int], size: int, rng: np.random.Generator) -> npt.NDArray[np.str_]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], float)
    return np.array(keys)[rng.choice(len(keys), size=size, p=p / p.sum())]


def generate(shipments: int, inputs: HsInputs, seed: int) -> Network:
    """A network of about `shipments` shipments (exactly that many unless it is tiny)."""
    rng = np.random.default_rng(seed)
    chain = _chain_codes(inputs, rng)
    noise = _noise_codes(chain, inputs, 1500, rng)
    hs6_codes = sorted([*chain, *noise])
    hs6_index = {code: i for i, code in enumerate(hs6_codes)}
    hs6_role = [chain.get(code, "noise") for code in hs6_codes]
    by_role = {
        role: np.array([hs6_index[c] for c in hs6_codes if hs6_role[hs6_index[c]] == role])
        for role in _MEDIAN_VALUE
    }

    # Companies: a role, a product (what it makes or trades) and a country.
    n_companies = max(2_000, shipments // 25)
    shares = np.array([share for share, _mean in _ROLES.values()])
    role = rng.choice(len(_ROLES), size=n_companies, p=shares / shares.sum()).astype(np.int8)
    product = np.full(n_companies, -1, np.int32)
    country = np.empty(n_companies, dtype=object)
    for r, name in enumerate(_ROLE_NAMES):
        members = np.flatnonzero(role == r)
        country[members] = _pick(_COUNTRIES[name], len(members), rng)
        if name == "buyer":
            continue
        if name == "trader":  # traders of finished goods and intermediates
            pool = np.concatenate([by_role["end"], by_role["mid"], by_role["base"][:8]])
        else:
            pool = by_role[name]
        # A few products have many makers: a power law over a shuffled pool.
        pool = rng.permutation(pool)
        product[members] = pool[
            np.minimum((len(pool) * rng.random(len(members)) ** 1.6).astype(int), len(pool) - 1)
        ]
    company_ids = [f"C{i:07d}" for i in range(n_companies)]
    company_names = [f"Company {i} {c}" for i, c in enumerate(country.tolist())]

    # Company sizes, heavy-tailed: a large company buys from many suppliers and is chosen as a
    # supplier by many buyers (in- and out-degree go together in production networks).
    size = rng.pareto(SIZE_TAIL, n_companies) + 1
    size /= size.mean()

    # Supplier relationships: each company's inbound relationships, in proportion to its size.
    means = np.array([mean for _share, mean in _ROLES.values()], float)[role]
    n_in = np.minimum(np.ceil(means * size * rng.uniform(0.5, 1.0, n_companies)), MAX_SUPPLIERS).astype(
        np.int64
    )
    edge_consignee = np.repeat(np.arange(n_companies, dtype=np.int32), n_in)
    edges = len(edge_consignee)
    edge_code = np.full(edges, -1, np.int32)
    u = rng.random(edges)
    noise_pick = by_role["noise"][
        np.minimum((len(by_role["noise"]) * rng.random(edges) ** 2).astype(int), len(by_role["noise"]) - 1)
    ]
    edge_role = role[edge_consignee]
    edge_product = product[edge_consignee]
    end_goods = np.concatenate([by_role["end"], by_role["mid"]])
    capital = np.array([hs6_index[c] for c in chain if inputs.kind_of("850760", c) == "capital"] or [0])

    buyer = edge_role == _ROLE_NAMES.index("buyer")
    edge_code[buyer] = np.where(u[buyer] < 0.5, rng.choice(end_goods, int(buyer.sum())), noise_pick[buyer])
    trader = edge_role == _ROLE_NAMES.index("trader")
    edge_code[trader] = np.where(u[trader] < 0.9, edge_product[trader], noise_pick[trader])
    maker = edge_role == _ROLE_NAMES.index("noise")
    edge_code[maker] = np.where(u[maker] < 0.93, noise_pick[maker], rng.choice(capital, int(maker.sum())))
    for code in np.unique(
        edge_product[np.isin(edge_role, [_ROLE_NAMES.index(r) for r in ("end", "mid", "base")])]
    ):
        at = np.flatnonzero((edge_product == code) & ~buyer & ~trader & ~maker)
        h = hs6_codes[code]
        inputs_of = [
            (hs6_index[c], 3.0 if inputs.kind_of(h, c) == "direct" else 1.0)
            for c in hs6_codes
            if c != h and hs6_role[hs6_index[c]] != "noise" and c.startswith(inputs.input_set(h))
        ]
        if inputs_of:
            ids = np.array([i for i, _w in inputs_of])
            w = np.array([w for _i, w in inputs_of])
            listed = rng.choice(ids, size=len(at), p=w / w.sum())
            edge_code[at] = np.where(u[at] < 0.72, listed, np.where(u[at] < 0.80, code, noise_pick[at]))
        else:
            edge_code[at] = np.where(u[at] < 0.30, code, noise_pick[at])

    # The supplier of each relationship: a maker or trader of its goods, the large ones preferred.
    edge_shipper = np.full(edges, -1, np.int32)
    makers_order = np.argsort(product, kind="stable")
    makers_code = product[makers_order]
    edge_order = np.argsort(edge_code, kind="stable")
    bounds = np.searchsorted(edge_code[edge_order], np.arange(len(hs6_codes) + 1))
    for code in range(len(hs6_codes)):
        at = edge_order[bounds[code] : bounds[code + 1]]
        if not len(at):
            continue
        lo, hi = np.searchsorted(makers_code, [code, code + 1])
        suppliers = makers_order[lo:hi]
        if not len(suppliers):
            continue
        weight = np.cumsum(size[suppliers])
        pick = np.minimum(np.searchsorted(weight, rng.random(len(at)) * weight[-1]), len(suppliers) - 1)
        chosen = suppliers[pick]
        clash = chosen == edge_consignee[at]
        chosen[clash] = suppliers[(pick[clash] + 1) % len(suppliers)]
        edge_shipper[at] = chosen
    keep = (edge_shipper >= 0) & (edge_shipper != edge_consignee)
    edge_shipper, edge_consignee, edge_code = edge_shipper[keep], edge_consignee[keep], edge_code[keep]
    edges = len(edge_shipper)

    # Shipments per relationship: heavy-tailed, adding up to the requested total.
    if shipments <= edges:
        chosen_edges = np.sort(rng.choice(edges, size=shipments, replace=False))
        per_edge = np.zeros(edges, np.int64)
        per_edge[chosen_edges] = 1
    else:
        weight = rng.pareto(1.2, edges) + 1
        per_edge = 1 + rng.multinomial(shipments - edges, weight / weight.sum())
    ship_edge = np.repeat(np.arange(edges), per_edge)
    n = len(ship_edge)
    shipper = edge_shipper[ship_edge]
    consignee = edge_consignee[ship_edge]
    hs6 = edge_code[ship_edge]

    # National lines: a third of shipments carry a ten-digit code under their six digits.
    hs_codes = sorted({*hs6_codes, *(c + "0010" for c in hs6_codes), *(c + "0020" for c in hs6_codes)})
    hs_index = {code: i for i, code in enumerate(hs_codes)}
    variants = np.array(
        [[hs_index[c], hs_index[c + "0010"], hs_index[c + "0020"]] for c in hs6_codes], np.int32
    )
    which = np.where(rng.random(n) < 0.67, 0, rng.integers(1, 3, n))
    hs = variants[hs6, which]
    hs6_of_hs = np.array([hs6_index[c[:6]] for c in hs_codes], np.int32)

    start = (AS_OF - dt.timedelta(days=365 * YEARS)).toordinal()
    day = (start + rng.integers(0, 365 * YEARS + 1, n)).astype(np.int32)
    role_of_code = np.array([list(_MEDIAN_VALUE).index(r) for r in hs6_role])
    mu = np.log(np.array(list(_MEDIAN_VALUE.values())))[role_of_code[hs6]]
    value = np.round(np.exp(mu + 1.3 * rng.standard_normal(n)), 2)

    # Origins: traders re-ship Chinese goods; a few makers ship goods made elsewhere.
    countries = sorted({c for table in _COUNTRIES.values() for c in table})
    origin = np.full(n, -1, np.int16)
    from_trader = role[shipper] == _ROLE_NAMES.index("trader")
    draw = rng.random(n)
    origin[from_trader & (draw < 0.6)] = countries.index("CN")
    other = (~from_trader & (draw < 0.02)) | (from_trader & (draw >= 0.6) & (draw < 0.7))
    origin[other] = rng.integers(0, len(countries), int(other.sum()))

    digits = np.zeros((n, 11), np.uint8)
    digits[:, 0] = ord("S")
    number = np.arange(n, dtype=np.int64)
    for position in range(10, 0, -1):
        digits[:, position] = ord("0") + number % 10
        number //= 10
    shipment_id = digits.view("S11").reshape(n)

    return Network(
        company_ids=company_ids,
        company_names=company_names,
        company_countries=country.tolist(),
        company_role=role,
        company_product=product,
        hs6_codes=hs6_codes,
        hs6_role=hs6_role,
        hs_codes=hs_codes,
        hs6_of_hs=hs6_of_hs,
        countries=countries,
        shipment_id=shipment_id,
        shipper=shipper.astype(np.int32),
        consignee=consignee.astype(np.int32),
        hs=hs.astype(np.int32),
        day=day,
        value=value,
        origin=origin,
    )


def supplier_lines(net: Network, count: int, seed: int) -> list[Line]:
    """Matched supplier lines: makers and traders that ship, their product, a yearly value."""
    rng = np.random.default_rng(seed + 1)
    shipping = np.zeros(len(net.company_ids), bool)
    shipping[net.shipper] = True
    role = net.company_role
    pools = {
        name: np.flatnonzero(shipping & (role == _ROLE_NAMES.index(name)))
        for name in ("end", "mid", "base", "trader", "noise")
    }
    shares = {"end": 0.30, "mid": 0.25, "base": 0.10, "trader": 0.05, "noise": 0.30}
    lines: list[Line] = []
    for name, share in shares.items():
        pool = pools[name]
        take = min(len(pool), round(count * share)) if name != "noise" else max(0, count - len(lines))
        for company in rng.choice(pool, size=take, replace=take > len(pool)).tolist():
            code = net.hs6_codes[int(net.company_product[company])]
            draw = rng.random()
            hs: str | None = None if draw < 0.05 else (code + "0010" if draw < 0.3 else code)
            lines.append(Line(company, hs, round(float(np.exp(np.log(500_000) + rng.standard_normal())), 2)))
    random.Random(seed).shuffle(lines)
    return lines[:count]


def build_graph(net: Network) -> Graph:
    return Graph.from_columns(
        company_ids=net.company_ids,
        company_names=net.company_names,
        company_countries=net.company_countries,
        shipment_id=net.shipment_id,
        shipper=net.shipper,
        consignee=net.consignee,
        hs_codes=net.hs_codes,
        hs_code=net.hs,
        day=net.day,
        value_usd=net.value,
        countries=net.countries,
        origin=net.origin,
        version="bench",
    )


# --------------------------------------------------------------------------------------------------
# Baseline A: a plain breadth-first search over dicts
# --------------------------------------------------------------------------------------------------

Plain = dict[int, list[tuple[int, int, str, str, float, int, str]]]


def plain_network(net: Network) -> Plain:
    """consignee -> [(row, shipper, hs code, hs6, value, day, origin)], each list by (hs6, date, id)."""
    order = np.lexsort((net.day, net.hs6_of_hs[net.hs], net.consignee))
    country_of = np.array([net.countries.index(c) for c in net.company_countries], np.int16)
    resolved = np.where(net.origin >= 0, net.origin, country_of[net.shipper])
    codes = net.hs_codes
    adjacency: Plain = {}
    for row, consignee, shipper, hs, value, day, origin in zip(
        order.tolist(),
        net.consignee[order].tolist(),
        net.shipper[order].tolist(),
        net.hs[order].tolist(),
        net.value[order].tolist(),
        net.day[order].tolist(),
        resolved[order].tolist(),
        strict=True,
    ):
        code = codes[hs]
        entry = (row, shipper, code, code[:6], value, day, net.countries[origin])
        found = adjacency.get(consignee)
        if found is None:
            adjacency[consignee] = [entry]
        else:
            found.append(entry)
    return adjacency


def plain_trace(
    adjacency: Plain, line: Line, origin: str, inputs: HsInputs, window: Window, max_tier: int
) -> dict[tuple[int, str], list[float]]:
    """CONTRACT section 4 in the most direct Python: states opened once, shipments counted once."""
    first, last = window.since.toordinal(), window.as_of.toordinal()
    start = (line.company, line.hs_code[:6] if line.hs_code else "*")
    reached = {start}
    counted: set[int] = set()
    totals: dict[tuple[int, str], list[float]] = {(1, origin): [line.value, 0]}
    frontier = [start]
    tier = 1
    while frontier and tier < max_tier:
        following = []
        for company, hs6 in frontier:
            prefixes = None if hs6 == "*" else inputs.input_set(hs6)
            for row, shipper, code, code6, value, day, from_ in adjacency.get(company, ()):
                if row in counted or not first <= day <= last:
                    continue
                if prefixes is not None and not code.startswith(prefixes):
                    continue
                counted.add(row)
                cell = totals.get((tier + 1, from_))
                if cell is None:
                    totals[(tier + 1, from_)] = [value, 1]
                else:
                    cell[0] += value
                    cell[1] += 1
                state = (shipper, code6)
                if state not in reached:
                    reached.add(state)
                    following.append(state)
        frontier = following
        tier += 1
    return totals


def _cells(result: TraceResult) -> dict[tuple[int, str], tuple[float, int]]:
    return {(c.tier, c.origin): (c.value_usd, c.shipments) for c in result.upstream}


def _same_totals(
    ours: dict[tuple[int, str], tuple[float, int]], theirs: dict[tuple[int, str], list[float]]
) -> bool:
    rounded = {key: (round(v[0], 2), int(v[1])) for key, v in theirs.items()}
    return ours == rounded


def _close_totals(
    ours: dict[tuple[int, str], tuple[float, int]], theirs: dict[tuple[int, str], list[float]]
) -> bool:
    """Same cells and counts; values within a cent per thousand shipments (SQL adds in another order)."""
    if set(ours) != set(theirs):
        return False
    return all(
        int(theirs[key][1]) == ours[key][1]
        and abs(theirs[key][0] - ours[key][0]) <= 0.01 * (1 + ours[key][1] / 1000)
        for key in ours
    )


# --------------------------------------------------------------------------------------------------
# Baseline B: a recursive query in PostgreSQL
# --------------------------------------------------------------------------------------------------

_WALK_SQL = """
WITH RECURSIVE walk(tier, company, hs6) AS (
    SELECT 1, %(company)s::int, %(hs6)s::text
  UNION
    SELECT w.tier + 1, s.shipper, s.hs6
    FROM walk w
    JOIN {schema}.shipments s ON s.consignee = w.company
    WHERE w.tier < %(max_tier)s - 1
      AND s.day BETWEEN %(first)s AND %(last)s
      AND (w.hs6 = '*' OR EXISTS (
          SELECT 1 FROM {schema}.input_set i WHERE i.hs6 = w.hs6 AND starts_with(s.hs_code, i.prefix)))
),
states AS (SELECT company, hs6, min(tier) AS tier FROM walk GROUP BY company, hs6),
counted AS (
    SELECT s.row_id, min(st.tier) + 1 AS tier, min(s.value) AS value, min(s.origin) AS origin
    FROM states st
    JOIN {schema}.shipments s ON s.consignee = st.company
    WHERE st.tier < %(max_tier)s
      AND s.day BETWEEN %(first)s AND %(last)s
      AND (st.hs6 = '*' OR EXISTS (
          SELECT 1 FROM {schema}.input_set i WHERE i.hs6 = st.hs6 AND starts_with(s.hs_code, i.prefix)))
    GROUP BY s.row_id
)
SELECT tier, origin, sum(value), count(*) FROM counted GROUP BY tier, origin
"""


def postgres_baseline(
    url: str,
    net: Network,
    inputs: HsInputs,
    lines: Sequence[Line],
    window: Window,
    max_tier: int,
    expected: Sequence[dict[tuple[int, str], tuple[float, int]]],
    timeout_s: int,
) -> dict[str, Any]:
    """Copy the network into a throw-away schema, run the recursive query per line, drop the schema."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a dependency
        return {"skipped": f"psycopg missing: {exc}"}
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        return {"skipped": f"PostgreSQL unreachable at {url}: {str(exc).strip().splitlines()[0]}"}
    schema = f"bench_trace_{secrets.token_hex(4)}"
    out: dict[str, Any] = {"schema": schema}
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {schema}")
            cur.execute(
                f"CREATE UNLOGGED TABLE {schema}.shipments (row_id int, shipper int, consignee int,"
                " hs_code text, hs6 text, day int, value float8, origin text)"
            )
            cur.execute(f"CREATE TABLE {schema}.input_set (hs6 text, prefix text)")
            t0 = time.perf_counter()
            country_of = np.array([net.countries.index(c) for c in net.company_countries], np.int16)
            resolved = np.where(net.origin >= 0, net.origin, country_of[net.shipper])
            codes = np.array(net.hs_codes, dtype=object)
            origins = np.array(net.countries, dtype=object)
            with cur.copy(f"COPY {schema}.shipments FROM STDIN") as copy:
                step = 500_000
                for lo in range(0, len(net.shipper), step):
                    hi = min(lo + step, len(net.shipper))
                    code = codes[net.hs[lo:hi]]
                    buffer = io.StringIO()
                    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
                    writer.writerows(
                        zip(
                            range(lo, hi),
                            net.shipper[lo:hi].tolist(),
                            net.consignee[lo:hi].tolist(),
                            code.tolist(),
                            [c[:6] for c in code.tolist()],
                            net.day[lo:hi].tolist(),
                            net.value[lo:hi].tolist(),
                            origins[resolved[lo:hi]].tolist(),
                            strict=True,
                        )
                    )
                    copy.write(buffer.getvalue())
            out["copy_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            cur.execute(f"CREATE INDEX ON {schema}.shipments (consignee)")
            with cur.copy(f"COPY {schema}.input_set FROM STDIN") as copy:
                for hs6 in net.hs6_codes:
                    for prefix in inputs.input_set(hs6):
                        copy.write_row((hs6, prefix))
            cur.execute(f"CREATE INDEX ON {schema}.input_set (hs6)")
            cur.execute(f"ANALYZE {schema}.shipments")
            cur.execute(f"ANALYZE {schema}.input_set")
            out["index_s"] = time.perf_counter() - t0
            cur.execute(f"SET statement_timeout = {timeout_s * 1000}")
            sql = _WALK_SQL.format(schema=schema)
            per_line: list[float] = []
            agree = timeouts = 0
            first, last = window.since.toordinal(), window.as_of.toordinal()
            for line, ours in zip(lines, expected, strict=True):
                params = {
                    "company": line.company,
                    "hs6": line.hs_code[:6] if line.hs_code else "*",
                    "max_tier": max_tier,
                    "first": first,
                    "last": last,
                }
                t0 = time.perf_counter()
                try:
                    cur.execute(sql, params)
                    rows = cur.fetchall()
                except psycopg.errors.QueryCanceled:
                    timeouts += 1
                    per_line.append(time.perf_counter() - t0)
                    continue
                per_line.append(time.perf_counter() - t0)
                theirs: dict[tuple[int, str], list[float]] = {
                    (1, net.company_countries[line.company]): [line.value, 0]
                }
                for tier, origin, value, count in rows:
                    theirs[(int(tier), origin or UNKNOWN_ORIGIN)] = [float(value), int(count)]
                agree += _close_totals(ours, theirs)
            out.update(
                lines=len(lines),
                seconds=sum(per_line),
                s_per_line=sum(per_line) / max(1, len(per_line)),
                agree=agree,
                timeouts=timeouts,
                timeout_s=timeout_s,
            )
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.close()
    return out


# --------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shipments", type=int, default=10_000_000)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--max-tier", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bfs-sample", type=int, default=300, help="lines the plain search runs on")
    parser.add_argument(
        "--sql-sample", type=int, default=20, help="lines the recursive query runs on (0: skip)"
    )
    parser.add_argument("--sql-timeout", type=int, default=300, help="seconds per recursive query")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    peaks: dict[str, float] = {"start": peak_rss_mb()}

    rules = load_rules(DEFAULT_RULES_DIR)
    inputs = rules.hs_inputs
    in_force = rules.in_force(AS_OF)
    window = Window.default(AS_OF)

    t0 = time.perf_counter()
    net = generate(args.shipments, inputs, args.seed)
    lines = supplier_lines(net, args.lines, args.seed)
    generate_s = time.perf_counter() - t0
    peaks["generated"] = peak_rss_mb()

    rss_before = current_rss_mb()
    t0 = time.perf_counter()
    graph = build_graph(net)
    build_s = time.perf_counter() - t0
    rss_after = current_rss_mb()
    peaks["graph built"] = peak_rss_mb()

    # Invented restricted-party lists: a few Chinese makers of battery and magnet materials each.
    rng = random.Random(args.seed)
    suspects = [
        net.company_ids[c]
        for c in np.flatnonzero(
            np.isin(net.company_role, [_ROLE_NAMES.index("mid"), _ROLE_NAMES.index("base")])
        ).tolist()
        if net.company_countries[c] == "CN"
    ]
    party_rules = [r for r in in_force if r.kind == "restricted_party"]
    members = {r.id: frozenset(rng.sample(suspects, min(len(suspects), 25))) for r in party_rules}

    def run(line: Line, with_rules: bool) -> TraceResult:
        return trace_line(
            graph,
            company_id=net.company_ids[line.company],
            hs_code=line.hs_code,
            line_value=line.value,
            line_origin=net.company_countries[line.company],
            inputs=inputs,
            window=window,
            max_tier=args.max_tier,
            rules=in_force if with_rules else (),
            party_members=members if with_rules else None,
        )

    per_line: list[float] = []
    cells: list[dict[tuple[int, str], tuple[float, int]]] = []  # what is kept of each line's result
    counted_n: list[int] = []
    flagged = 0
    t0 = time.perf_counter()
    for line in lines:
        t = time.perf_counter()
        result = run(line, True)
        per_line.append(time.perf_counter() - t)
        cells.append(_cells(result))
        counted_n.append(len(result.counted))
        flagged += bool(result.hits)
    trace_s = time.perf_counter() - t0
    peaks["traced (rules)"] = peak_rss_mb()
    bare_per_line: list[float] = []
    t0 = time.perf_counter()
    for line in lines:
        t = time.perf_counter()
        run(line, False)
        bare_per_line.append(time.perf_counter() - t)
    trace_plain_s = time.perf_counter() - t0
    peaks["traced (no rules)"] = peak_rss_mb()

    counted = np.array(counted_n)
    deepest = np.array([max(tier for tier, _origin in c) for c in cells])

    analyses: dict[str, float] = {}
    for destination in (None, "US"):
        t0 = time.perf_counter()
        analysis = analyze(graph, inputs, product="850760", window=window, destination=destination, tiers=4)
        analyses[destination or "any"] = time.perf_counter() - t0
        analyses[f"{destination or 'any'}_shipments"] = float(
            sum(c.shipments for c in analysis.by_tier_origin)
        )
    peaks["analyze"] = peak_rss_mb()

    # Baseline A.
    sample = sorted(random.Random(args.seed + 2).sample(range(len(lines)), min(args.bfs_sample, len(lines))))
    t0 = time.perf_counter()
    adjacency = plain_network(net)
    plain_build_s = time.perf_counter() - t0
    peaks["plain dicts built"] = peak_rss_mb()

    # The sample is traced in loops of its own, one after the other, each side warm: tiersight without
    # rules, with rules, the plain search, tiersight without rules again (the two tiersight loops are
    # averaged, so slow phases of a shared machine weigh on both sides). Timed in CPU seconds of this
    # process, which other work on the machine disturbs less than wall time (reported too).
    def timed(trace: Any) -> tuple[list[float], float]:
        cpu: list[float] = []
        t0 = time.perf_counter()
        for i in sample:
            c = time.process_time()
            trace(lines[i])
            cpu.append(time.process_time() - c)
        return cpu, time.perf_counter() - t0

    bare_a, bare_wall_a = timed(lambda line: run(line, False))
    ours_rules, rules_wall = timed(lambda line: run(line, True))
    plain_per_line, plain_wall = timed(
        lambda line: plain_trace(
            adjacency, line, net.company_countries[line.company], inputs, window, args.max_tier
        )
    )
    bare_b, bare_wall_b = timed(lambda line: run(line, False))
    ours_bare = [(x + y) / 2 for x, y in zip(bare_a, bare_b, strict=True)]
    wall = {"bare": (bare_wall_a + bare_wall_b) / 2, "rules": rules_wall, "plain": plain_wall}
    for i in sample:
        line = lines[i]
        totals = plain_trace(
            adjacency, line, net.company_countries[line.company], inputs, window, args.max_tier
        )
        if not _same_totals(cells[i], totals):
            raise SystemExit(f"line {i}: the plain search and tiersight disagree on the upstream totals")
    peaks["plain search"] = peak_rss_mb()
    adjacency.clear()  # the dicts are done with
    ours_sample_s = sum(ours_rules)
    bare_sample_s = sum(ours_bare)
    plain_sample_s = sum(plain_per_line)
    speedup = plain_sample_s / bare_sample_s if bare_sample_s else math.inf  # the same work
    speedup_rules = plain_sample_s / ours_sample_s if ours_sample_s else math.inf
    speedup_wall = wall["plain"] / wall["bare"] if wall["bare"] else math.inf

    # Baseline B.
    sql: dict[str, Any] = {"skipped": "--sql-sample 0"}
    if args.sql_sample:
        sql_sample = sample[: args.sql_sample]
        sql = postgres_baseline(
            args.postgres,
            net,
            inputs,
            [lines[i] for i in sql_sample],
            window,
            args.max_tier,
            [cells[i] for i in sql_sample],
            args.sql_timeout,
        )
        if "skipped" not in sql:
            sql["ours_s_per_line"] = sum(per_line[i] for i in sql_sample) / len(sql_sample)
        peaks["postgres"] = peak_rss_mb()

    scale = 10_000 / len(lines) if lines else 1.0
    floors = [
        Floor(
            "speed-up per line vs the plain search, same work (upstream totals), same sample, CPU time",
            speedup,
            20,
            at_most=False,
            unit="x",
        ),
        Floor(
            f"{len(lines):,} lines traced to tier {args.max_tier}, with rules",
            trace_s,
            60,
            at_most=True,
            unit=" s",
        ),
        Floor("analyze 850760, any destination, 4 tiers", analyses["any"], 120, at_most=True, unit=" s"),
        Floor("analyze 850760 into the US, 4 tiers", analyses["US"], 120, at_most=True, unit=" s"),
    ]
    data: dict[str, Any] = {
        "shipments": len(graph),
        "companies": len(net.company_ids),
        "hs_codes": len(net.hs_codes),
        "states": graph.arrays.n_states,
        "lines": len(lines),
        "max_tier": args.max_tier,
        "as_of": AS_OF.isoformat(),
        "generate_s": round(generate_s, 2),
        "graph_build_s": round(build_s, 2),
        "graph_rss_mb": round(rss_after - rss_before, 1),
        "trace_s": round(trace_s, 2),
        "trace_10k_lines_s": round(trace_s * scale, 2),
        "trace_ms_per_line": round(trace_s * 1000 / max(1, len(lines)), 3),
        "first_line_s": round(per_line[0], 3) if per_line else None,
        "trace_no_rules_s": round(trace_plain_s, 2),
        "trace_ms_per_line_p50_p99_max": [
            round(float(np.percentile(per_line, q)) * 1000, 2) for q in (50, 99, 100)
        ],
        "counted_per_line_mean_p99_max": [
            round(float(counted.mean()), 1),
            int(np.percentile(counted, 99)),
            int(counted.max()),
        ],
        "lines_reaching_tier": {str(t): int((deepest >= t).sum()) for t in range(2, args.max_tier + 1)},
        "lines_flagged": flagged,
        "bfs_sample": len(sample),
        "bfs_build_s": round(plain_build_s, 2),
        "bfs_s_per_line": round(plain_sample_s / max(1, len(sample)), 5),
        "ours_s_per_line_on_sample": round(ours_sample_s / max(1, len(sample)), 5),
        "ours_no_rules_s_per_line_on_sample": round(bare_sample_s / max(1, len(sample)), 5),
        "speedup": round(speedup, 1),
        "speedup_with_rules": round(speedup_rules, 1),
        "speedup_wall": round(speedup_wall, 1),
        "sample_wall_s": {k: round(v, 3) for k, v in wall.items()},
        "analyze_s": {k: round(v, 2) for k, v in analyses.items() if not k.endswith("_shipments")},
        "analyze_shipments": {
            k[: -len("_shipments")]: int(v) for k, v in analyses.items() if k.endswith("_shipments")
        },
        "postgres": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in sql.items()},
        "peak_rss_mb": {k: round(v, 1) for k, v in peaks.items()},
        "runtime_s": round(time.perf_counter() - started, 1),
    }
    if not args.json:
        print(
            f"{len(graph):,} shipments, {len(net.company_ids):,} companies, {len(net.hs_codes):,} HS codes, "
            f"{graph.arrays.n_states:,} (company, hs6) states; generated in {generate_s:.1f} s"
        )
        print(
            f"Graph.from_columns {build_s:.1f} s, RSS {rss_before:,.0f} -> {rss_after:,.0f} MB "
            f"(+{rss_after - rss_before:,.0f} MB); {len(in_force)} rules in force, "
            f"{len(party_rules)} restricted-party lists of {len(next(iter(members.values()), ()))} "
            "invented members"
        )
        print(
            f"{len(lines):,} lines to tier {args.max_tier}: counted shipments per line mean "
            f"{counted.mean():,.0f}, "
            f"p99 {np.percentile(counted, 99):,.0f}, max {counted.max():,}; lines reaching tier "
            + ", ".join(f"{t}: {int((deepest >= t).sum()):,}" for t in range(2, args.max_tier + 1))
            + f"; {flagged:,} lines flagged"
        )
        print(
            f"first line {per_line[0]:.2f} s (the rows of every state for this input map and window are "
            "worked out then)"
        )
        print(
            f"plain search on a random sample of {len(sample)} lines (dicts built in {plain_build_s:.1f} s); "
            "its upstream (tier, origin) totals equal tiersight's on every one; the sample is timed in loops "
            "of its own (tiersight, plain search, tiersight again), each side warm"
        )
        rows = [
            (
                "seconds for all lines, with rules",
                f"{trace_s:.2f}",
                f"~{plain_sample_s / max(1, len(sample)) * len(lines):,.0f} (est.)",
            ),
            ("seconds for all lines, no rules", f"{trace_plain_s:.2f}", ""),
            (
                "CPU ms per line on the sample, upstream only",
                f"{bare_sample_s * 1000 / max(1, len(sample)):.2f}",
                f"{plain_sample_s * 1000 / max(1, len(sample)):.2f}",
            ),
            ("speed-up on the sample, the same work (CPU)", f"{speedup:.1f}x", ""),
            ("speed-up on the sample, the same work (wall)", f"{speedup_wall:.1f}x", ""),
            (
                "CPU ms per line on the sample, with the rules",
                f"{ours_sample_s * 1000 / max(1, len(sample)):.2f}",
                "-",
            ),
            ("speed-up on the sample, tiersight also flagging (CPU)", f"{speedup_rules:.1f}x", ""),
        ]
        if "skipped" not in sql:
            rows.append(
                (
                    f"ms per line, recursive SQL ({sql['lines']} lines)",
                    f"{sql['ours_s_per_line'] * 1000:.2f}",
                    f"{sql['s_per_line'] * 1000:,.0f}",
                )
            )
        print_table("Per supplier line", rows, ("", "tiersight", "baseline"))
        if "skipped" in sql:
            print(f"\nrecursive SQL skipped: {sql['skipped']}")
        else:
            print(
                f"\nrecursive SQL: COPY {sql['copy_s']:.1f} s, indexes {sql['index_s']:.1f} s; totals agree "
                f"on {sql['agree']} of {sql['lines']} lines ({sql['timeouts']} over {sql['timeout_s']} s).\n"
                "The query cannot keep 'each state opened once' across the walk: UNION drops only repeated\n"
                "(tier, company, hs6) rows, so a state is expanded again at every tier it is reached at\n"
                "(bounded by the depth), and each state's tier is its minimum afterwards: the same totals\n"
                "(a state's first tier is its distance), by more work."
            )
        print(
            f"\nanalyze 850760 to tier 4: any destination {analyses['any']:.1f} s "
            f"({int(analyses['any_shipments']):,} shipments counted), into the US {analyses['US']:.1f} s "
            f"({int(analyses['US_shipments']):,})"
        )
        print(
            "\nPeak memory (ru_maxrss) after each stage: "
            + ", ".join(f"{k} {v:,.0f} MB" for k, v in peaks.items())
        )
        print(f"\nruntime {data['runtime_s']} s")
    report(data, floors, args.json)


if __name__ == "__main__":
    main()
