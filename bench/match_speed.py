"""Matching speed at registry scale: tiersight's `MatchIndex` against brute-force rapidfuzz.

    python bench/match_speed.py [--companies 1000000] [--queries 10000] [--brute-sample 50] [--json]

A seeded registry of invented companies in many countries is indexed once; noisy supplier lines
(known registry names with typos, swapped or dropped legal forms, reordered words, a city
appended, case and punctuation changes) are then searched one by one, so every query has a known
answer. The same run scores a sample of the queries with `rapidfuzz.process.extractOne` (WRatio
over every registry name), the baseline the index has to beat.

The index is then saved to disk as a snapshot persists it, and read back in a new process (the time a
worker or a command pays once per network version instead of the build), which also checks that it
finds the same companies for the first queries.

Floors (the matching issue): >= 200x faster per line than brute force, top-1 recall not below
brute force's on the same sample, index build <= 60 s, peak memory <= 4 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import Floor, current_rss_mb, peak_rss_mb, print_table, report
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from screening.matching import MatchIndex
from screening.model import Company

# fmt: off
_COUNTRIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # cc -> (cities, legal forms)
    "CN": (("Shenzhen", "Ningbo", "Suzhou", "Xiamen", "Hefei", "Changsha", "Wuxi", "Foshan", "Tianjin"),
           ("Co., Ltd.", "Technology Co., Ltd.", "Group Co., Ltd.")),
    "US": (("Austin", "Reno", "Detroit", "Columbus", "Phoenix", "Seattle", "Chicago", "Denver"),
           ("Inc.", "LLC", "Corp.")),
    "DE": (("Stuttgart", "Hamburg", "Bremen", "Leipzig", "Dresden", "Koeln", "Essen"), ("GmbH", "AG", "KG")),
    "GB": (("Leeds", "Bristol", "Sheffield", "Coventry", "Derby"), ("Ltd", "Limited", "PLC")),
    "FR": (("Lyon", "Lille", "Nantes", "Toulouse", "Grenoble"), ("SAS", "SA", "SARL")),
    "IT": (("Milano", "Torino", "Bologna", "Verona", "Brescia"), ("S.p.A.", "S.r.l.")),
    "ES": (("Bilbao", "Valencia", "Zaragoza", "Sevilla"), ("S.A.", "S.L.")),
    "NL": (("Eindhoven", "Utrecht", "Rotterdam", "Venlo"), ("B.V.", "N.V.")),
    "PL": (("Wroclaw", "Gdansk", "Poznan", "Katowice"), ("Sp. z o.o.", "S.A.")),
    "JP": (("Osaka", "Nagoya", "Kobe", "Sendai", "Hamamatsu"), ("Co., Ltd.", "Corporation", "K.K.")),
    "KR": (("Ulsan", "Gumi", "Pohang", "Changwon"), ("Co., Ltd.", "Corporation")),
    "TW": (("Hsinchu", "Taichung", "Tainan", "Taoyuan"), ("Corp.", "Co., Ltd.")),
    "VN": (("Hanoi", "Haiphong", "Bac Ninh", "Da Nang"), ("Co., Ltd.", "JSC")),
    "MY": (("Penang", "Klang", "Johor", "Melaka"), ("Sdn. Bhd.", "Berhad")),
    "TH": (("Chonburi", "Rayong", "Ayutthaya"), ("Co., Ltd.", "Public Company Limited")),
    "IN": (("Pune", "Chennai", "Surat", "Noida", "Bengaluru"), ("Pvt. Ltd.", "Limited")),
    "MX": (("Monterrey", "Saltillo", "Queretaro", "Tijuana"), ("S.A. de C.V.", "S. de R.L. de C.V.")),
    "BR": (("Campinas", "Curitiba", "Joinville", "Manaus"), ("Ltda", "S.A.")),
    "TR": (("Bursa", "Izmir", "Kocaeli", "Gaziantep"), ("A.S.", "Ltd. Sti.")),
    "AU": (("Perth", "Adelaide", "Geelong", "Newcastle"), ("Pty Ltd", "Limited")),
}
_SYLLABLES = (
    "ka", "lo", "mi", "ra", "ten", "vor", "zan", "qi", "xin", "hua", "tek", "bel", "dor", "fin", "gal",
    "sun", "tai", "wei", "yo", "ren", "nor", "pol", "sar", "tor", "vel", "ami", "lux", "kor", "jin", "mar",
    "ve", "ion", "ber", "cal", "den", "eur", "gen", "hal", "kin", "lan", "mon", "neo", "ori", "pan", "rex",
    "sil", "tra", "ul",
)
_WORDS = (
    "Golden", "Pacific", "Green", "Delta", "Lotus", "Star", "Orient", "Bright", "Blue Ocean", "Phoenix",
    "Alpha", "Prime", "Nova", "Vertex", "Apex", "Unity", "Harmony", "Crown", "Royal", "Eastern", "Silver",
    "Dragon", "Pioneer", "Meridian", "Global", "United", "Summit", "Eco", "Vista", "Granite", "Harbor",
    "Cedar", "Falcon", "Liberty", "Evergreen", "Redwood", "Keystone", "Coastal", "Frontier", "Atlas",
    "Northern", "Sunrise",
)
_INDUSTRIES = (
    "Lithium", "Battery", "Energy Materials", "Magnetics", "Electric Motors", "Precision Machinery",
    "Copper Foil", "Semiconductor", "Electronics", "Chemicals", "Logistics", "Trading", "Textiles",
    "Furniture", "Plastics", "Steel", "Auto Parts", "Power Systems", "Optics", "Packaging", "Foods", "Pharma",
    "Robotics", "Solar", "Cables", "Fasteners", "Ceramics", "Glass", "Tools", "Instruments", "Rubber",
    "Paper", "Coatings", "Industrial", "Technology", "Manufacturing", "International", "Holdings",
    "Engineering", "Components",
)
_QUALIFIERS = ("", "", "", "New", "International", "Group", "Advanced", "Industrial", "Global")
# fmt: on
_COUNTRY_CODES = tuple(_COUNTRIES)


@dataclass(frozen=True, slots=True)
class _Query:
    text: str
    country: str
    answer: str  # company_id of the registry company it was derived from


def _brand(rng: random.Random) -> str:
    """An invented brand: a dictionary word, a syllable compound, or a word plus a compound."""
    compound = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    kind = rng.random()
    if kind < 0.2:
        return rng.choice(_WORDS)
    if kind < 0.75:
        return compound
    return f"{rng.choice(_WORDS)} {compound}"


def registry(size: int, seed: int = 11) -> list[Company]:
    """`size` companies with distinct (case-insensitive) names, the same for the same seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    companies: list[Company] = []
    while len(companies) < size:
        cc = _COUNTRY_CODES[min(int(rng.expovariate(0.18)), len(_COUNTRY_CODES) - 1)]
        cities, forms = _COUNTRIES[cc]
        parts = [_brand(rng)]
        if rng.random() < 0.35:
            parts.append(rng.choice(cities) if cc in ("CN", "JP", "KR") else rng.choice(_QUALIFIERS))
        parts.append(rng.choice(_INDUSTRIES))
        if rng.random() < 0.3:
            parts.append(rng.choice(_INDUSTRIES))
        core = " ".join(p for p in parts if p)
        name = f"{core}{',' if rng.random() < 0.3 else ''} {rng.choice(forms)}"
        key = name.casefold()
        if key in seen:
            continue
        seen.add(key)
        companies.append(Company(company_id=f"C{len(companies):07d}", name=name, country=cc))
    return companies


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 8:
        return text
    i = rng.randrange(2, len(text) - 2)
    kind = rng.random()
    if kind < 0.35:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.7:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def _strip_legal(text: str, cc: str) -> str:
    for form in sorted(_COUNTRIES[cc][1], key=len, reverse=True):
        if text.endswith(form):
            return text[: -len(form)].rstrip(" ,")
    return text


