"""The `tiersight` command line (CONTRACT.md section 5).

Exit codes: 0 success, 2 bad input (one line on stderr, never a traceback), 1 internal error.
`--json` prints machine-readable output on stdout; progress goes to stderr and is quiet with `--json`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from screening import analysis_report, ingest, report, scenario_report, services, synth
from screening.decisions import Decision
from screening.errors import InputError, TiersightError
from screening.model import SEVERITY_ORDER, Report, UpstreamCell
from screening.rules import RuleSet, load_rules
from screening.settings import Settings, get_settings
from screening.storage.db import make_engine, migrate, session_scope
from screening.storage.repository import SqlNetworkStore

app = typer.Typer(
    name="tiersight",
    help="Screen supplier lists beyond tier 1 for Chinese rare-earth magnet and lithium-ion battery content.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
network_app = typer.Typer(help="Load or generate the shipment network.", no_args_is_help=True)
rules_app = typer.Typer(help="Check rule folders.", no_args_is_help=True)
decisions_app = typer.Typer(help="Reviewers' match decisions.", no_args_is_help=True)
app.add_typer(network_app, name="network")
app.add_typer(rules_app, name="rules")
app.add_typer(decisions_app, name="decisions")

T = TypeVar("T")

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: TIERSIGHT_DATABASE_URL).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Window end (YYYY-MM-DD), default today.")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="Window start, default as-of minus 5 years.")
]
RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="Rule folder (default: TIERSIGHT_RULES_DIR or rules/).")
]
# Until the service issues API keys, a tenant is a name; the command line works in "default".
DEFAULT_TENANT = "default"
TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant whose decisions are used.")]


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"tiersight: {message}", err=True)
    raise typer.Exit(code)


def _guard(fn: Callable[[], T]) -> T:
    """Run a command body, turning domain errors into one line on stderr and the contract's exit codes."""
    try:
        return fn()
    except InputError as exc:
        _fail(str(exc), 2)
    except TiersightError as exc:
        _fail(str(exc), 1)
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _fail("interrupted", 1)
    except BrokenPipeError:
        # The reader went away (`tiersight ... | head`): stop quietly, as command-line tools do; stdout
        # is pointed at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(141) from None  # 128 + SIGPIPE, what a shell reports for a killed writer
    except Exception as exc:  # the last line of defence: a defect, reported in one line
        _fail(f"internal error: {type(exc).__name__}: {exc}", 1)


def _settings(db: str | None = None, rules: Path | None = None) -> Settings:
    settings = get_settings(database_url=db, rules_dir=rules)
    # the matching index is read from (or written to) this folder, so the next command does not build it
    services.set_index_dir(settings.index_dir)
    return settings


@contextmanager
def _store(settings: Settings) -> Iterator[SqlNetworkStore]:
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            yield SqlNetworkStore(session)
    finally:
        engine.dispose()


def _rules(settings: Settings) -> RuleSet:
    return load_rules(settings.rules_dir)


def _parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date (YYYY-MM-DD).")


