"""Upload (`/ui/upload`): drop a supplier list (CSV, XLSX or JSON), preview how it is read (the header
cells with the field each is read as, which the analyst can correct, the first rows, and every bad row
with line, column and reason), download the file annotated with its errors, and submit it for screening.

The server keeps nothing between requests, so each post carries the file: the page's script previews
with `fetch` and keeps the file in the form's file input; without the script the preview page carries a
small file (up to `KEEP_BYTES`) back in a hidden field, so the corrected mapping is submitted without
choosing the file again. The mapping travels as pairs of `header` and `field` fields (`field` "ignore"
for a column not used) with `mapped_for`, the SHA-256 of the file it was made for: a different file is
previewed with the automatic matching. Submitting goes through the JSON API's submit path
(`api.routes.screenings.submit_screening`: same checks, audit record, idempotency and dispatch); the
page's idempotency key is derived from a token of the page, the file, the mapping and the options, so
that posting the same form twice makes one screening."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Caller, RuntimeDep, take_token
from api.errors import RateLimited
from api.routes.screenings import submit_screening
from api.submissions import Body, as_of_value, max_tier_value, submission
from api.ui.pages import render
from api.ui.session import CsrfSessionDep, UiSession, UiSessionDep
from screening import ingest
from screening.errors import InputError, UnreadableFileError
from screening.jobs import MAX_TIER_RANGE
from screening.model import RowError

router = APIRouter(prefix="/ui")

PREVIEW_ROWS = 10
ERRORS_SHOWN = 200
# The largest file the no-script preview carries back in the page (base64 stays under the 1 MiB a form
# field may hold); the page's script keeps any file in the file input instead.
KEEP_BYTES = 700 * 1024
ACCEPT = ".csv,.tsv,.txt,.xlsx,.json,text/csv,application/json"
FIELD_LABELS = {
    "supplier_name": "Supplier name",
    "supplier_country": "Country",
    "supplier_address": "Address",
    "supplier_ref": "Your vendor id",
    "part_number": "Part number",
    "part_description": "Part description",
    "parent_part_number": "Parent part number",
    "hs_code": "HS code",
    "annual_value_usd": "Annual value (USD)",
}
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = {"csv": "delimited text (CSV)", "xlsx": "Excel workbook", "json": "JSON"}


@dataclass(frozen=True, slots=True)
class Posted:
    """What an upload form posted: the file (chosen, or carried back by the page), options, mapping."""

    data: bytes
    filename: str
    as_of: str
    max_tier: str
    columns: dict[str, str] | None  # header -> field ("" for not used), for this file only
    page: str  # the page's token (idempotency)
    sha256: str  # of `data`: which file a mapping was made for, and the idempotency key's material


def _fields() -> list[tuple[str, str]]:
    return [(name, f"{FIELD_LABELS.get(name, name)} ({name})") for name in ingest.SUPPLIER_FIELDS]


def read_form(
    file: Annotated[UploadFile | None, File(description="The supplier list")] = None,
    file_b64: Annotated[str, Form()] = "",
    filename: Annotated[str, Form(max_length=255)] = "",
    as_of: Annotated[str, Form(max_length=32)] = "",
    max_tier: Annotated[str, Form(max_length=8)] = "",
    header: Annotated[list[str] | None, Form()] = None,
    field: Annotated[list[str] | None, Form()] = None,
    mapped_for: Annotated[str, Form(max_length=64)] = "",
    page: Annotated[str, Form(max_length=64)] = "",
) -> Posted:
    data, name = b"", ""
    if file is not None and file.filename:
        data, name = file.file.read(), file.filename
    if not data and file_b64:
        try:
            data = base64.b64decode(file_b64, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("the file kept in the page is damaged; choose the file again") from None
        name = filename
    if not data:
        raise InputError("choose a supplier list (CSV, XLSX or JSON) to upload")
    name = Path(name).name or "upload"
    headers, fields = header or [], field or []
    digest = hashlib.sha256(data).hexdigest()
    columns: dict[str, str] | None = None
    if mapped_for and mapped_for == digest and headers:
        if len(headers) != len(fields):
            raise InputError("the column mapping was not posted whole; preview the file again")
        columns = {
            h: ("" if f == ingest.IGNORE else f) for h, f in zip(headers, fields, strict=True) if h.strip()
        }
    return Posted(data, name, as_of.strip(), max_tier.strip(), columns or None, page, digest)


PostedDep = Annotated[Posted, Depends(read_form)]


@dataclass
class View:
    """Everything the page (or its preview part alone) shows."""

    page: str
    as_of: str = ""
    max_tier: str = ""
    error: str | None = None
    preview: dict[str, Any] | None = None
    kept: str = ""  # the file in base64, when the page carries it
    kept_name: str = ""
    too_big: bool = False  # the file was previewed but is not carried by the page
    fields: list[tuple[str, str]] = field(default_factory=_fields)


def _preview(posted: Posted, chosen: dict[str, str] | None = None) -> dict[str, Any]:
    """The preview for the page; `chosen` (header -> field) overrides what the selects show."""
    found = ingest.preview_suppliers(posted.data, posted.filename, columns=posted.columns, rows=PREVIEW_ROWS)
    written = {f: h for h, f in zip(found.headers, found.fields, strict=True) if f}
    columns = []
    per_column = zip(found.headers, found.fields, found.mappable, strict=True)
    for i, (text, mapped, mappable) in enumerate(per_column):
        example = next((cells[i] for _, cells in found.rows if cells[i]), "")
        shown = chosen.get(text, mapped) if chosen else mapped
        columns.append(
            {"index": i, "header": text, "field": shown, "mappable": mappable, "example": example[:60]}
        )
    rows_with_errors = len({error.line for error in found.errors})
    return {
        "filename": found.filename,
        "format": FORMATS[found.format],
        "sha256": found.sha256,
        "header_line": found.header_line,
        "columns": columns,
        "rows": found.rows,
        "row_count": found.row_count,
        "line_count": found.line_count,
        "errors": [_error(error, written) for error in found.errors[:ERRORS_SHOWN]],
        "error_count": len(found.errors),
        "rows_with_errors": rows_with_errors,
        "problem": found.problem,
        "missing_name": "supplier_name" not in found.fields,
    }


def _error(error: RowError, written: dict[str, str]) -> dict[str, Any]:
    header = written.get(error.column, "")
    column = f"{error.column} ({header})" if header and header != error.column else error.column
    return {"line": error.line, "column": column or "(whole row)", "message": error.message}


def _view(posted: Posted | None, *, page: str, error: str | None = None, keep: bool = True) -> View:
    """The page for what was posted: its preview (or the error that stops it), the file kept when small."""
    if posted is None:
        return View(page=page, error=error)
    view = View(page=page, as_of=posted.as_of, max_tier=posted.max_tier, error=error)
    try:
        view.preview = _preview(posted)
    except InputError as exc:
        view.error = error or str(exc)
        if not isinstance(exc, UnreadableFileError):
            # a mapping that no longer fits: show the file as the automatic matching reads it
            try:
                view.preview = _preview(replace(posted, columns=None), posted.columns)
            except InputError:
                view.preview = None
    if keep and view.preview is not None:
        if len(posted.data) <= KEEP_BYTES:
            view.kept, view.kept_name = base64.b64encode(posted.data).decode("ascii"), posted.filename
        else:
            view.too_big = True
    return view


def _render(
    request: Request, session: UiSession, view: View, *, fragment: bool = False, status: int = 200
) -> HTMLResponse:
    context: dict[str, Any] = {
        "view": view,
        "accept": ACCEPT,
        "tier_range": MAX_TIER_RANGE,
        "keep_kib": KEEP_BYTES // 1024,
        "labels": FIELD_LABELS,
    }
    if fragment:
        return render(
            request, "upload_preview.html.j2", title="Preview", session=session, status_code=status, **context
        )
    title = "Upload: preview" if view.preview else "Upload"
    return render(
        request,
        "upload.html.j2",
        title=title,
        session=session,
        active="upload",
        status_code=status,
        **context,
    )


def _new_page() -> str:
    return secrets.token_urlsafe(12)


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, session: UiSessionDep) -> HTMLResponse:
    return _render(request, session, View(page=_new_page()))


@router.post("/upload/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    session: CsrfSessionDep,
    posted: PostedDep,
    fragment: Annotated[bool, Query(description="Only the preview part (for the page's script).")] = False,
) -> HTMLResponse:
    view = _view(posted, page=posted.page or _new_page(), keep=not fragment)
    return _render(request, session, view, fragment=fragment, status=422 if view.preview is None else 200)


@router.post("/upload/annotated", response_class=Response)
def annotated(request: Request, session: CsrfSessionDep, posted: PostedDep) -> Response:
    """The file with one more column, `tiersight_errors` (a JSON list comes back as CSV)."""
    try:
        found = ingest.annotate_suppliers(posted.data, posted.filename, columns=posted.columns)
    except InputError as exc:
        return _render(
            request, session, _view(posted, page=posted.page or _new_page(), error=str(exc)), status=422
        )
    disposition = f"attachment; filename*=UTF-8''{quote(found.filename)}"
    return Response(found.data, media_type=MEDIA[found.format], headers={"Content-Disposition": disposition})


@router.post("/upload", response_class=HTMLResponse)
def submit(request: Request, session: CsrfSessionDep, posted: PostedDep, runtime: RuntimeDep) -> Response:
    """Screen the posted list with its options and mapping, then show it on the screenings page."""
    try:
        body = Body(
            data=posted.data,
            filename=posted.filename,
            source="upload",
            as_of=posted.as_of or None,
            max_tier=posted.max_tier or None,
            columns=posted.columns,
        )
        new = submission(
            body,
            submitted_by=session.key_prefix,
            as_of=as_of_value(body.as_of),
            max_tier=max_tier_value(body.max_tier),
            idempotency_key=_idempotency_key(posted),
        )
        take_token(runtime, session.key_prefix)
        caller = Caller(tenant=session.tenant, key_prefix=session.key_prefix, tenant_id=session.tenant_id)
        job = submit_screening(runtime, caller, new)
    except InputError as exc:
        return _render(
            request, session, _view(posted, page=posted.page or _new_page(), error=str(exc)), status=422
        )
    except RateLimited as exc:  # the form stays as it was, with the wait named
        view = _view(posted, page=posted.page or _new_page(), error=str(exc))
        page = _render(request, session, view, status=429)
        page.headers.update(exc.headers or {})
        return page
    return RedirectResponse(f"/ui/screenings?submitted={quote(job.id)}", status_code=303)


def _idempotency_key(posted: Posted) -> str | None:
    """One screening per page, file, mapping and options: a form posted twice (a double click, the
    back button) finds the first; changing any of them makes a new one."""
    if not posted.page:
        return None
    material = json.dumps(
        [posted.page, posted.sha256, posted.columns, posted.as_of, posted.max_tier],
        sort_keys=True,
    )
    return "ui:" + hashlib.sha256(material.encode()).hexdigest()[:40]