def noisy(company: Company, rng: random.Random) -> str:
    """One supplier-line spelling of a registry name: one to three edits of the canonical name."""
    cc = company.country or "US"
    cities, forms = _COUNTRIES[cc]
    text = company.name
    edits = rng.sample(("legal", "typo", "reorder", "city", "case", "punct"), rng.randint(1, 3))
    if "legal" in edits:
        core = _strip_legal(text, cc)
        text = core if rng.random() < 0.5 else f"{core} {rng.choice(forms)}"
    if "reorder" in edits:
        core = _strip_legal(text, cc)
        words = core.split()
        if len(words) >= 2:
            words = words[1:] + words[:1]
            text = " ".join(words) + text[len(core) :]
    if "typo" in edits:
        text = _typo(text, rng)
    if "city" in edits:
        text = (
            f"{text} {rng.choice(cities).upper()}" if rng.random() < 0.5 else f"{text} ({rng.choice(cities)})"
        )
    if "punct" in edits:
        text = (
            text.replace(",", "").replace(".", "") if rng.random() < 0.6 else text.replace(" ", "  ", 1) + "."
        )
    if "case" in edits or rng.random() < 0.6:
        text = text.upper()
    return text


def queries(companies: list[Company], count: int, seed: int = 12) -> list[_Query]:
    rng = random.Random(seed)
    picked = rng.sample(companies, min(count, len(companies)))
    return [_Query(noisy(c, rng), c.country or "", c.company_id) for c in picked]