def _progress(enabled: bool) -> services.Progress:
    """A progress printer on stderr that updates at most a few times a second."""
    last = [0.0]

    def show(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if not enabled or (now - last[0] < 0.25 and done != total):
            return
        last[0] = now
        text = f"{stage}: {done:,}/{total:,}" if total else f"{stage}: {done:,} rows"
        sys.stderr.write(f"\r{text}   ")
        if total and done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# --------------------------------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------------------------------


@network_app.command("load")
def network_load(
    shipments: Annotated[Path | None, typer.Argument(help="Shipments CSV (bill-of-lading lines).")] = None,
    companies: Annotated[Path | None, typer.Option("--companies", help="Company registry CSV.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load shipments and/or a company registry into the network (idempotent, additive)."""

    def body() -> None:
        settings = _settings(db)
        with _store(settings) as store:
            summary = services.load_network(
                store, shipments=shipments, companies=companies, progress=_progress(not as_json)
            )
        if not as_json:
            sys.stderr.write("\n")
        data = {
            "network_version": summary.network_version,
            "companies": summary.companies,
            "shipments": summary.shipments,
            "linked_by_matcher": summary.linked_by_matcher,
            "loads": [asdict(r) for r in summary.loads],
            "errors": [asdict(e) for e in summary.errors],
        }
        if as_json:
            _print_json(data)
            return
        for record in summary.loads:
            typer.echo(
                f"{record.filename}: {record.rows_read:,} rows read, {record.rows_added:,} added, "
                f"{record.rows_rejected:,} rejected, {record.companies_added:,} new companies"
            )
        typer.echo(
            f"network {summary.network_version}: "
            f"{summary.companies:,} companies, {summary.shipments:,} shipments"
        )
        for error in summary.errors[:20]:
            typer.echo(f"  line {error.line}, {error.column}: {error.message}", err=True)
        if len(summary.errors) > 20:
            typer.echo(f"  ... and {len(summary.errors) - 20:,} more row errors (see --json)", err=True)

    _guard(body)


@network_app.command("generate")
def network_generate(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write shipments.csv, companies.csv, suppliers.csv.")
    ],
    scale: Annotated[int, typer.Option("--scale", min=1, help="Size multiplier.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 7,
    as_json: JsonOption = False,
) -> None:
    """Write a synthetic but realistic battery and magnet network for demos and benchmarks."""

    def body() -> None:
        stats = synth.generate(out, scale=scale, seed=seed)
        if as_json:
            _print_json({"out": str(out), **asdict(stats)})
        else:
            typer.echo(
                f"wrote {out}: {stats.shipments:,} shipments, {stats.companies:,} companies, "
                f"{stats.suppliers:,} supplier lines"
            )

    _guard(body)


# --------------------------------------------------------------------------------------------------
# match, screen, rules
# --------------------------------------------------------------------------------------------------


@app.command("match")
def match(
    name: Annotated[str, typer.Argument(help="A supplier name as written.")],
    country: Annotated[str | None, typer.Option("--country", help="Country (ISO2, ISO3 or name).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 5,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find the network companies a name most likely refers to, best first, with explanations."""

    def body() -> None:
        from screening.codes import normalize_country

        code = None
        if country:
            try:
                code = normalize_country(country)
            except ValueError as exc:
                _fail(f"--country: {exc}.")
        settings = _settings(db)
        with _store(settings) as store:
            snap = services.snapshot(store)
        candidates = snap.index.search(name, country=code, limit=limit)
        data = {
            "candidates": [
                {
                    "company_id": c.company_id,
                    "name": c.name,
                    "country": c.country,
                    "score": round(c.score, 4),
                    "explanation": c.explanation,
                    "matched_name": c.matched_name,
                }
                for c in candidates
            ]
        }
        if as_json:
            _print_json(data)
            return
        if not candidates:
            typer.echo("no candidates")
        for c in candidates:
            typer.echo(
                f"{c.score:.3f}  {c.company_id}  {c.name} ({c.country or '?'})\n       {c.explanation}"
            )

    _guard(body)


@app.command("screen")
def screen(
    suppliers: Annotated[Path, typer.Argument(help="Supplier list or BOM: CSV, XLSX or JSON.")],
    db: DbOption = None,
    rules: RulesOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Screen as of this date (default today).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Oldest shipment date (default as-of - 5 y).")
    ] = None,
    max_tier: Annotated[int, typer.Option("--max-tier", min=1, max=12)] = 4,
    fmt: Annotated[str, typer.Option("--format", help="json, csv, html or xlsx.")] = "json",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report here (default stdout).")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX sheet (default the first).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    tenant: TenantOption = DEFAULT_TENANT,
) -> None:
    """Screen a supplier list against the network and the rules, applying the tenant's decisions."""

    def body() -> None:
        if fmt not in ("json", "csv", "html", "xlsx"):
            _fail(f"--format {fmt!r} is not one of json, csv, html, xlsx.")
        as_of_date = _parse_date(as_of, "--as-of")
        since_date = _parse_date(since, "--since")
        if as_of_date and since_date and since_date > as_of_date:
            _fail("--since is after --as-of.")
        settings = _settings(db, rules)
        rule_set = _rules(settings)
        submission = ingest.read_suppliers_file(suppliers, sheet=sheet)
        with _store(settings) as store:
            result = services.screen(
                store,
                submission,
                rule_set,
                as_of=as_of_date,
                since=since_date,
                max_tier=max_tier,
                tenant=tenant,
                progress=_progress(not quiet),
            )
        if result.provenance.network_version == services.EMPTY_NETWORK and not quiet:
            typer.echo(
                "tiersight: note: the network is empty, so no line can match; load one first with "
                "`tiersight network load`.",
                err=True,
            )
        data = report.render(result, fmt)
        if out is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            if not quiet:
                typer.echo(_summary_line(result), err=True)

    _guard(body)


@app.command("decide")
def decide(
    name: Annotated[str, typer.Argument(help="The supplier name as the supplier list writes it.")],
    country: Annotated[
        str | None, typer.Option("--country", help="The supplier's country (ISO2, ISO3 or name).")
    ] = None,
    confirm: Annotated[
        str | None,
        typer.Option("--confirm", metavar="COMPANY_ID", help="The supplier is this network company."),
    ] = None,
    reject: Annotated[
        str | None,
        typer.Option("--reject", metavar="COMPANY_ID", help="The supplier is not this network company."),
    ] = None,
    new_company: Annotated[
        bool, typer.Option("--new-company", help="The supplier is in no network company.")
    ] = False,
    tenant: TenantOption = DEFAULT_TENANT,
    by: Annotated[str, typer.Option("--by", help="Who decided.")] = "cli",
    note: Annotated[str, typer.Option("--note", help="Why (shown in reports).")] = "",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a reviewer's decision on a supplier name; later screenings of the tenant apply it."""

    def body() -> None:
        chosen = [
            (action, company)
            for action, company, given in (
                ("confirm", confirm, confirm is not None),
                ("reject", reject, reject is not None),
                ("new_company", None, new_company),
            )
            if given
        ]
        if len(chosen) != 1:
            _fail("give exactly one of --confirm COMPANY_ID, --reject COMPANY_ID, --new-company.")
        if country is None:
            _fail("--country is required: a decision is kept for a name in a country.")
        action, company_id = chosen[0]
        settings = _settings(db)
        with _store(settings) as store:
            decision = services.record_decision(
                store, tenant, name, country, action, company_id, decided_by=by, note=note
            )
        if as_json:
            _print_json(_decision_dict(decision))
            return
        typer.echo(
            f"recorded decision {decision.id} for tenant {decision.tenant}: {_decision_text(decision)}"
        )

    _guard(body)


@decisions_app.command("list")
def decisions_list(
    tenant: TenantOption = DEFAULT_TENANT,
    include_superseded: Annotated[
        bool, typer.Option("--all", help="Also the decisions that later ones replaced.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the tenant's decisions in force, oldest first."""

    def body() -> None:
        settings = _settings(db)
        with _store(settings) as store:
            found = services.list_decisions(store, tenant, include_superseded=include_superseded)
        if as_json:
            _print_json({"tenant": tenant, "decisions": [_decision_dict(d) for d in found]})
            return
        if not found:
            typer.echo(f"no decisions for tenant {tenant}")
        for decision in found:
            typer.echo(f"{decision.id:>6}  {_decision_text(decision)}")

    _guard(body)


def _decision_dict(decision: Decision) -> dict[str, object]:
    return {
        "id": decision.id,
        "tenant": decision.tenant,
        "supplier_name": decision.supplier_name,
        "country": decision.country,
        "key": decision.key,
        "action": decision.action,
        "company_id": decision.company_id,
        "decided_by": decision.decided_by,
        "note": decision.note,
        "decided_at": decision.decided_at.isoformat(),
        "superseded": decision.superseded,
    }


def _decision_text(decision: Decision) -> str:
    target = f" {decision.company_id}" if decision.company_id else ""
    replaced = " [superseded]" if decision.superseded else ""
    note = f" ({decision.note})" if decision.note else ""
    return (
        f"{decision.action}{target} for '{decision.supplier_name}' ({decision.country or '?'}), "
        f"{decision.decided_by} on {decision.decided_at.date().isoformat()}{note}{replaced}"
    )


@rules_app.command("check")
def rules_check(
    directory: Annotated[
        Path | None, typer.Argument(help="Rule folder (default the configured one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a rule folder; print its version (content hash) and rule counts."""

    def body() -> None:
        settings = _settings(rules=directory)
        rule_set = _rules(settings)
        kinds: dict[str, int] = {}
        for rule in rule_set.rules:
            kinds[rule.kind] = kinds.get(rule.kind, 0) + 1
        today = dt.date.today()
        data = {
            "directory": str(rule_set.directory),
            "version": rule_set.version,
            "rules": len(rule_set.rules),
            "in_force_today": len(rule_set.in_force(today)),
            "by_kind": kinds,
            "products": len(rule_set.hs_inputs.products),
            "review_due": [rule.id for rule in rule_set.review_due(today)],
        }
        if as_json:
            _print_json(data)
        else:
            typer.echo(
                f"{rule_set.directory}: ok, version {rule_set.version}, {len(rule_set.rules)} rules "
                f"({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}), "
                f"{data['in_force_today']} in force today"
            )
            for rule in rule_set.review_due(today):
                typer.echo(
                    f"  review due: {rule.id} (review_by {rule.review_by}): "
                    f"re-check its state at {rule.source}",
                    err=True,
                )

    _guard(body)


@rules_app.command("diff")
def rules_diff(
    old_dir: Annotated[Path, typer.Argument(help="Rule folder in force when the screening ran.")],
    new_dir: Annotated[Path, typer.Argument(help="Rule folder to compare it with.")],
    screening: Annotated[
        Path,
        typer.Option("--screening", help="A past screening's JSON report (tiersight screen --format json)."),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Dry run: the flags the new rules would raise and clear on a past screening. Changes nothing."""

    def body() -> None:
        try:
            past = json.loads(screening.read_bytes())
        except OSError as exc:
            raise InputError(f"{screening}: cannot be read ({exc.strerror or exc})") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{screening}: not a JSON screening report ({exc})") from None
        old, new = load_rules(old_dir), load_rules(new_dir)
        with _store(_settings(db)) as store:
            diff = services.rules_diff(store, past, old, new)
        changes = [
            {
                "line": c.line,
                "supplier_name": c.supplier_name,
                "change": c.change,
                **report.flag_to_dict(c.flag),
            }
            for c in diff.changes
        ]
        raised = sum(c.change == "raised" for c in diff.changes)
        data = {
            "as_of": diff.as_of.isoformat(),
            "since": diff.since.isoformat(),
            "max_tier": diff.max_tier,
            "old_rules_version": diff.old_version,
            "new_rules_version": diff.new_version,
            "network_version": diff.network_version,
            "report_network_version": diff.report_network_version,
            "lines": diff.lines,
            "raised": raised,
            "cleared": len(diff.changes) - raised,
            "changes": changes,
            "drift": list(diff.drift),
        }
        if as_json:
            _print_json(data)
            return
        typer.echo(
            f"rules {diff.old_version} -> {diff.new_version} on a screening of {diff.lines} lines "
            f"as of {diff.as_of} (tiers 1-{diff.max_tier}, shipments since {diff.since})"
        )
        for c in diff.changes:
            flag = c.flag
            typer.echo(
                f"  {c.change:<7} line {c.line} {c.supplier_name}: {flag.rule_id} ({flag.kind}, "
                f"{flag.severity}) tier {flag.tier}, ${flag.value_usd:,.2f} in {flag.hits} hit(s)"
            )
        typer.echo(f"{raised} raised, {len(diff.changes) - raised} cleared; nothing was changed.")
        if diff.drift:
            versions = (
                f"network {diff.report_network_version} then, {diff.network_version} in this database"
                if diff.report_network_version and diff.report_network_version != diff.network_version
                else "the network or the party matching has changed since"
            )
            typer.echo(
                f"  note: lines {', '.join(map(str, diff.drift))} flag differently under the old rules today "
                f"than in the report ({versions}; is --db the database it was screened on?): their changes "
                "are not all the rules'.",
                err=True,
            )

    _guard(body)


@app.command("analyze")
def analyze(
    product: Annotated[str, typer.Option("--product", help="HS code or prefix, e.g. 850760.")],
    destination: Annotated[
        str | None, typer.Option("--destination", help="Country of the tier-1 consignees (any when omitted).")
    ] = None,
    origin: Annotated[
        str | None, typer.Option("--origin", help="Rank top suppliers among shipments of this origin.")
    ] = None,
    tiers: Annotated[
        int, typer.Option("--tiers", help="Trace up to this tier (1 = the product's trade only).")
    ] = 2,
    as_of: AsOfOption = None,
    since: SinceOption = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rule folder (for the HS input map).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv (with --out); without it, text or --json.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the --format rendering here.")] = None,
) -> None:
    """Network-wide exposure of trade in a product: value by tier, origin and region, input kinds, top
    suppliers with their recipients, the concentration of origins per tier and, for goods industries
    rely on (magnets), the destination's exports by industry."""

    def body() -> None:
        formats = analysis_report.FORMATS
        if fmt is not None and fmt not in formats:
            _fail(f"--format {fmt!r} is not one of {', '.join(formats)}.")
        if fmt is not None and out is None:
            _fail("--format needs --out FILE.")
        if out is not None and fmt is None:
            _fail(f"--out needs --format ({', '.join(formats)}).")
        if as_json and fmt is not None:
            _fail("--json and --format are alternatives; give one.")
        settings = _settings(db, rules)
        rule_set = _rules(settings)
        with _store(settings) as store:
            result = services.analyze(
                store,
                rule_set,
                product=product,
                destination=destination,
                origin=origin,
                tiers=tiers,
                as_of=_parse_date(as_of, "--as-of"),
                since=_parse_date(since, "--since"),
            )
        if as_json:
            _print_json(analysis_report.analysis_to_dict(result, rules_version=rule_set.version))
            return
        if fmt is not None and out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(analysis_report.render(result, fmt, rules_version=rule_set.version))
            typer.echo(f"tiersight: wrote {out}", err=True)
            return
        typer.echo(analysis_report.render_text(result))

    _guard(body)


@app.command("scenario")
def scenario(
    origin: Annotated[str, typer.Option("--origin", help="The origin that stops exporting (e.g. CN).")],
    hs: Annotated[
        str | None, typer.Option("--hs", help="HS prefixes that stop, comma-separated (default all goods).")
    ] = None,
    destination: Annotated[
        str | None, typer.Option("--destination", help="Only companies in this country (e.g. US).")
    ] = None,
    company: Annotated[
        list[str] | None,
        typer.Option("--company", help="Only this company (id or name); repeat for several."),
    ] = None,
    as_of: AsOfOption = None,
    since: SinceOption = None,
    max_tier: Annotated[int, typer.Option("--max-tier", help="Look for the goods up to this tier.")] = 4,
    top: Annotated[int, typer.Option("--top", help="How many companies to list.")] = 25,
    rules: RulesOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What if an origin stopped exporting some goods: the downstream companies most exposed, ranked by
    the value of their purchases that depend on them, with the tier and the evidence path, and the
    alternative suppliers of each restricted code from other countries (and whether they depend on
    the origin themselves)."""

    def body() -> None:
        settings = _settings(db, rules)
        rule_set = _rules(settings)
        prefixes = [part.strip() for part in (hs or "").split(",") if part.strip()]
        with _store(settings) as store:
            result = services.scenario(
                store,
                rule_set,
                origin=origin,
                hs=prefixes,
                destination=destination,
                companies=company or [],
                as_of=_parse_date(as_of, "--as-of"),
                since=_parse_date(since, "--since"),
                max_tier=max_tier,
                top=top,
            )
        if as_json:
            _print_json(scenario_report.scenario_to_dict(result, rules_version=rule_set.version))
        else:
            typer.echo(scenario_report.render_text(result))

    _guard(body)


# --------------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where the network, database and reports go.")] = Path(
        "out"
    ),
    seed: Annotated[int, typer.Option("--seed")] = 7,
    as_json: JsonOption = False,
) -> None:
    """Generate a demo network, load it into SQLite, screen the example supplier list, write reports."""

    def body() -> None:
        def say(message: str) -> None:
            if not as_json:
                typer.echo(message, err=True)

        network_dir = out / "network"
        db_path = out / "demo.db"
        for stale in (db_path, out / "demo.db-wal", out / "demo.db-shm"):
            stale.unlink(missing_ok=True)
        say(f"1/4 generating a synthetic battery and magnet network in {network_dir}/ ...")
        stats = synth.generate(network_dir, seed=seed)
        settings = _settings(f"sqlite:///{db_path}")
        say(f"2/4 loading {stats.shipments:,} shipments and {stats.companies:,} registry companies ...")
        with _store(settings) as store:
            loaded = services.load_network(
                store,
                shipments=network_dir / "shipments.csv",
                companies=network_dir / "companies.csv",
                progress=_progress(not as_json),
            )
        if not as_json:
            sys.stderr.write("\n")
        suppliers = EXAMPLES / "suppliers.csv"
        say(f"3/4 screening {suppliers.name} against the network (as of today, up to tier 4) ...")
        rule_set = _rules(get_settings())
        submission = ingest.read_suppliers_file(suppliers)
        with _store(settings) as store:
            result = services.screen(store, submission, rule_set, progress=_progress(not as_json))
        say("4/4 writing reports ...")
        written: dict[str, str] = {}
        for fmt in ("json", "html", "csv", "xlsx"):
            path = out / f"report.{fmt}"
            path.write_bytes(report.render(result, fmt))
            written[fmt] = str(path)
        if as_json:
            _print_json(
                {
                    "network_version": loaded.network_version,
                    "companies": loaded.companies,
                    "shipments": loaded.shipments,
                    "reports": written,
                    "summary": report.report_to_dict(result)["summary"],
                }
            )
            return
        typer.echo(_demo_summary(result, loaded, written))

    _guard(body)


def _summary_line(result: Report) -> str:
    s = result.summary
    return (
        f"{s.lines} lines: {s.matched} matched, {s.ambiguous} ambiguous, {s.unmatched} unmatched, "
        f"{s.flagged_lines} flagged; {len(result.errors)} row errors"
    )


def _origin_tier_table(cells: Sequence[UpstreamCell], rows: int = 8) -> list[str]:
    """Upstream value as an origin x tier table, largest origins (beyond tier 1) first."""
    tiers = sorted({c.tier for c in cells})
    if not tiers:
        return []
    table: dict[str, dict[int, float]] = {}
    for c in cells:
        table.setdefault(c.origin, {})[c.tier] = c.value_usd
    ranked = sorted(table, key=lambda o: -sum(v for t, v in table[o].items() if t > 1))
    out = ["Upstream value in USD by origin and tier (tier 1 = the lines themselves):"]
    out.append("  origin   " + "".join(f"{'tier ' + str(t):>16}" for t in tiers))
    for origin in ranked[:rows]:
        out.append(f"  {origin:<8} " + "".join(f"{table[origin].get(t, 0.0):>16,.0f}" for t in tiers))
    if len(ranked) > rows:
        rest = {t: sum(table[o].get(t, 0.0) for o in ranked[rows:]) for t in tiers}
        out.append(f"  {'other':<8} " + "".join(f"{rest[t]:>16,.0f}" for t in tiers))
    return out


def _demo_summary(result: Report, loaded: services.LoadSummary, written: dict[str, str]) -> str:
    s = result.summary
    lines = [
        "",
        f"Network {loaded.network_version}: {loaded.companies:,} companies, {loaded.shipments:,} shipments "
        f"({loaded.linked_by_matcher:,} bill-of-lading spellings linked to a known company by the matcher).",
        _summary_line(result) + ".",
        "",
    ]
    lines += _origin_tier_table(s.upstream)
    flags: dict[tuple[str, str], int] = {}
    for line in result.lines:
        for flag in line.flags:
            flags[(flag.severity, flag.rule_id)] = flags.get((flag.severity, flag.rule_id), 0) + 1
    if flags:
        lines += ["", "Flags raised (lines per rule, most severe first):"]
        ranked = sorted(flags.items(), key=lambda kv: (-SEVERITY_ORDER[kv[0][0]], -kv[1], kv[0][1]))
        lines += [f"  {count:>4}  {severity:<6}  {rule_id}" for (severity, rule_id), count in ranked]
    if s.top_upstream_suppliers:
        lines += ["", "Top upstream suppliers:"]
        for top in s.top_upstream_suppliers[:5]:
            lines.append(
                f"  {top.name[:44]:<44} {top.country or '?':<3} ${top.value_usd:>14,.0f}  "
                f"{top.recipients} recipients"
            )
    lines += ["", "Reports: " + ", ".join(written.values())]
    return "\n".join(lines)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
