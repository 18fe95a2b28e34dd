"""Transport models: what the HTTP surface takes and returns (CONTRACT section 7), apart from the domain
types. The status document is `screening.jobs.Job.as_dict()`; fields added there pass through."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from screening.ingest import IGNORE, SUPPLIER_FIELDS
from screening.jobs import MAX_TIER_RANGE

Status = Literal["queued", "running", "done", "failed"]

COLUMNS_HELP = (
    "Column mapping over the automatic header matching: header as written in the file -> field, one of "
    + ", ".join(SUPPLIER_FIELDS)
    + f', or {IGNORE!r} (or "") for a column not used. A header the file lacks, an unknown field or '
    "two headers given one field is refused with 422 naming it."
)


class SuppliersBody(BaseModel):
    """A supplier list as JSON (one object per row of the file format), with the screening's options."""

    suppliers: list[dict[str, Any]] = Field(description="One object per supplier (or supplied part).")
    as_of: dt.date | None = Field(default=None, description="Window end; default today.")
    max_tier: int | None = Field(
        default=None,
        ge=MAX_TIER_RANGE[0],
        le=MAX_TIER_RANGE[1],
        description="Deepest tier traced; default 4.",
    )
    columns: dict[str, str] | None = Field(
        default=None,
        description=COLUMNS_HELP,
        examples=[{"Lieferant": "supplier_name", "Land": "supplier_country"}],
    )


class UploadForm(BaseModel):
    """A supplier list as a file (CSV, XLSX or JSON), with the screening's options."""

    file: bytes = Field(json_schema_extra={"format": "binary"})
    as_of: dt.date | None = None
    max_tier: int | None = Field(default=None, ge=MAX_TIER_RANGE[0], le=MAX_TIER_RANGE[1])
    columns: str | None = Field(
        default=None,
        description="A JSON object. " + COLUMNS_HELP,
        examples=['{"Lieferant": "supplier_name", "Land": "supplier_country"}'],
    )


class Accepted(BaseModel):
    id: str
    status: Status


class Progress(BaseModel):
    lines_done: int
    lines_total: int


class ScreeningStatus(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    status: Status
    source: str
    filename: str
    as_of: dt.date | None
    max_tier: int
    progress: Progress
    attempts: int
    error: str | None
    rules_version: str | None
    network_version: str | None
    rescreen_of: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    columns: dict[str, str] | None = Field(
        default=None, description="The submission's column mapping (header -> field; empty: not used)."
    )


class ScreeningList(BaseModel):
    screenings: list[ScreeningStatus]


class ErrorBody(BaseModel):
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, str]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error statuses a route may answer with."""
    return {code: {"model": ErrorBody} for code in codes}


def submission_body() -> dict[str, Any]:
    """The request body of a submission: a multipart upload or a JSON supplier list."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": _inline(UploadForm)},
                "application/json": {"schema": _inline(SuppliersBody)},
            },
        }
    }


def _inline(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    return schema
