"""The web UI's analyze and what-if pages without a browser: what they compute is the services' answer,
a bad field comes back as the form with its message (422), downloads are the analysis's renderings,
and nothing is shown without a session (SQLite and PostgreSQL).

tests/screening/test_services.py's network: S1 Hanoi Pack (VN) ships 1,000 of packs 850760 to Acme (US);
S2 Volta (CN) ships 400 of cells 850790 and S5 Ningbo Fastener (CN) 30 of fasteners 7318 to Hanoi Pack."""

from __future__ import annotations

import json
import re

import pytest

from screening import analysis_report, scenario_report, services
from screening.rules import load_rules
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from tests.api.conftest import AS_OF, Service, TestClient, ui_login

ANALYZE = f"/ui/analyze?product=850760&destination=US&tiers=2&as_of={AS_OF}"
SCENARIO = f"/ui/scenario?origin=CN&hs=850790&destination=US&max_tier=3&as_of={AS_OF}"


def log_in(service: Service) -> TestClient:
    ui_login(service, "/ui/analyze")
    return service.client


def test_pages_and_downloads_need_a_session(service: Service) -> None:
    for path in (
        ANALYZE,
        SCENARIO,
        "/ui/analyze/analysis.csv?product=850760",
        "/ui/scenario/scenario.json?origin=CN",
    ):
        answer = service.client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login?next=")


def test_the_analyze_page_shows_the_services_analysis(service: Service) -> None:
    client = log_in(service)
    empty = client.get("/ui/analyze")
    assert empty.status_code == 200 and 'id="product"' in empty.text and 'id="flow"' not in empty.text
    assert "/ui/analyze?destination=US&amp;tiers=2&amp;product=850760" in empty.text  # the quick links
    page = client.get(ANALYZE)
    assert page.status_code == 200
    html = page.text
    assert 'aria-labelledby="sankey-title sankey-desc"' in html
    assert "Hanoi Pack Assembly JSC" in html and "1,000.00" in html and "400.00" in html and "30.00" in html
    assert 'value="850760"' in html and '<option value="2" selected>' in html  # the form keeps the query
    with session_scope(service.engine) as session:
        expected = services.analyze(
            SqlNetworkStore(session),
            load_rules(service.files["rules"]),
            product="850760",
            destination="US",
            tiers=2,
            as_of=AS_OF,
        )
    version = load_rules(service.files["rules"]).version
    assert (
        analysis_report.render_fragment(expected, rules_version=version) in html
    )  # as `--format html` draws
    download = f"/ui/analyze/analysis.json?product=850760&amp;destination=US&amp;tiers=2&amp;as_of={AS_OF}"
    assert f'href="{download}"' in html


def test_both_pages_take_the_chart_styles_of_the_html_reports(service: Service) -> None:
    """One source for the charts' styles: what the self-contained report inlines, the pages link."""
    client = log_in(service)
    styles = client.get("/ui/charts.css")
    assert styles.status_code == 200 and styles.headers["content-type"].startswith("text/css")
    assert "svg.chart path.link" in styles.text
    report = client.get(f"/ui/analyze/analysis.html?product=850760&destination=US&tiers=2&as_of={AS_OF}")
    assert report.status_code == 200 and styles.text in report.text
    for page in (ANALYZE, SCENARIO):
        assert '<link rel="stylesheet" href="/ui/charts.css">' in client.get(page).text
    scenario = client.get("/ui/scenario.css")
    assert scenario.status_code == 200 and "details.hop" in scenario.text
    assert '<link rel="stylesheet" href="/ui/scenario.css">' in client.get(SCENARIO).text
    exported = client.get(f"/ui/scenario/scenario.html?origin=CN&hs=850790&destination=US&as_of={AS_OF}")
    assert exported.status_code == 200 and scenario.text in exported.text


