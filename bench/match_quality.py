"""Matching quality on third-party labelled data, next to a plain rapidfuzz baseline run in the same command.

    python bench/match_quality.py [--data DIR] [--sample N] [--seed S] [--json]

Data is read at run time from `../shared/data/real` beside the repository (or `--data`); when it is absent
the script says so and exits 0. Parts:

* OFAC SDN and non-SDN organisations, leave one alias out: the withheld alias must find its entity;
  names of entities withheld from the index are the negatives. Thresholds for the matcher and for the
  baseline (`process.extractOne`, `fuzz.WRatio`, `utils.default_process`) are set on the negatives at
  false-match rates of 2% and 5%; recall per difficulty class is reported at each. The matcher is held
  to its own verdict rule: a best candidate that leads the next company by less than the margin is
  ambiguous (a person decides), a match at no threshold. Top-1 per class (the best candidate is the
  right entity, whatever its score) is the most any threshold can recall.
* OpenSanctions name-bench organisation pairs (Company, Organization, LegalEntity): pairwise precision
  and recall of `compare_names` at the matcher's 5% threshold, real pairs and LLM-proposed deviations
  apart, next to logic-v2's frozen predictions on the same pairs.
* Open Apparel Registry: accuracy on the 112 human-labelled facility pairs; and a self-consistency check
  on the brands' supplier lists, which carry no ids: a row whose normalised name and country also occur
  in another list must find that row among the other lists.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, utils

from screening.matching.evaluation import CATEGORIES, SHARES_A_WORD, evaluate_calibrated, load_ofac_entities
from screening.matching.index import MatchIndex
from screening.matching.scoring import compare_names, country_code
from screening.model import Company
from screening.names import name_key

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real"
ORGANISATIONS = ("Company", "Organization", "LegalEntity")
LLM = "LLM-proposed deviation"


def _pair_rates(predicted: Sequence[bool], truth: Sequence[bool]) -> dict[str, Any]:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    positives = sum(truth)
    correct = sum(p == t for p, t in zip(predicted, truth, strict=True))
    return {
        "n": len(truth),
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / positives, 4) if positives else None,
        "accuracy": round(correct / len(truth), 4) if truth else None,
    }


def _wratio(a: str, b: str) -> float:
    return float(fuzz.WRatio(a, b, processor=utils.default_process))


def name_bench(folder: Path, threshold: float, baseline_threshold: float) -> dict[str, Any]:
    """Organisation pairs of the name bench, real and LLM-proposed apart; the frozen logic-v2 run is
    joined on (case_group, schema, name1, name2)."""
    frozen: dict[tuple[str, str, str, str], bool] = {}
    frozen_path = folder / "logicv2-frozen.csv"
    if frozen_path.exists():
        with frozen_path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                key = (row["case_group"], row["schema"], row["name1"], row["name2"])
                frozen[key] = row["predicted_match"].strip().lower() == "true"
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (folder / "cases.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["schema"] in ORGANISATIONS:
                groups["llm" if row["category"] == LLM else "real"].append(row)
    out: dict[str, Any] = {}
    for group in ("real", "llm"):
        rows = groups[group]
        truth = [row["is_match"].strip().lower() == "true" for row in rows]
        ours = [
            compare_names(row["name1"], None, Company("b", row["name2"])).score >= threshold for row in rows
        ]
        plain = [_wratio(row["name1"], row["name2"]) >= baseline_threshold for row in rows]
        keys = [(row["case_group"], row["schema"], row["name1"], row["name2"]) for row in rows]
        joined = [(frozen[key], t) for key, t in zip(keys, truth, strict=True) if key in frozen]
        out[group] = {
            "tiersight": _pair_rates(ours, truth),
            "baseline": _pair_rates(plain, truth),
            "logic_v2": _pair_rates([p for p, _ in joined], [t for _, t in joined]),
        }
    return out


def oar_pairs(path: Path, threshold: float, baseline_threshold: float) -> dict[str, Any]:
    """The labelled facility pairs: name, address and country of both sides go to `compare_names`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    pairs: list[tuple[dict[str, str], dict[str, str], bool]] = []
    for label in ("match", "distinct"):
        for item in data[label]:
            left, right = item["__value__"]
            pairs.append((left, right, label == "match"))
    truth = [label for _, _, label in pairs]
    ours = [
        compare_names(
            a["name"],
            country_code(a["country"]),
            Company("b", b["name"], country_code(b["country"]), address=b["address"]),
            query_address=a["address"],
        ).score
        >= threshold
        for a, b, _ in pairs
    ]
    plain = [_wratio(a["name"], b["name"]) >= baseline_threshold for a, b, _ in pairs]
    return {"tiersight": _pair_rates(ours, truth), "baseline": _pair_rates(plain, truth)}


