"""`tiersight decide`, `tiersight decisions list` and `screen --tenant`.

Most checks call the typer app in this process (a real process costs a second of start-up per call);
the exit-code check runs the command as a real process, as test_cli.py does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from screening.cli import app
from tests.screening.test_cli import run
from tests.screening.test_services import AS_OF, files  # noqa: F401  (fixture)


class Cli:
    """The command line against one SQLite file, in this process."""

    def __init__(self, url: str) -> None:
        self.runner = CliRunner()
        self.env = {"TIERSIGHT_DATABASE_URL": url}

    def __call__(self, *args: str, code: int = 0) -> Any:
        result = self.runner.invoke(app, list(args), env=self.env, catch_exceptions=False)
        assert result.exit_code == code, result.stderr
        return json.loads(result.stdout) if "--json" in args or args[0] == "screen" else result


@pytest.fixture
def cli(files: dict[str, Path], tmp_path: Path) -> Cli:  # noqa: F811
    tiersight = Cli(f"sqlite:///{tmp_path / 'cli.db'}")
    tiersight("network", "load", str(files["shipments"]), "--companies", str(files["companies"]), "--json")
    return tiersight


def screen_line_2(cli: Cli, files: dict[str, Path], *tenant: str) -> dict[str, Any]:  # noqa: F811
    report = cli(
        "screen",
        str(files["suppliers"]),
        "--rules",
        str(files["rules"]),
        "--as-of",
        AS_OF.isoformat(),
        "-q",
        *tenant,
    )
    line: dict[str, Any] = report["lines"][0]
    assert line["line"] == 2 and line["input"]["supplier_name"] == "Hanoi Pack Assembly"
    return line


def test_a_decision_changes_later_screenings_of_its_tenant_only(
    cli: Cli,
    files: dict[str, Path],  # noqa: F811
) -> None:
    recorded = cli(
        "decide",
        "HANOI PACK ASSEMBLY",
        "--country",
        "Vietnam",
        "--new-company",
        "--tenant",
        "buyer-a",
        "--by",
        "alice",
        "--note",
        "a namesake in Hai Phong",
        "--json",
    )
    assert (recorded["tenant"], recorded["action"], recorded["company_id"], recorded["country"]) == (
        "buyer-a",
        "new_company",
        None,
        "VN",
    )
    mine = screen_line_2(cli, files, "--tenant", "buyer-a")
    assert mine["match"]["status"] == "unmatched"
    assert mine["match"]["decision"].endswith("(a namesake in Hai Phong)")
    assert mine["upstream"] == [] and mine["flags"] == []
    default = screen_line_2(cli, files)
    assert (default["match"]["status"], default["match"]["decision"]) == ("matched", None)
    assert default["upstream"] != []


def test_confirm_from_the_command_line_is_traced(cli: Cli, files: dict[str, Path]) -> None:  # noqa: F811
    cli("decide", "Hanoi Pack Assembly", "--country", "VN", "--reject", "C-PACK")
    assert screen_line_2(cli, files)["match"]["status"] != "matched"
    cli("decide", "Hanoi Pack Assembly", "--country", "VN", "--confirm", "C-PACK", "--by", "bob")
    line = screen_line_2(cli, files)
    assert (line["match"]["status"], line["match"]["company_id"]) == ("matched", "C-PACK")
    assert line["match"]["decision"].startswith("confirmed by bob on ")
    assert {u["tier"] for u in line["upstream"]} == {1, 2, 3}


def test_decisions_list_json_shape(cli: Cli) -> None:
    for company in ("C-VOLTA", "C-PACK"):
        cli("decide", "Hanoi Pack", "--country", "VN", "--confirm", company)
    data = cli("decisions", "list", "--json")
    assert data["tenant"] == "default"
    (only,) = data["decisions"]
    assert set(only) == {
        "id",
        "tenant",
        "supplier_name",
        "country",
        "key",
        "action",
        "company_id",
        "decided_by",
        "note",
        "decided_at",
        "superseded",
    }
    assert (only["action"], only["company_id"], only["decided_by"], only["superseded"]) == (
        "confirm",
        "C-PACK",
        "cli",
        False,
    )
    history = cli("decisions", "list", "--all", "--json")["decisions"]
    assert [(d["company_id"], d["superseded"]) for d in history] == [("C-VOLTA", True), ("C-PACK", False)]
    assert cli("decisions", "list", "--tenant", "x", "--json") == {"tenant": "x", "decisions": []}
    assert "confirm C-PACK for 'Hanoi Pack' (VN)" in cli("decisions", "list").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--reject", "C-NOPE"), "'C-NOPE' is not in the network"),
        ((), "exactly one of"),
        (("--confirm", "C-PACK", "--new-company"), "exactly one of"),
        (("--new-company", "--country", "Narnia"), "unknown country"),
    ],
)
def test_bad_decisions_exit_2_with_one_line(cli: Cli, args: tuple[str, ...], message: str) -> None:
    done = cli("decide", "Hanoi Pack", "--country", "VN", *args, code=2)
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
    assert cli("decisions", "list", "--all", "--json")["decisions"] == []


def test_an_unknown_company_id_exits_2_with_one_line(files: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    assert run("network", "load", "--companies", str(files["companies"]), cwd=tmp_path).returncode == 0
    done = run("decide", "Hanoi Pack", "--country", "VN", "--confirm", "C-NOPE", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["tiersight: Company 'C-NOPE' is not in the network."]
