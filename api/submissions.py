"""Turning a request body into a `screening.jobs.Submission`: a multipart upload (`file`, optional
`as_of`, `max_tier` and `columns` fields) or a JSON supplier list (`{"suppliers": [...], "as_of"?,
"max_tier"?, "columns"?}`). `columns` maps headers as written to fields over the automatic matching
(`screening.ingest`): a JSON object, in a form as JSON text.

The file is read once here, so that a file that cannot be read at all is refused at once (422 with the
reader's message) instead of becoming a failed screening; rows that cannot be used are not refused, they
are reported in the screening's `errors`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from starlette.datastructures import UploadFile

from api.errors import MalformedRequest, UnsupportedMediaType
from screening import ingest, jobs
from screening.errors import InputError

JSON_FILENAME = "request.json"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Body:
    """A submission as read from the request, before its options are checked."""

    data: bytes
    filename: str
    source: str  # "upload" (a form's file) or "json" (a JSON body)
    as_of: object = None
    max_tier: object = None
    columns: object = None  # the column mapping as sent (JSON text in a form, an object in JSON)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


async def read_body(request: Request) -> Body:
    """The submitted list from a multipart form or a JSON body; 415 for any other content type."""
    kind = media_type(request)
    if kind == "multipart/form-data":
        return await _read_form(request)
    if kind == "application/json" or kind.endswith("+json"):
        return json_body(await request.body())
    raise UnsupportedMediaType(
        "send the supplier list as multipart/form-data (a 'file' part) or application/json, "
        f"not {kind or 'nothing'}"
    )


async def _read_form(request: Request) -> Body:
    async with request.form(max_files=1, max_fields=8) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise MalformedRequest("the form needs a 'file' part holding the supplier list")
        data = await upload.read()
        filename = upload.filename or "upload"
        return Body(
            data=data,
            filename=filename,
            source="upload",
            as_of=form.get("as_of"),
            max_tier=form.get("max_tier"),
            columns=form.get("columns"),
        )


def json_body(raw: bytes) -> Body:
    """`{"suppliers": [...]}` with optional `as_of` and `max_tier`, as the bytes of a JSON supplier list."""
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedRequest(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise MalformedRequest("the body is nested too deeply") from None
    data = jobs.json_submission(payload)
    assert isinstance(payload, Mapping)
    return Body(
        data=data,
        filename=JSON_FILENAME,
        source="json",
        as_of=payload.get("as_of"),
        max_tier=payload.get("max_tier"),
        columns=payload.get("columns"),
    )


def as_of_value(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(f"as_of {value!r} is not a date (YYYY-MM-DD)")


def max_tier_value(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise InputError(f"max_tier {value!r} is not a whole number")


def columns_value(value: object) -> dict[str, str] | None:
    """A column mapping (a JSON object, or its text in a form field) checked for itself; None for none."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            raise InputError(
                'columns must be a JSON object of header names to fields, e.g. {"Lieferant": "supplier_name"}'
            ) from None
    if not isinstance(value, Mapping):
        raise InputError(
            'columns must be an object of header names to fields, e.g. {"Lieferant": "supplier_name"}'
        )
    return ingest.check_columns(value) or None


def option(name: str, in_body: T | None, in_query: T | None) -> T | None:
    """An option given in the body and the query string must agree; either alone is taken."""
    if in_body is not None and in_query is not None and in_body != in_query:
        raise InputError(f"{name} is given twice with different values ({in_body} and {in_query})")
    return in_body if in_body is not None else in_query


def submission(
    body: Body,
    *,
    submitted_by: str,
    as_of: dt.date | None,
    max_tier: int | None,
    idempotency_key: str | None = None,
) -> jobs.Submission:
    """The submission to store, once the file was found readable with its column mapping
    (UnreadableFileError, or InputError naming a header or field, otherwise)."""
    columns = columns_value(body.columns)
    ingest.read_suppliers(body.data, body.filename, columns=columns)
    return jobs.Submission(
        data=body.data,
        filename=body.filename,
        source=body.source,
        as_of=as_of,
        max_tier=4 if max_tier is None else max_tier,
        idempotency_key=idempotency_key,
        submitted_by=submitted_by,
        columns=columns,
    )
