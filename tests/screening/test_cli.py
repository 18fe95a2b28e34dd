"""The `tiersight` command as a real process: exit codes, one-line errors, JSON on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.screening.test_services import AS_OF, files  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
TIERSIGHT = [sys.executable, "-m", "screening.cli"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERSIGHT_")}
    env["TIERSIGHT_DATABASE_URL"] = f"sqlite:///{cwd / 'cli.db'}"
    return subprocess.run([*TIERSIGHT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_network_load_screen_and_match(files: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    first = run(
        "network",
        "load",
        str(files["shipments"]),
        "--companies",
        str(files["companies"]),
        "--json",
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    loaded = json.loads(first.stdout)
    assert (loaded["companies"], loaded["shipments"]) == (6, 7)
    again = json.loads(
        run(
            "network",
            "load",
            str(files["shipments"]),
            "--companies",
            str(files["companies"]),
            "--json",
            cwd=tmp_path,
        ).stdout
    )
    assert (again["shipments"], again["network_version"]) == (7, loaded["network_version"])

    screened = run(
        "screen",
        str(files["suppliers"]),
        "--rules",
        str(files["rules"]),
        "--as-of",
        AS_OF.isoformat(),
        cwd=tmp_path,
    )
    assert screened.returncode == 0, screened.stderr
    report = json.loads(screened.stdout)
    assert report["summary"]["flagged_lines"] == 1
    assert {e["column"] for e in report["errors"]} == {"supplier_name", "hs_code"}

    html = tmp_path / "r.html"
    assert (
        run(
            "screen",
            str(files["suppliers"]),
            "--rules",
            str(files["rules"]),
            "--format",
            "html",
            "--out",
            str(html),
            cwd=tmp_path,
        ).returncode
        == 0
    )
    assert html.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")

    matched = run("match", "Volta Cells Shenzhen", "--country", "China", "--json", cwd=tmp_path)
    assert matched.returncode == 0, matched.stderr
    candidates = json.loads(matched.stdout)["candidates"]
    assert candidates[0]["company_id"] == "C-VOLTA"
    assert set(candidates[0]) >= {"company_id", "name", "country", "score", "explanation"}
    assert 0.0 <= candidates[0]["score"] <= 1.0


def test_a_second_command_reads_the_matching_index_from_disk(
    files: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """The first command that needs the index builds it and keeps it in the index folder; the next
    process reads that file (touching it as recently used) instead of building and writing another."""
    cache = tmp_path / ".tiersight-cache"  # the default folder, relative to the working directory
    loaded = run("network", "load", "--companies", str(files["companies"]), cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    first = run("match", "Volta Cells Shenzhen", "--country", "CN", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    [written] = list(cache.glob("index-*.bin"))
    os.utime(written, (1_000_000_000, 1_000_000_000))  # an old mtime: a read must refresh it
    inode = written.stat().st_ino  # a rebuild would write a new file in its place (a new inode)
    second = run("match", "Volta Cells Shenzhen", "--country", "CN", "--json", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert list(cache.glob("index-*.bin")) == [written]
    assert written.stat().st_ino == inode
    assert written.stat().st_mtime > 1_000_000_000
    assert json.loads(second.stdout) == json.loads(first.stdout)


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"", "empty.csv"), (b"\x00\x01\x02\xff\xfe\x00garbage" * 50, "garbage.csv"), (b"[{", "broken.json")],
)
def test_unreadable_supplier_file_is_refused_in_one_line(content: bytes, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run("screen", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_file_is_refused_with_exit_code_2(tmp_path: Path) -> None:
    result = run("screen", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_bad_rule_folder_is_refused_naming_file_and_rule(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "bad.yaml").write_text(
        "rules:\n  - id: r1\n    title: t\n    kind: tariff\n    colour: red\n", encoding="utf-8"
    )
    result = run("rules", "check", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "bad.yaml" in line and "r1" in line


def test_shipped_rules_pass_the_check(tmp_path: Path) -> None:
    result = run("rules", "check", str(ROOT / "rules"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rules"] > 10


def test_bad_option_values_exit_2(tmp_path: Path, files: dict[str, Path]) -> None:  # noqa: F811
    assert run("screen", str(files["suppliers"]), "--as-of", "yesterday", cwd=tmp_path).returncode == 2
    assert run("screen", str(files["suppliers"]), "--format", "pdf", cwd=tmp_path).returncode == 2
    assert run("network", "load", cwd=tmp_path).returncode == 2
