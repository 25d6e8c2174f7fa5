"""``create_app(client)``: the read-only dashboard, pages and JSON API over one client.

Every route is a ``GET``; the app has no write endpoint, so anything else is answered
``405``. Each page calls one method of :class:`~stepstone.dashboard.views.DashboardData`
and renders it; the matching ``/api/v1`` route returns the same model as JSON, described by
the OpenAPI schema at ``/api/v1/openapi.json``.

Handlers are plain functions (not ``async``): store reads block, so FastAPI runs them in its
thread pool and one slow page never stalls the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from stepstone.dashboard import details
from stepstone.dashboard.lineage import artifact_detail, artifact_list
from stepstone.dashboard.pipelines import RUN_AXIS, pipeline_detail
from stepstone.dashboard.rendering import render_page
from stepstone.dashboard.schemas import (
    ArtifactDetail,
    ArtifactList,
    PipelineDetail,
    RunDetail,
    RunList,
    RunProgress,
    StepDetail,
)
from stepstone.dashboard.security import install_security
from stepstone.dashboard.views import DashboardData
from stepstone.exceptions import ArtifactMissingError, NotFoundError, StepstoneError, UserError
from stepstone.metadata.records import RunStatus
from stepstone.model_views import ModelSummary, ModelView, model_summaries, model_view
from stepstone.read_model.comparison import RunComparison

if TYPE_CHECKING:
    from stepstone.client import Client

STATIC_DIR = Path(__file__).parent / "static"
API_PREFIX = "/api/v1"


Pipeline = Annotated[str | None, Query(description="Only runs of this pipeline.")]
Status = Annotated[RunStatus | None, Query(description="Only runs with this status.")]
PageNumber = Annotated[int, Query(ge=1, description="Page number, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=200, description="Runs per page.")]
Metric = Annotated[str | None, Query(description="The column to chart (default: the first).")]
Against = Annotated[str, Query(description="'run', or a parameter to chart the metric against.")]


def _api(data: DashboardData) -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, tags=["stepstone"])

    @router.get("/runs", response_model=RunList, summary="List runs, newest first")
    def list_runs(
        pipeline: Pipeline = None,
        status: Status = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> RunList:
        return data.runs(
            pipeline=pipeline or None,
            status=status.value if status else None,
            page=page,
            per_page=per_page,
        )

    @router.get(
        "/pipelines/{name:path}",
        response_model=PipelineDetail,
        summary="A pipeline's runs compared",
    )
    def get_pipeline(
        name: str, metric: Metric = None, against: Against = RUN_AXIS
    ) -> PipelineDetail:
        return pipeline_detail(data, name, metric=metric, against=against)

    @router.get("/runs/{run}", response_model=RunDetail, summary="A run: steps, DAG, timeline")
    def get_run(run: str) -> RunDetail:
        return data.run(run)

    @router.get("/runs/{run}/progress", response_model=RunProgress, summary="Statuses, for polling")
    def get_progress(run: str) -> RunProgress:
        return data.progress(run)

    @router.get("/runs/{run}/steps/{name}", response_model=StepDetail, summary="One step of a run")
    def get_step(run: str, name: str) -> StepDetail:
        return details.step_detail(data, run, name)

    @router.get("/step-runs/{step_run_id}", response_model=StepDetail, summary="A step run by id")
    def get_step_run(step_run_id: str) -> StepDetail:
        run_id, name = details.step_run_location(data, step_run_id)
        return details.step_detail(data, run_id, name)

    @router.get("/artifacts", response_model=ArtifactList, summary="List artifacts")
    def list_artifacts(
        run: Annotated[str | None, Query(description="Only artifacts of this run.")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> ArtifactList:
        return artifact_list(data, run, limit, offset)

    @router.get(
        "/artifacts/{artifact_id}",
        response_model=ArtifactDetail,
        summary="An artifact: producer, consumers, lineage",
    )
    def get_artifact(artifact_id: str) -> ArtifactDetail:
        return artifact_detail(data, artifact_id)

    @router.get("/compare", response_model=RunComparison, summary="Compare run b with run a")
    def compare(
        a: Annotated[str, Query(description="The earlier run.")],
        b: Annotated[str, Query(description="The later run.")],
    ) -> RunComparison:
        return data.client.compare(a, b)

    @router.get("/models", response_model=list[ModelSummary], summary="List models")
    def list_models() -> list[ModelSummary]:
        return model_summaries(data.metadata)

    @router.get("/models/{name}", response_model=ModelView, summary="A model and its versions")
    def get_model(name: str) -> ModelView:
        return model_view(data.metadata, name)

    return router


def _pages(data: DashboardData) -> APIRouter:
    router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @router.get("/")
    def runs_page(
        request: Request,
        pipeline: Pipeline = None,
        status: Status = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Response:
        runs = data.runs(
            pipeline=pipeline or None,
            status=status.value if status else None,
            page=page,
            per_page=per_page,
        )
        table = None
        if pipeline and runs.runs:  # one pipeline's runs line up: show what differs
            table = data.client.run_table(
                pipeline,
                status=status.value if status else None,
                limit=per_page,
                offset=(page - 1) * per_page,
            )
        return render_page("runs.html", runs=runs, table=table, request=request)

    @router.get("/pipelines/{name:path}")
    def pipeline_page(
        request: Request, name: str, metric: Metric = None, against: Against = RUN_AXIS
    ) -> Response:
        detail = pipeline_detail(data, name, metric=metric, against=against)
        return render_page("pipeline.html", detail=detail, request=request)

    @router.get("/models")
    def models_page(request: Request) -> Response:
        return render_page("models.html", models=model_summaries(data.metadata), request=request)

    @router.get("/models/{name}")
    def model_page(request: Request, name: str) -> Response:
        return render_page("model.html", detail=model_view(data.metadata, name), request=request)

    @router.get("/runs/{run}")
    def run_page(request: Request, run: str) -> Response:
        return render_page("run.html", detail=data.run(run), request=request)

    @router.get("/runs/{run}/live")
    def run_live(request: Request, run: str) -> Response:
        return render_page("_run_live.html", detail=data.run(run), request=request)

    @router.get("/runs/{run}/steps/{name}")
    def step_page(request: Request, run: str, name: str) -> Response:
        detail = details.step_detail(data, run, name)
        return render_page("step.html", detail=detail, request=request)

    @router.get("/step-runs/{step_run_id}")
    def step_run_page(step_run_id: str) -> Response:
        run_id, name = details.step_run_location(data, step_run_id)
        return RedirectResponse(data.links.step(run_id, name) or "/", status_code=307)

    @router.get("/artifacts/{artifact_id}")
    def artifact_page(request: Request, artifact_id: str) -> Response:
        detail = artifact_detail(data, artifact_id)
        return render_page("artifact.html", detail=detail, request=request)

    @router.get("/compare")
    def compare_page(request: Request, a: str | None = None, b: str | None = None) -> Response:
        comparison = data.client.compare(a, b) if a and b else None
        return render_page("compare.html", comparison=comparison, a=a, b=b, request=request)

    return router


_NOT_FOUND = (NotFoundError, ArtifactMissingError)


def _error_response(request: Request, exc: Exception) -> Response:
    status = 404 if isinstance(exc, _NOT_FOUND) else 400 if isinstance(exc, UserError) else 503
    message = str(exc).strip() or type(exc).__name__
    if request.url.path.startswith(API_PREFIX + "/"):
        return JSONResponse({"detail": message}, status_code=status)
    return render_page(
        "error.html", status_code=status, code=status, message=message, request=request
    )


def create_app(
    client: Client,
    *,
    token: str | None = None,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """The dashboard over ``client``'s stores.

    Args:
        client: where runs are read from.
        token: if given, every request must carry it (see :mod:`.security`).
        allowed_hosts: if given, requests naming another ``Host`` are refused (the CLI passes
            the loopback names when it binds to a loopback address).

    Example:
        >>> from fastapi.testclient import TestClient
        >>> from stepstone import Client
        >>> app = create_app(Client())                         # doctest: +SKIP
        >>> TestClient(app).get("/api/v1/runs").json()["total"]  # doctest: +SKIP
        0
    """
    from stepstone import __version__

    app = FastAPI(
        title="stepstone dashboard",
        version=__version__,
        description="Read-only view of stepstone runs, steps, artifacts and their lineage.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI loads its assets from a CDN: not offline, not under our CSP
        redoc_url=None,
    )
    data = DashboardData(client)
    app.state.data = data
    app.include_router(_api(data))
    app.include_router(_pages(data))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    async def stepstone_error(request: Request, exc: Exception) -> Response:
        return _error_response(request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(API_PREFIX + "/") or exc.status_code != 404:
            return await http_exception_handler(request, exc)
        return render_page(
            "error.html", status_code=404, code=404, message=exc.detail, request=request
        )

    app.add_exception_handler(StepstoneError, stepstone_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    install_security(app, token=token, allowed_hosts=allowed_hosts)
    return app
