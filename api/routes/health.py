"""`/healthz` (the process answers), `/readyz` (database and broker reachable), `/metrics` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep
from api.metrics import CONTENT_TYPE
from api.schemas import Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is unreachable."}},
    summary="The database (and the broker, when one is configured) can be reached",
)
def readyz(runtime: RuntimeDep) -> JSONResponse:
    checks = {"database": runtime.check_database()}
    if runtime.settings.broker_url:
        checks["broker"] = runtime.check_broker()
    ready = all(value == "ok" for value in checks.values())
    body = Readiness(status="ready" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(runtime: RuntimeDep) -> Response:
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)