def facility_lists(folder: Path, threshold: float) -> dict[str, Any]:
    """Self-consistency on the supplier lists (no ids exist): a row whose name key (normalised name
    and country) also occurs in another list is queried against an index of every other list; it
    passes when the best candidate has the same key and reaches the threshold."""
    rows: list[tuple[str, str, str | None, str]] = []  # list, name, country, address
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                name = (row.get("name") or "").strip()
                if name:
                    rows.append((path.stem, name, country_code(row.get("country")), row.get("address") or ""))
    keys = [name_key(name, country) for _, name, country, _ in rows]
    lists_of_key: dict[str, set[str]] = defaultdict(set)
    for (source, *_), key in zip(rows, keys, strict=True):
        lists_of_key[key].add(source)
    queried = passed = 0
    for source in sorted({r[0] for r in rows}):
        others = [
            Company(str(i), name, country, address=address)
            for i, (other, name, country, address) in enumerate(rows)
            if other != source
        ]
        index = MatchIndex(others)
        for (other, name, country, address), key in zip(rows, keys, strict=True):
            if other != source or len(lists_of_key[key]) < 2:
                continue
            queried += 1
            found = index.search(name, country, address, limit=1)
            passed += bool(found) and found[0].score >= threshold and keys[int(found[0].company_id)] == key
    return {"rows": len(rows), "queried": queried, "passed": round(passed / queried, 4) if queried else None}


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None:
        return "n/a"
    return "inf" if theirs == 0 else f"{ours / theirs:.2f}x"


