"""Screening jobs of the service (CONTRACT section 7): submit, run once, report; tenants' API keys.

A submission is persisted (the file as received, its options, its idempotency key) and committed
before anything runs it; `run_job` may then be called any number of times, by a thread of the API
or by a Celery worker that a broker redelivered to after a crash: it finishes the same screening,
never a second one. The state machine is

    queued --claim--> running --finish--> done
                         |  \\--fail----> failed
                         \\--(worker died)--> claimed again by the next run (attempts + 1)

`finish` stores the report and the job's events in one transaction (the caller's session scope),
so a screening that is done has exactly one result and one set of events.

API keys are 32 random bytes (URL-safe base64, prefixed `ts_`); only their SHA-256 is stored, and a
presented key is compared in constant time with `hmac.compare_digest`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from screening.errors import InputError, NotFoundError

JobStatus = Literal["queued", "running", "done", "failed"]
JOB_STATUSES: tuple[JobStatus, ...] = ("queued", "running", "done", "failed")
SOURCES = ("upload", "json", "erp", "rescreen")
KEY_PREFIX = "ts_"
PREFIX_LENGTH = 12  # characters of the key stored in clear to find its row ("ts_" + 9)
MAX_TIER_RANGE = (1, 12)


@dataclass(frozen=True, slots=True)
class Submission:
    """What a caller submitted: the file (or the JSON body, serialised) and the screening's options."""

    data: bytes
    filename: str
    source: str  # one of SOURCES
    as_of: dt.date | None = None
    max_tier: int = 4
    idempotency_key: str | None = None
    submitted_by: str = "system"
    rescreen_of: str | None = None
    # header as written -> field (CONTRACT section 2.3) over the automatic matching ("" = not used)
    columns: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    tenant: str
    status: JobStatus
    source: str
    filename: str
    input_sha256: str
    as_of: dt.date | None
    max_tier: int
    lines_total: int
    lines_done: int
    attempts: int
    error: str | None
    rules_version: str | None
    network_version: str | None
    submitted_by: str
    rescreen_of: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    columns: Mapping[str, str] | None = None  # the submission's column mapping, if it had one

    def as_dict(self) -> dict[str, object]:
        """The status document of `GET /v1/screenings/{id}`."""
        return {
            "id": self.id,
            "status": self.status,
            "source": self.source,
            "filename": self.filename,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "max_tier": self.max_tier,
            "progress": {"lines_done": self.lines_done, "lines_total": self.lines_total},
            "attempts": self.attempts,
            "error": self.error,
            "rules_version": self.rules_version,
            "network_version": self.network_version,
            "rescreen_of": self.rescreen_of,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "columns": dict(self.columns) if self.columns else None,
        }


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a finished job emits; the store gives it its stable id (the deliveries' `webhook-id`)."""

    type: str  # "screening.completed" | "flag.raised" | "flag.cleared"
    severity: str | None
    payload: Mapping[str, object]


class JobStore(Protocol):
    def add_job(self, tenant: str, submission: Submission, job_id: str, sha256: str) -> tuple[Job, bool]:
        """Insert the job, or return the tenant's job with the same idempotency key (created=False)."""
        ...

    def job(self, tenant: str | None, job_id: str) -> Job | None:
        """The job; with a tenant, None for another tenant's job."""
        ...

    def job_input(self, job_id: str) -> bytes: ...

    def claim(self, job_id: str) -> Job | None:
        """Move a queued or running job to running (attempts + 1); None when done, failed or unknown."""
        ...

    def set_progress(self, job_id: str, done: int, total: int) -> None: ...

    def finish(
        self,
        job_id: str,
        report_json: str,
        *,
        rules_version: str,
        network_version: str,
        events: Sequence[NewEvent],
    ) -> Job: ...

    def fail(self, job_id: str, error: str) -> Job: ...

    def report_json(self, tenant: str, job_id: str) -> str | None: ...

    def current_screenings(self) -> list[Job]:
        """Done screenings that no later re-screen has replaced (a failed re-screen replaces nothing)."""
        ...

    def failed_rescreens(self, job_id: str) -> int:
        """How many re-screens of the job failed."""
        ...

    def mark_requeued(self, job_id: str, older_than: dt.datetime) -> bool:
        """Refresh the job's `updated_at` if it is still queued or running and not updated since
        `older_than`; True for the one caller that did it (the sweeper sends it again only then)."""
        ...

    def stale_jobs(self, older_than: dt.datetime) -> list[str]:
        """Jobs queued (or running) and not updated since `older_than`: lost by a broker or a worker."""
        ...


# The idempotency keys of re-screens: `rescreen:<id>` for the first re-screen of a screening, whoever
# asks for it (a reviewer's decision or a rules or network change), so that two racing requests make one.
RESCREEN_KEY_PREFIX = "rescreen:"


def rescreen_key(job_id: str, failed: int) -> str:
    """The key of the next re-screen of `job_id` once `failed` of its re-screens failed: a failed
    re-screen does not hold the screening's lineage, and racing retries still agree on one key."""
    return f"{RESCREEN_KEY_PREFIX}{job_id}" if failed == 0 else f"{RESCREEN_KEY_PREFIX}{job_id}:retry{failed}"


def rescreen(store: JobStore, job: Job, submitted_by: str) -> tuple[Job, bool]:
    """Submit a re-screen of a stored screening: its input with its options, `rescreen_of` the job.
    Returns (the re-screen, created); not created when a re-screen of the job is already stored and
    did not fail. The caller commits, then runs or enqueues it."""
    return submit(
        store,
        job.tenant,
        Submission(
            data=store.job_input(job.id),
            filename=job.filename,
            source="rescreen",
            as_of=job.as_of,
            max_tier=job.max_tier,
            idempotency_key=rescreen_key(job.id, store.failed_rescreens(job.id)),
            submitted_by=submitted_by,
            rescreen_of=job.id,
            columns=job.columns,
        ),
    )


def json_submission(payload: object) -> bytes:
    """`{"suppliers": [...]}` as the bytes of a JSON supplier list (CONTRACT section 2.3), validated
    only for shape here; the ingest reports bad rows by index like any other file."""
    if not isinstance(payload, Mapping) or "suppliers" not in payload:
        raise InputError('the JSON body needs a "suppliers" array')
    suppliers = payload["suppliers"]
    if not isinstance(suppliers, list):
        raise InputError('"suppliers" must be an array of supplier objects')
    return json.dumps(suppliers, ensure_ascii=False).encode("utf-8")


def check_options(as_of: dt.date | None, max_tier: int) -> None:
    low, high = MAX_TIER_RANGE
    if not low <= max_tier <= high:
        raise InputError(f"max_tier {max_tier} is out of range ({low} to {high})")
    if as_of is not None and as_of > dt.date.today() + dt.timedelta(days=1):
        raise InputError(f"as_of {as_of} is in the future")


def submit(store: JobStore, tenant: str, submission: Submission) -> tuple[Job, bool]:
    """Persist a submission as a queued job (or find the one with the same idempotency key). The
    caller commits before it enqueues the job: a worker must never look for a job not yet stored."""
    if submission.source not in SOURCES:
        raise InputError(f"unknown submission source {submission.source!r}")
    if not submission.data:
        raise InputError(f"{submission.filename}: the file is empty")
    check_options(submission.as_of, submission.max_tier)
    sha = hashlib.sha256(submission.data).hexdigest()
    return store.add_job(tenant, submission, uuid.uuid4().hex, sha)


def status(store: JobStore, tenant: str, job_id: str) -> Job:
    job = store.job(tenant, job_id)
    if job is None:
        raise NotFoundError(f"screening {job_id} not found")
    return job


def report_json(store: JobStore, tenant: str, job_id: str) -> str:
    job = status(store, tenant, job_id)
    if job.status != "done":
        raise NotFoundError(f"screening {job_id} has no report yet (status {job.status})")
    text = store.report_json(tenant, job_id)
    if text is None:
        raise NotFoundError(f"screening {job_id} has no report")
    return text


# -- flags as events ----------------------------------------------------------------------------------


def flag_keys(report: Mapping[str, object]) -> dict[tuple[int, str], Mapping[str, object]]:
    """The flags of a report (CONTRACT section 6) by (line, rule id)."""
    out: dict[tuple[int, str], Mapping[str, object]] = {}
    lines = report.get("lines")
    if not isinstance(lines, list):
        return out
    for line in lines:
        if not isinstance(line, Mapping):
            continue
        number = line.get("line")
        for flag in line.get("flags") or ():
            if isinstance(flag, Mapping) and isinstance(number, int):
                out[(number, str(flag.get("rule_id")))] = {"line": number, "input": line.get("input"), **flag}
    return out


def events_for(
    job_id: str, report: Mapping[str, object], previous: Mapping[str, object] | None
) -> list[NewEvent]:
    """`screening.completed`, then `flag.raised` for each flag the previous report of the same list did
    not have (all of them on a first screening) and `flag.cleared` for each it had and this one has not."""
    summary = report.get("summary")
    events = [NewEvent("screening.completed", None, {"screening_id": job_id, "summary": summary})]
    now = flag_keys(report)
    before = flag_keys(previous) if previous is not None else {}
    for key in sorted(now.keys() - before.keys()):
        flag = now[key]
        events.append(NewEvent("flag.raised", _severity(flag), {"screening_id": job_id, "flag": flag}))
    for key in sorted(before.keys() - now.keys()):
        flag = before[key]
        events.append(NewEvent("flag.cleared", _severity(flag), {"screening_id": job_id, "flag": flag}))
    return events


def _severity(flag: Mapping[str, object]) -> str | None:
    value = flag.get("severity")
    return value if isinstance(value, str) else None


# -- API keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewKey:
    tenant: str
    api_key: str  # shown once, never stored
    prefix: str
    sha256: str


def new_api_key(tenant: str, token: Callable[[int], str] = secrets.token_urlsafe) -> NewKey:
    key = KEY_PREFIX + token(32)
    return NewKey(tenant=tenant, api_key=key, prefix=key[:PREFIX_LENGTH], sha256=key_digest(key))


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_matches(presented: str, stored_sha256: str) -> bool:
    """Constant-time comparison of a presented key with a stored digest."""
    return hmac.compare_digest(key_digest(presented), stored_sha256)


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
