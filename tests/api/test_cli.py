"""The `tiersight` executable's service commands, and the API served by a real `tiersight serve` process."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import AS_OF

TIERSIGHT = Path(sys.executable).parent / "tiersight"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TIERSIGHT), *args],
        cwd=cwd,
        env=env or clean_env(cwd),
        capture_output=True,
        text=True,
        timeout=120,
    )


def clean_env(cwd: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERSIGHT_")}
    env["TIERSIGHT_DATABASE_URL"] = f"sqlite:///{cwd / 'service.db'}"
    env["TIERSIGHT_INDEX_DIR"] = str(cwd / "index")
    return env | extra


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_apikey_create_prints_a_key_and_keeps_the_tenants_webhook_secret(tmp_path: Path) -> None:
    first = run("apikey", "create", "--tenant", "acme", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    created = json.loads(first.stdout)
    assert set(created) == {"tenant", "api_key", "webhook_secret"} and created["tenant"] == "acme"
    assert created["api_key"].startswith("ts_") and created["webhook_secret"].startswith("whsec_")

    second = run(
        "apikey", "create", "--tenant", "acme", "--db", f"sqlite:///{tmp_path / 'service.db'}", cwd=tmp_path
    )
    assert second.returncode == 0, second.stderr
    key = second.stdout.strip()
    assert key.startswith("ts_") and key != created["api_key"] and "\n" not in key  # the key alone on stdout
    assert created["webhook_secret"] in second.stderr  # the same secret: a tenant has one

    empty = run("apikey", "create", "--tenant", "  ", cwd=tmp_path)
    assert empty.returncode == 2 and empty.stderr.startswith("tiersight: A tenant name has 1 to 128")


def test_worker_without_a_broker_says_how_to_configure_one(tmp_path: Path) -> None:
    result = run("worker", cwd=tmp_path)
    assert result.returncode == 2
    assert "TIERSIGHT_BROKER_URL" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_screening_commands_are_still_there(files: dict[str, Path], tmp_path: Path) -> None:
    checked = run("rules", "check", str(files["rules"]), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    bad = run("screen", str(tmp_path / "missing.csv"), cwd=tmp_path)
    assert bad.returncode == 2 and "does not exist" in bad.stderr


@pytest.fixture
def served(files: dict[str, Path], tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A `tiersight serve` process over a loaded network, and an API key of its tenant."""
    env = clean_env(tmp_path, TIERSIGHT_RULES_DIR=str(files["rules"]))
    loaded = run(
        "network",
        "load",
        str(files["shipments"]),
        "--companies",
        str(files["companies"]),
        cwd=tmp_path,
        env=env,
    )
    assert loaded.returncode == 0, loaded.stderr
    key = json.loads(run("apikey", "create", "--tenant", "acme", "--json", cwd=tmp_path, env=env).stdout)[
        "api_key"
    ]
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [str(TIERSIGHT), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "tiersight serve did not become ready"
            time.sleep(0.1)
        yield base, {"Authorization": f"Bearer {key}"}
    finally:
        process.terminate()
        code = process.wait(timeout=30)
        log.close()
    # A clean shutdown on SIGTERM (uvicorn exits by the signal it received once it has shut down).
    assert code in (0, -signal.SIGTERM), (tmp_path / "serve.log").read_text()
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()


def test_a_served_api_screens_a_list_end_to_end(
    served: tuple[str, dict[str, str]], files: dict[str, Path]
) -> None:
    base, headers = served
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        started = time.perf_counter()
        response = client.post(
            "/v1/screenings",
            files={"file": ("suppliers.csv", files["suppliers"].read_bytes(), "text/csv")},
            data={"as_of": AS_OF.isoformat()},
        )
        submit_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 202, response.text
        screening_id = response.json()["id"]
        while (status := client.get(f"/v1/screenings/{screening_id}").json())["status"] not in (
            "done",
            "failed",
        ):
            assert time.perf_counter() - started < 60
            time.sleep(0.05)
        done_ms = (time.perf_counter() - started) * 1000
        assert status["status"] == "done" and status["progress"] == {"lines_done": 2, "lines_total": 2}

        report = client.get(f"/v1/screenings/{screening_id}/report").json()
        assert report["summary"]["flagged_lines"] == 1
        assert {f["rule_id"] for f in report["lines"][0]["flags"]} == {"cn-lithium", "steel-232"}
        as_csv = client.get(f"/v1/screenings/{screening_id}/report", params={"format": "csv"})
        rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
        assert {r["rule_id"] for r in rows if r["line"] == "2"} == {"cn-lithium", "steel-232"}
        assert client.get("/v1/screenings/unknown").status_code == 404
        assert httpx.get(f"{base}/v1/screenings").status_code == 401
        assert 'tiersight_screenings{status="done"} 1.0' in httpx.get(f"{base}/metrics").text
    print(f"\nserve: submit answered in {submit_ms:.0f} ms, screening done {done_ms:.0f} ms after submitting")