def render(result: dict[str, Any]) -> str:
    ofac = result["ofac"]
    ours, theirs = ofac["ours"], ofac["baseline"]
    lines = [
        f"OFAC leave-one-alias-out: {ofac['queries']} queries ({ours['positives']} positives, "
        f"{ours['negatives']} negatives), {ofac['entities_indexed']} entities indexed; "
        f"tiersight {ofac['seconds']} s, baseline {ofac['baseline_seconds']} s",
        "",
        f"{'class':<15}{'n':>6}{'ts@2%':>9}{'ts@5%':>9}{'rf@2%':>9}{'rf@5%':>9}{'ratio@5%':>10}"
        f"{'ts top-1':>10}{'rf top-1':>10}",
    ]
    for category in (*CATEGORIES, "shares_a_word", "all"):
        top1: list[float | None] = [None, None]
        if category == "all":
            n = ours["positives"]
            values = [side[rate]["recall"] for side in (ours, theirs) for rate in ("0.02", "0.05")]
        elif category == "shares_a_word":
            n = sum(ours["n"][c] for c in SHARES_A_WORD)
            values = [side[rate]["shares_a_word"] for side in (ours, theirs) for rate in ("0.02", "0.05")]
        else:
            n = ours["n"][category]
            values = [
                side[rate]["by_category"][category] for side in (ours, theirs) for rate in ("0.02", "0.05")
            ]
            top1 = [side["top1"].get(category) for side in (ours, theirs)]
        lines.append(
            f"{category:<15}{n:>6}"
            + "".join(f"{_cell(v):>9}" for v in values)
            + f"{_ratio(values[1], values[3]):>10}"
            + "".join(f"{_cell(v):>10}" for v in top1)
        )
    lines.append(
        "(shares_a_word = equal + reordered + abbreviated + partial; top-1 = best candidate is the right "
        "entity at any score, the most any threshold can recall)"
    )
    lines.append("")
    for label, side in (("tiersight", ours), ("baseline", theirs)):
        for rate in ("0.02", "0.05"):
            row = side[rate]
            lines.append(
                f"{label:<10} @{float(rate):.0%} FMR: threshold {row['threshold']:g}, measured FMR "
                f"{row['false_match_rate']:.3f}, wrong entity {row['wrong_entity_rate']:.3f}"
            )
    floors = result["floors"]
    lines += [
        "",
        "floors (@5% FMR, aliases sharing a word with another name of the entity):",
        f"  shares_a_word recall {_cell(floors['shares_a_word_recall'])} (need >= 0.80), "
        f"{floors['shares_a_word_ratio']} the baseline (need >= 3x)",
        f"  partial-overlap class alone: recall {_cell(floors['partial_recall'])}, "
        f"{floors['partial_ratio']} the baseline",
        f"  wrong entity {floors['wrong_entity']:.3f} (need <= 0.010)",
    ]
    bench = result.get("name_bench")
    if bench:
        lines += ["", "name bench, organisation pairs (tiersight at its 5% threshold; baseline at its 5%):"]
        for group in ("real", "llm"):
            for label in ("tiersight", "baseline", "logic_v2"):
                row = bench[group][label]
                lines.append(
                    f"  {group:<5}{label:<10} n={row['n']:<4} precision {_cell(row['precision'])} "
                    f"recall {_cell(row['recall'])} accuracy {_cell(row['accuracy'])}"
                )
    oar = result.get("oar_pairs")
    if oar:
        lines += ["", "Open Apparel Registry labelled pairs:"]
        for label in ("tiersight", "baseline"):
            row = oar[label]
            lines.append(
                f"  {label:<10} n={row['n']} accuracy {_cell(row['accuracy'])} "
                f"precision {_cell(row['precision'])} recall {_cell(row['recall'])}"
            )
    lists = result.get("facility_lists")
    if lists:
        lines.append(
            f"  supplier lists self-consistency: {lists['queried']} of {lists['rows']} rows have a "
            f"same-key row in another list; {_cell(lists['passed'])} find it at the 5% threshold"
        )
    lines.append(f"\ntotal {result['seconds']} s")
    return "\n".join(lines)


def run(data: Path, *, sample: int | None, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    entities = load_ofac_entities(data / "ofac_sdn")
    if (data / "ofac_non_sdn").is_dir():
        entities += load_ofac_entities(data / "ofac_non_sdn", prefix="cons_")
    ofac = evaluate_calibrated(entities, sample=sample, seed=seed)
    ours5, theirs5 = ofac["ours"]["0.05"], ofac["baseline"]["0.05"]
    result: dict[str, Any] = {
        "ofac": ofac,
        "floors": {
            "shares_a_word_recall": ours5["shares_a_word"],
            "shares_a_word_ratio": _ratio(ours5["shares_a_word"], theirs5["shares_a_word"]),
            "partial_recall": ours5["by_category"]["partial"],
            "partial_ratio": _ratio(ours5["by_category"]["partial"], theirs5["by_category"]["partial"]),
            "wrong_entity": ours5["wrong_entity_rate"],
        },
    }
    threshold, baseline_threshold = ours5["threshold"], theirs5["threshold"]
    bench = data / "nomenklatura_name_bench"
    if (bench / "cases.csv").exists():
        result["name_bench"] = name_bench(bench, threshold, baseline_threshold)
    oar = data / "open_apparel_registry"
    if (oar / "dedupe_training_pairs.json").exists():
        result["oar_pairs"] = oar_pairs(oar / "dedupe_training_pairs.json", threshold, baseline_threshold)
    if (oar / "facility_lists").is_dir():
        result["facility_lists"] = facility_lists(oar / "facility_lists", threshold)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the real third-party data")
    parser.add_argument("--sample", type=int, default=None, help="number of OFAC queries (default: all)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    data: Path = args.data.resolve()
    if not (data / "ofac_sdn" / "sdn.csv").exists():
        print(f"match_quality: no evaluation data at {data} (expected ofac_sdn/sdn.csv); skipped.")
        return 0
    result = run(data, sample=args.sample, seed=args.seed)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
