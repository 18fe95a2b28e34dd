"""`rules diff`: the flags a rule change would raise and clear on a past screening, changing nothing.

The network, supplier list and old rules are test_services.py's; the new rule folder below differs
from them in three ways, so the expected changes follow from the rules, not from the code:
- `cn-lithium` is removed (Qinghai's lithium hydroxide at tier 3 of the Hanoi Pack line: cleared);
- `steel-232` now starts 2026-07-01, the day after the screening (the Ningbo screws at tier 2: cleared);
- `vn-batteries` is new: Vietnamese-origin batteries, 850760 (the Hanoi Pack line itself, tier 1:
  raised, with the line's annual value).
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine

from screening import ingest, services
from screening.errors import InputError
from screening.report import render_json
from screening.rules import load_rules
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from tests.screening.test_cli import run
from tests.screening.test_services import AS_OF, files, load  # noqa: F401  (fixture)

NEW_RULES = """\
    rules:
      - id: steel-232
        title: Steel derivatives
        kind: tariff
        authority: Test authority
        document: Test document 2
        source: https://example.org/2
        effective_from: 2026-07-01
        effective_to: null
        severity: medium
        when: {hs: ["7318"]}
        tariff: {rate_pct: 50, importing_country: US}
        note: test rule
      - id: vn-batteries
        title: Vietnamese batteries
        kind: export_control
        authority: Test authority
        document: Test document 4
        source: https://example.org/4
        effective_from: 2026-01-01
        effective_to: null
        severity: low
        when: {origin: [VN], hs: ["850760"]}
        note: test rule
    """


@pytest.fixture
def folders(files: dict[str, Path], tmp_path: Path) -> tuple[Path, Path]:  # noqa: F811
    new = tmp_path / "new-rules"
    shutil.copytree(files["rules"], new)
    (new / "test.yaml").write_text(textwrap.dedent(NEW_RULES), encoding="utf-8")
    return files["rules"], new


def past_screening(engine: Engine, files: dict[str, Path]) -> dict[str, object]:  # noqa: F811
    load(engine, shipments=files["shipments"], companies=files["companies"])
    submission = ingest.read_suppliers_file(files["suppliers"])
    with session_scope(engine) as session:
        report = services.screen(
            SqlNetworkStore(session), submission, load_rules(files["rules"]), as_of=AS_OF
        )
    parsed: dict[str, object] = json.loads(render_json(report))
    return parsed


def diff(engine: Engine, past: object, old: Path, new: Path) -> services.RulesDiff:
    with session_scope(engine) as session:
        return services.rules_diff(SqlNetworkStore(session), past, load_rules(old), load_rules(new))


def test_rule_changes_raise_and_clear_exactly_the_flags_they_touch(
    engine: Engine,
    files: dict[str, Path],  # noqa: F811
    folders: tuple[Path, Path],
) -> None:
    past = past_screening(engine, files)
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        version, shipments = store.network_version(), store.shipment_count()

    result = diff(engine, past, *folders)

    changes = {(c.line, c.change, c.flag.rule_id): c.flag for c in result.changes}
    assert set(changes) == {
        (2, "cleared", "cn-lithium"),
        (2, "cleared", "steel-232"),
        (2, "raised", "vn-batteries"),
    }
    lithium, raised = changes[(2, "cleared", "cn-lithium")], changes[(2, "raised", "vn-batteries")]
    assert (lithium.tier, lithium.value_usd, lithium.hits) == (3, 200.0, 2)  # S3 + S7, as screened
    assert (raised.tier, raised.value_usd, raised.severity) == (1, 2_000_000.0, "low")
    assert (result.as_of, result.max_tier, result.lines) == (AS_OF, 4, 2)
    assert result.drift == ()  # same network: the old rules give the report's own flags
    assert result.old_version != result.new_version
    assert result.report_network_version == result.network_version == version
    with session_scope(engine) as session:  # a dry run: the network is as it was
        store = SqlNetworkStore(session)
        assert (store.network_version(), store.shipment_count()) == (version, shipments)


def test_the_same_rules_change_nothing(
    engine: Engine,
    files: dict[str, Path],  # noqa: F811
    folders: tuple[Path, Path],
) -> None:
    past = past_screening(engine, files)
    old, _ = folders
    assert diff(engine, past, old, old).changes == ()


def test_lines_whose_report_differs_from_the_old_rules_today_are_named(
    engine: Engine,
    files: dict[str, Path],  # noqa: F811
    folders: tuple[Path, Path],
) -> None:
    past = past_screening(engine, files)
    lines = past["lines"]
    assert isinstance(lines, list)
    pack = next(line for line in lines if line["line"] == 2)
    pack["flags"] = [f for f in pack["flags"] if f["rule_id"] != "cn-lithium"]  # as if screened earlier
    assert diff(engine, past, *folders).drift == (2,)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: r.pop("as_of"), "report.as_of is missing"),
        (lambda r: r.update(as_of="30/06/2026"), "report.as_of '30/06/2026' is not a date"),
        (lambda r: r["lines"][0]["match"].pop("status"), "lines[0].match.status is missing"),
        (lambda r: r["lines"][1].update(line=0), "lines[1].line 0 is not a line number"),
        (lambda r: r["lines"][0]["input"].pop("supplier_name"), "lines[0].input cannot be screened again"),
        (lambda r: r["lines"][0]["flags"].append({}), "lines[0].flags[2].rule_id is missing"),
    ],
)
def test_a_damaged_report_is_refused_naming_the_field(
    engine: Engine,
    files: dict[str, Path],  # noqa: F811
    folders: tuple[Path, Path],
    damage: object,
    message: str,
) -> None:
    past = past_screening(engine, files)
    assert callable(damage)
    damage(past)
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        diff(engine, past, *folders)


def test_rules_diff_command(files: dict[str, Path], folders: tuple[Path, Path], tmp_path: Path) -> None:  # noqa: F811
    old, new = folders
    assert (
        run(
            "network", "load", str(files["shipments"]), "--companies", str(files["companies"]), cwd=tmp_path
        ).returncode
        == 0
    )
    screened = run(
        "screen", str(files["suppliers"]), "--rules", str(old), "--as-of", AS_OF.isoformat(), cwd=tmp_path
    )
    assert screened.returncode == 0, screened.stderr
    report = tmp_path / "report.json"
    report.write_text(screened.stdout, encoding="utf-8")

    done = run("rules", "diff", str(old), str(new), "--screening", str(report), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["raised"], data["cleared"], data["drift"]) == (1, 2, [])
    assert {(c["line"], c["change"], c["rule_id"]) for c in data["changes"]} == {
        (2, "cleared", "cn-lithium"),
        (2, "cleared", "steel-232"),
        (2, "raised", "vn-batteries"),
    }
    text = run("rules", "diff", str(old), str(new), "--screening", str(report), cwd=tmp_path)
    assert text.returncode == 0 and "1 raised, 2 cleared; nothing was changed." in text.stdout

    report.write_text("{not json", encoding="utf-8")
    bad = run("rules", "diff", str(old), str(new), "--screening", str(report), cwd=tmp_path)
    assert (
        bad.returncode == 2
        and bad.stderr.startswith("tiersight: ")
        and "not a JSON screening report" in bad.stderr
    )
    assert len(bad.stderr.strip().splitlines()) == 1