def test_the_analysis_downloads_in_three_formats(service: Service) -> None:
    client = log_in(service)
    query = f"product=850760&destination=US&tiers=2&as_of={AS_OF}"
    as_json = client.get(f"/ui/analyze/analysis.json?{query}")
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    assert as_json.headers["content-disposition"] == (
        f'attachment; filename="analysis-850760-US-2-tiers-{AS_OF}.json"'
    )
    body = json.loads(as_json.text)
    assert body["product"] == "850760" and body["by_region"]
    as_csv = client.get(f"/ui/analyze/analysis.csv?{query}")
    assert as_csv.headers["content-type"].startswith("text/csv") and as_csv.text.startswith("section,tier")
    as_html = client.get(f"/ui/analyze/analysis.html?{query}")
    assert (
        as_html.text.startswith("<!DOCTYPE html>") and "attachment" in as_html.headers["content-disposition"]
    )
    refused = client.get("/ui/analyze/analysis.csv?product=85x")
    assert (
        refused.status_code == 422
        and "85x" in refused.text
        and "text/html" in refused.headers["content-type"]
    )
    assert client.get(f"/ui/analyze/analysis.xlsx?{query}").status_code == 422


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("product=85x", "product", "must contain only digits"),
        ("product=", "product", "Give an HS code"),
        ("product=850760&destination=Narnia", "destination", "is not a country"),
        ("product=850760&origin=ZZ", "origin", "is not a country"),
        ("product=850760&tiers=12", "tiers", "from 1 to 9"),
        ("product=850760&as_of=yesterday", "as_of", "is not a date"),
        ("product=850760&as_of=2025-01-01&since=2025-06-01", "since", "cannot start after"),
    ],
)
def test_a_bad_analyze_field_comes_back_with_its_message(
    service: Service, query: str, field: str, message: str
) -> None:
    client = log_in(service)
    page = client.get(f"/ui/analyze?{query}")
    assert page.status_code == 422
    assert f'id="{field}-error"' in page.text and message in page.text
    control = re.search(rf'<(?:input|select)[^>]* id="{field}"[^>]*>', page.text)
    assert control is not None
    assert 'aria-invalid="true"' in control.group(0) and f"{field}-error" in control.group(0)
    assert 'role="alert"' in page.text and 'id="flow"' not in page.text


def test_the_what_if_page_shows_the_services_scenario(service: Service) -> None:
    client = log_in(service)
    empty = client.get("/ui/scenario")
    assert empty.status_code == 200 and 'value="CN"' in empty.text and "companies-hit" not in empty.text
    page = client.get(SCENARIO)
    assert page.status_code == 200
    rules = load_rules(service.files["rules"])
    with session_scope(service.engine) as session:
        expected = services.scenario(
            SqlNetworkStore(session),
            rules,
            origin="CN",
            hs=["850790"],
            destination="US",
            max_tier=3,
            as_of=AS_OF,
        )
    assert expected.exposures and expected.exposures[0].company_id == "C-ACME"
    assert scenario_report.render_fragment(expected, rules_version=rules.version) in page.text
    assert 'id="companies-hit"' in page.text and "C-ACME" in page.text and "400.00" in page.text
    assert page.text.count('<details class="hop" open>') == 2  # Hanoi Pack's packs, then Volta's cells
    as_json = client.get(SCENARIO.replace("/ui/scenario?", "/ui/scenario/scenario.json?"))
    assert json.loads(as_json.text) == scenario_report.scenario_to_dict(expected, rules_version=rules.version)
    as_html = client.get(f"/ui/scenario/scenario.html?origin=CN&hs=850790&as_of={AS_OF}")
    assert as_html.status_code == 200 and as_html.text.startswith("<!DOCTYPE html>")


def test_a_bad_what_if_field_comes_back_with_its_message(service: Service) -> None:
    client = log_in(service)
    page = client.get("/ui/scenario?origin=CN&hs=850511,abc&max_tier=0")
    assert page.status_code == 422
    assert 'id="hs-error"' in page.text and "HS code &#39;abc&#39; must" in page.text
    assert 'id="max_tier-error"' in page.text
    missing = client.get("/ui/scenario?origin=")
    assert missing.status_code == 422 and 'id="origin-error"' in missing.text
    unknown = client.get("/ui/scenario?origin=CN&company=Nobody+Such+Widgets+Plc")
    assert unknown.status_code == 422 and 'id="company-error"' in unknown.text
    assert "matches no company name" in unknown.text
    assert 'aria-describedby="company-hint company-error"' in unknown.text
