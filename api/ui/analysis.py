"""The analyze and what-if pages (`/ui/analyze`, `/ui/scenario`): `tiersight analyze` and
`tiersight scenario` (CONTRACT section 5) in the browser, over the network every tenant shares (the
bill-of-lading data), so a session is needed but the results are network-wide.

Both are GET forms, so a result is a link an analyst can keep or send. The form's text is checked field
by field with the same normalisation the services apply (a bad HS code, an unknown country, a date that
is no date): the page comes back with the form as typed and each message next to its field, status 422.
A refusal the service itself raises (a company name that matches several companies) lands next to the
field its option names. The results are the renderings `tiersight analyze --format html` and the
scenario's page are made of (`analysis_report.render_fragment`, `scenario_report.render_fragment`),
and the same parameters download the analysis as CSV, HTML or JSON and the scenario as HTML or JSON.

The routes are plain `def`: an analysis of a big network takes seconds and runs on the thread pool."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.deps import RuntimeDep
from api.runtime import Runtime
from api.ui.pages import render
from api.ui.session import UiSession, UiSessionDep
from screening import analysis_report, scenario_report, services
from screening.analyze import Analysis
from screening.codes import normalize_country, normalize_hs_prefix
from screening.errors import InputError
from screening.scenario import Scenario

router = APIRouter(prefix="/ui")

# The seed's two products, offered as quick links on both pages.
QUICK_PRODUCTS: tuple[tuple[str, str], ...] = (
    ("850760", "Lithium-ion batteries"),
    ("850511", "Permanent magnets"),
)
TIERS = tuple(range(1, 10))  # the services take 1 to 9
MAX_COMPANIES = 10  # company filters on the what-if page
CSS_CACHE = "public, max-age=3600"  # the reports' styles change only with a new release

Text = Annotated[str | None, Query(max_length=200)]

# The services name the CLI's options in their refusals; the field each option is on the pages.
OPTION_FIELDS: dict[str, str] = {
    "--product": "product",
    "--destination": "destination",
    "--origin": "origin",
    "--tiers": "tiers",
    "--as-of": "as_of",
    "--since": "since",
    "--hs": "hs",
    "--company": "company",
    "--max-tier": "max_tier",
    "--top": "top",
}


@dataclass
class Form:
    """The form as typed (what the page shows back) and the message of each field that is wrong."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def hs(self, name: str, *, required: bool) -> str | None:
        value = self.text(name)
        if not value:
            if required:
                self.errors[name] = "Give an HS code or prefix, 2 to 10 digits (e.g. 850760)."
            return None
        try:
            return normalize_hs_prefix(value)
        except ValueError as exc:
            self.errors[name] = f"{_sentence(str(exc))} Give 2 to 10 digits, e.g. 850760."
            return None

    def hs_list(self, name: str) -> list[str]:
        codes: list[str] = []
        for part in self.text(name).replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                codes.append(normalize_hs_prefix(part))
            except ValueError as exc:
                hint = "Give codes of 2 to 10 digits, separated by commas."
                self.errors[name] = f"{_sentence(str(exc))} {hint}"
                return []
        return list(dict.fromkeys(codes))

    def country(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name)
        if not value:
            if required:
                self.errors[name] = "Give a country: a two-letter code such as CN, or its name."
            return None
        try:
            return normalize_country(value)
        except ValueError:
            hint = "give a two-letter code such as US, or its name"
            self.errors[name] = f"{value!r} is not a country we know: {hint}."
            return None

    def date(self, name: str) -> dt.date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.errors[name] = f"{value!r} is not a date: give it as YYYY-MM-DD."
            return None

    def number(self, name: str, low: int, high: int, default: int) -> int:
        value = self.text(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            self.errors[name] = f"Give a whole number from {low} to {high}."
            return default
        return number

    def window(self) -> tuple[dt.date | None, dt.date | None]:
        as_of, since = self.date("as_of"), self.date("since")
        if since is not None and since > (as_of or dt.date.today()):
            self.errors["since"] = "The window cannot start after its end (as of)."
        return as_of, since

    def refused(self, exc: InputError) -> None:
        """A service's refusal, next to the field its option names (or over the form)."""
        text = str(exc)
        for option, name in OPTION_FIELDS.items():
            if text.startswith(option + " "):
                self.errors[name] = _sentence(text[len(option) + 1 :])
                return
        self.errors["form"] = _sentence(text)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _typed(**values: str | None) -> dict[str, str]:
    """The form's fields as typed (a missing one is empty)."""
    return {name: value or "" for name, value in values.items()}


def _query(params: Mapping[str, str | int | dt.date | list[str] | None]) -> str:
    """The query string of a page or a download with these parameters (empty ones left out)."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if isinstance(value, list):
            pairs.extend((name, item) for item in value)
        elif value is not None and value != "":
            pairs.append((name, value.isoformat() if isinstance(value, dt.date) else str(value)))
    return urlencode(pairs)


def _attachment(body: bytes, fmt: str, filename: str) -> Response:
    media = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8", "json": "application/json"}
    return Response(
        body,
        media_type=media[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )


def _first_error(form: Form) -> InputError:
    name, message = next(iter(form.errors.items()))
    return InputError(f"{name.replace('_', ' ')}: {message}")


# --- analyze --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnalyzeParams:
    product: str
    destination: str | None
    origin: str | None
    tiers: int
    as_of: dt.date | None
    since: dt.date | None

    def query(self) -> str:
        return _query(asdict(self))  # the fields are named as the page's parameters


def analyze_params(form: Form) -> AnalyzeParams | None:
    product = form.hs("product", required=True)
    destination = form.country("destination")
    origin = form.country("origin")
    tiers = form.number("tiers", 1, max(TIERS), 2)
    as_of, since = form.window()
    if form.errors or product is None:
        return None
    return AnalyzeParams(product, destination, origin, tiers, as_of, since)


def run_analysis(runtime: Runtime, params: AnalyzeParams) -> Analysis:
    with runtime.scope() as stores:  # the parameters are named as the service's
        return services.analyze(stores.network, runtime.rules, **asdict(params))


def _quick_links(form: Form, page: str, field_name: str, defaults: Mapping[str, str]) -> list[dict[str, str]]:
    """Links that run the page for one of the seed's products, the rest of the form kept as typed."""
    kept = {name: value for name, value in form.values.items() if value.strip() and name not in form.errors}
    base = {**defaults, **kept}
    return [
        {"code": code, "label": label, "href": f"{page}?" + _query({**base, field_name: code})}
        for code, label in QUICK_PRODUCTS
    ]


def _result_page(
    request: Request,
    session: UiSession,
    page: Literal["analyze", "scenario"],
    title: str,
    form: Form,
    quick: list[dict[str, str]],
    result: Analysis | Scenario | None,
    fragment: str | None,
    params: AnalyzeParams | ScenarioParams | None,
) -> HTMLResponse:
    """The form (422 with its fields marked when refused) and, once run, the result's fragment: the
    rendering of `screening.analysis_report` or `scenario_report`, escaped there."""
    return render(
        request,
        "analyze.html.j2" if page == "analyze" else "scenario.html.j2",
        title=title,
        session=session,
        active=page,
        status_code=422 if form.errors else 200,
        values=form.values,
        errors=form.errors,
        tier_choices=TIERS,
        quick=quick,
        result=result,
        fragment=Markup(fragment) if fragment is not None else None,
        query=params.query() if params is not None else "",
    )


def analyze_query(
    product: Text = None,
    destination: Text = None,
    origin: Text = None,
    tiers: Text = None,
    as_of: Text = None,
    since: Text = None,
) -> dict[str, str | None]:
    """The analyze page's query parameters as sent (None: not sent); its download takes the same."""
    return {
        "product": product,
        "destination": destination,
        "origin": origin,
        "tiers": tiers,
        "as_of": as_of,
        "since": since,
    }


AnalyzeQueryDep = Annotated[dict[str, str | None], Depends(analyze_query)]


def scenario_query(
    origin: Text = None,
    hs: Text = None,
    destination: Text = None,
    max_tier: Text = None,
    as_of: Text = None,
    since: Text = None,
    top: Text = None,
    company: Annotated[list[str] | None, Query(max_length=2000)] = None,
) -> tuple[dict[str, str | None], list[str]]:
    """The what-if page's query parameters as sent, and its company filter; its download takes the same."""
    fields = {
        "origin": origin,
        "hs": hs,
        "destination": destination,
        "max_tier": max_tier,
        "as_of": as_of,
        "since": since,
        "top": top,
    }
    return fields, _companies(company)


ScenarioQueryDep = Annotated[tuple[dict[str, str | None], list[str]], Depends(scenario_query)]


@cache
def _report_css(name: Literal["charts", "scenario"]) -> str:
    return analysis_report.html_environment().get_template(f"_{name}.css").render()


def _css(name: Literal["charts", "scenario"]) -> Response:
    return Response(_report_css(name), media_type="text/css", headers={"Cache-Control": CSS_CACHE})


@router.get("/charts.css", include_in_schema=False)
def charts_css() -> Response:
    """The charts' styles of the self-contained HTML reports (`screening/templates/_charts.css`), served
    as they are so the pages that embed the reports' fragments draw them the same way."""
    return _css("charts")


@router.get("/scenario.css", include_in_schema=False)
def scenario_css() -> Response:
    """The scenario report's own styles (`screening/templates/_scenario.css`: evidence paths, the
    alternatives, its tables as cards on a phone), for the what-if page."""
    return _css("scenario")


@router.get("/analyze", response_class=HTMLResponse)
def analyze_page(
    request: Request, session: UiSessionDep, runtime: RuntimeDep, asked: AnalyzeQueryDep
) -> HTMLResponse:
    submitted = asked["product"] is not None
    typed = _typed(**asked)
    form = Form(
        {**typed, "tiers": typed["tiers"] or "2"} if submitted else {"destination": "US", "tiers": "2"}
    )
    result: Analysis | None = None
    params = analyze_params(form) if submitted else None
    if params is not None:
        try:
            result = run_analysis(runtime, params)
        except InputError as exc:
            form.refused(exc)
    title = "Analyze"
    fragment = None
    if result is not None:
        where = f" into {result.destination}" if result.destination else ""
        title = f"Trade in HS {result.product}{where}"
        fragment = analysis_report.render_fragment(result, rules_version=runtime.rules.version)
    quick = _quick_links(form, "/ui/analyze", "product", {"destination": "US", "tiers": "2"})
    return _result_page(request, session, "analyze", title, form, quick, result, fragment, params)


@router.get("/analyze/analysis.{fmt}")
def analyze_download(
    session: UiSessionDep, runtime: RuntimeDep, fmt: Literal["csv", "html", "json"], asked: AnalyzeQueryDep
) -> Response:
    """The analysis of these parameters as a file: CSV (one long table), the self-contained HTML page,
    or the JSON of `tiersight analyze --json`."""
    form = Form(_typed(**asked))
    params = analyze_params(form)
    if params is None:
        raise _first_error(form)
    result = run_analysis(runtime, params)
    body = analysis_report.render(result, fmt, rules_version=runtime.rules.version)
    where = result.destination or "any"
    return _attachment(
        body, fmt, f"analysis-{result.product}-{where}-{result.tiers}-tiers-{result.window.as_of}"
    )


# --- what-if --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScenarioParams:
    origin: str
    hs: list[str]
    destination: str | None
    companies: list[str]
    max_tier: int
    top: int
    as_of: dt.date | None
    since: dt.date | None

    def query(self) -> str:
        return _query(
            {
                "origin": self.origin,
                "hs": ",".join(self.hs),
                "destination": self.destination,
                "company": self.companies,
                "max_tier": self.max_tier,
                "top": self.top,
                "as_of": self.as_of,
                "since": self.since,
            }
        )


def scenario_params(form: Form, companies: list[str]) -> ScenarioParams | None:
    origin = form.country("origin", required=True)
    hs = form.hs_list("hs")
    destination = form.country("destination")
    max_tier = form.number("max_tier", 1, max(TIERS), 4)
    top = form.number("top", 1, 500, 25)
    as_of, since = form.window()
    if len(companies) > MAX_COMPANIES:
        form.errors["company"] = f"Give at most {MAX_COMPANIES} companies."
    if form.errors or origin is None:
        return None
    return ScenarioParams(origin, hs, destination, companies, max_tier, top, as_of, since)


def _companies(values: list[str] | None) -> list[str]:
    """The company filter: one per `company` parameter, several in one field split on new lines."""
    found: list[str] = []
    for value in values or ():
        found.extend(line.strip() for line in value.splitlines() if line.strip())
    return list(dict.fromkeys(found))


def run_scenario(runtime: Runtime, params: ScenarioParams) -> Scenario:
    with runtime.scope() as stores:  # the parameters are named as the service's
        return services.scenario(stores.network, runtime.rules, **asdict(params))


@router.get("/scenario", response_class=HTMLResponse)
def scenario_page(
    request: Request, session: UiSessionDep, runtime: RuntimeDep, asked: ScenarioQueryDep
) -> HTMLResponse:
    fields, companies = asked
    submitted = fields["origin"] is not None
    typed = _typed(**fields)
    defaults = {"origin": "CN", "max_tier": "4", "top": "25"}
    shown = {name: value or defaults.get(name, "") for name, value in typed.items() if name != "origin"}
    form = Form({**typed, **shown, "company": "\n".join(companies)} if submitted else defaults)
    result: Scenario | None = None
    params = scenario_params(form, companies) if submitted else None
    if params is not None:
        try:
            result = run_scenario(runtime, params)
        except InputError as exc:
            form.refused(exc)
    title = "What-if"
    fragment = None
    if result is not None:
        goods = "HS " + ", ".join(result.hs) if result.hs else "all goods"
        title = f"If {result.origin} stopped exporting {goods}"
        fragment = scenario_report.render_fragment(result, rules_version=runtime.rules.version)
    quick = _quick_links(form, "/ui/scenario", "hs", {"origin": "CN", "destination": "US", "max_tier": "4"})
    return _result_page(request, session, "scenario", title, form, quick, result, fragment, params)


@router.get("/scenario/scenario.{fmt}")
def scenario_download(
    session: UiSessionDep, runtime: RuntimeDep, fmt: Literal["html", "json"], asked: ScenarioQueryDep
) -> Response:
    """The scenario of these parameters as a file: the self-contained HTML page or the JSON of
    `tiersight scenario --json`."""
    fields, companies = asked
    form = Form(_typed(**fields))
    params = scenario_params(form, companies)
    if params is None:
        raise _first_error(form)
    result = run_scenario(runtime, params)
    rules_version = runtime.rules.version
    if fmt == "json":
        body = scenario_report.render_json(result, rules_version=rules_version)
    else:
        body = scenario_report.render_html(result, rules_version=rules_version)
    codes, where = "-".join(result.hs) or "all", result.destination or "any"
    return _attachment(body, fmt, f"scenario-{result.origin}-{codes}-{where}-{result.window.as_of}")