_LOAD_IN_NEW_PROCESS = """
import json, resource, sys, time
from pathlib import Path
from screening.matching import MatchIndex
path, stamp, lines = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
t0 = time.perf_counter()
index = MatchIndex.load(path, stamp)
load_s = time.perf_counter() - t0
top = [(found[0].company_id if (found := index.search(text, country=cc)) else None) for text, cc in lines]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load_s": load_s, "top": top, "peak_mb": peak}))
"""


def load_in_new_process(index: MatchIndex, lines: list[_Query], folder: Path) -> dict[str, object]:
    """Save the index, read it back in a fresh interpreter; time both, and the new process's answers."""
    path = folder / "index.bin"
    t0 = time.perf_counter()
    index.save(path, "bench")
    save_s = time.perf_counter() - t0
    queries = json.dumps([(q.text, q.country) for q in lines])
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_NEW_PROCESS, str(path), "bench", queries],
        check=True,
        capture_output=True,
        text=True,
    )
    loaded: dict[str, object] = json.loads(out.stdout)
    loaded.update(save_s=save_s, file_mb=path.stat().st_size / 1024 / 1024)
    return loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--brute-sample", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()

    t0 = time.perf_counter()
    companies = registry(args.companies)
    lines = queries(companies, args.queries)
    generate_s = time.perf_counter() - t0

    rss_before, peak_before = current_rss_mb(), peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    index = MatchIndex(companies)
    build_s, build_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    rss_after, peak_after = current_rss_mb(), peak_rss_mb()

    hits: list[bool] = []
    t0, c0 = time.perf_counter(), time.process_time()
    for q in lines:
        found = index.search(q.text, country=q.country)
        hits.append(bool(found) and found[0].company_id == q.answer)
    search_s, search_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    peak_after_search = peak_rss_mb()
    ms_per_line = search_s * 1000 / len(lines)

    checked = lines[:50]
    with tempfile.TemporaryDirectory() as folder:
        loaded = load_in_new_process(index, checked, Path(folder))
    here = [
        (found[0].company_id if (found := index.search(q.text, country=q.country)) else None) for q in checked
    ]
    load_s, save_s, file_mb = float(loaded["load_s"]), float(loaded["save_s"]), float(loaded["file_mb"])
    loaded_same = loaded["top"] == here

    names = [c.name for c in companies]
    sample = list(range(min(args.brute_sample, len(lines))))
    brute_hits: list[bool] = []
    t0, c0 = time.perf_counter(), time.process_time()
    for i in sample:
        best = process.extractOne(lines[i].text, names, scorer=fuzz.WRatio, processor=default_process)
        brute_hits.append(best is not None and companies[best[2]].company_id == lines[i].answer)
    brute_ms = (time.perf_counter() - t0) * 1000 / max(1, len(sample))
    brute_cpu_ms = (time.process_time() - c0) * 1000 / max(1, len(sample))

    recall = sum(hits) / len(hits)
    recall_sample = sum(hits[i] for i in sample) / max(1, len(sample))
    brute_recall = sum(brute_hits) / max(1, len(brute_hits))
    speedup = brute_ms / ms_per_line
    floors = [
        Floor("speed-up per line vs brute force", speedup, 200, at_most=False, unit="x"),
        Floor(
            "top-1 recall on the brute-force sample minus brute force's",
            recall_sample - brute_recall,
            0.0,
            at_most=False,
        ),
        Floor("index build", build_s, 60, at_most=True, unit=" s"),
        Floor("read back in a new process: same top-1 (1 = yes)", float(loaded_same), 1, at_most=False),
        Floor("peak memory", peak_after_search / 1024, 4, at_most=True, unit=" GB"),
    ]
    data: dict[str, object] = {
        "companies": len(companies),
        "index_names": index.name_count,
        "queries": len(lines),
        "brute_sample": len(sample),
        "generate_s": round(generate_s, 2),
        "build_s": round(build_s, 2),
        "build_cpu_s": round(build_cpu_s, 2),
        "save_s": round(save_s, 2),
        "index_file_mb": round(file_mb, 1),
        "load_new_process_s": round(load_s, 2),
        "load_peak_rss_mb": round(float(loaded["peak_mb"]), 1),
        "loaded_index_same_top1": loaded_same,
        "rss_before_build_mb": round(rss_before, 1),
        "rss_after_build_mb": round(rss_after, 1),
        "peak_rss_before_build_mb": round(peak_before, 1),
        "peak_rss_after_build_mb": round(peak_after, 1),
        "peak_rss_after_search_mb": round(peak_after_search, 1),
        "ms_per_line": round(ms_per_line, 3),
        "cpu_ms_per_line": round(search_cpu_s * 1000 / len(lines), 3),
        "brute_ms_per_line": round(brute_ms, 3),
        "brute_cpu_ms_per_line": round(brute_cpu_ms, 3),
        "speedup": round(speedup, 2),
        "recall_top1": round(recall, 4),
        "recall_top1_on_sample": round(recall_sample, 4),
        "brute_recall_top1": round(brute_recall, 4),
        "runtime_s": round(time.perf_counter() - started, 1),
    }
    if not args.json:
        print(f"{len(companies):,} companies ({index.name_count:,} indexed names), {len(lines):,} queries,")
        print(f"brute-force sample {len(sample)}; registry and queries generated in {generate_s:.1f} s")
        print(
            f"index build {build_s:.1f} s (cpu {build_cpu_s:.1f} s);"
            f" RSS {rss_before:,.0f} MB -> {rss_after:,.0f} MB "
            f"(peak {peak_before:,.0f} -> {peak_after:,.0f} MB, {peak_after_search:,.0f} MB after searching)"
        )
        print(
            f"saved in {save_s:.1f} s ({file_mb:,.0f} MB); read back in a new process in {load_s:.1f} s"
            f" (peak {float(loaded['peak_mb']):,.0f} MB), "
            f"{'same' if loaded_same else 'DIFFERENT'} top-1 on the first {len(checked)} queries"
        )
        print_table(
            "Per supplier line",
            [
                ("ms per line", f"{ms_per_line:.3f}", f"{brute_ms:.3f}"),
                ("CPU ms per line", f"{search_cpu_s * 1000 / len(lines):.3f}", f"{brute_cpu_ms:.3f}"),
                ("top-1 recall (brute-force sample)", f"{recall_sample:.1%}", f"{brute_recall:.1%}"),
                ("top-1 recall (all queries)", f"{recall:.1%}", "-"),
                ("brute / tiersight per line", f"{speedup:.2f}x", ""),
            ],
            ("", "tiersight", "rapidfuzz WRatio"),
        )
        print(f"\nruntime {data['runtime_s']} s")
    report(data, floors, args.json)


if __name__ == "__main__":
    main()
