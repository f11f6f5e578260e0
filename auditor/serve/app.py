"""The app's pages and their routes (Starlette): four screens over the library.

1. ``/``: check a hearing: recordings, a session record (a file, or the form), options;
   ``/session.json`` turns the form into an ``auditor.session/1`` file to keep.
2. ``/job/ID``: the progress of a job (per file, time left, a cancel button), then its result.
3. ``/job/ID/report.FMT``: the scan's report, as ``auditor report`` renders it, in en/ru/kk.
4. ``/evidence``: an evidence bundle verified; a copy compared with its reference.

Every route is behind :class:`~auditor.serve.security.TokenGuard` (see :func:`make_app`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..compare.html import render_compare_html
from ..errors import AuditorError, SessionError
from ..report.explain import N_
from ..report.i18n import LANGS, get_lang
from ..session import profile_names
from .forms import OFFSETS, SessionForm
from .jobs import Job, Jobs
from .language import COOKIE, choose, environment
from .messages import diagnostics_in
from .security import REPORT_CSP, TokenGuard
from .uploads import MAX_UPLOAD, UploadError, check_length, receive_form
from .work import COMPARE_FILE, MEDIA_TYPES, bundle_work, compare_work, render, scan_work

__all__ = ["make_app"]

HERE = Path(__file__).resolve().parent
#: The largest session form read (bytes).
MAX_FORM = 256 * 2**10
_GRIDS = ("", "50", "60", "auto")
_ROWS = {"breaks": 2, "recordings": 3, "acts": 1}  # empty rows shown; "add a row" adds more


class App:
    """The routes, with the jobs and the limits they share."""

    def __init__(self, root: Path, *, max_upload: int) -> None:
        self.jobs = Jobs(root)
        self.root, self.max_upload = root, max_upload

    def page(self, request: Request, name: str, code: int = 200, **ctx: Any) -> HTMLResponse:
        """A page in the person's language (:func:`~auditor.serve.language.choose`); a
        ``lang`` query parameter is kept in the ``lang`` cookie for the next pages."""
        lang = choose(request.query_params, request.cookies,
                      request.headers.get("accept-language"))
        # the switch links to this page again when it is one a link can ask for
        here = request.url.path if request.method == "GET" else "/"
        html = environment(lang).get_template(name).render(langs=LANGS, ui=lang, here=here,
                                                          **ctx)
        response = HTMLResponse(html, status_code=code)
        if request.query_params.get("lang") in LANGS:
            response.set_cookie(COOKIE, lang, max_age=365 * 86400, path="/", httponly=True,
                                samesite="strict")
        return response

    def home(self, request: Request, form: SessionForm | None = None, error: str | None = None,
             status: int = 200, **options: str) -> HTMLResponse:
        form = form or SessionForm()
        rows = {k: form.rows.get(k, []) + [{}] * max(0, n - len(form.rows.get(k, [])))
                for k, n in _ROWS.items()}
        lang = choose(request.query_params, request.cookies,
                      request.headers.get("accept-language"))
        return self.page(request, "home.html.j2", status, form=form, rows=rows, error=error,
                         policies=profile_names(), grids=_GRIDS, offsets=OFFSETS,
                         chosen={"policy": "kz-2015", "lang": lang, "grid": "", **options})

    def job_or_404(self, request: Request) -> Job:
        job = self.jobs.get(request.path_params["job"])
        if job is None:
            raise _NotFound()
        return job

    async def receive(self, request: Request, kind: str, fields: frozenset[str]) -> Any:
        job = self.jobs.new(kind)
        try:
            upload = await receive_form(request.headers, request.stream(), job.folder,
                                        cap=self.max_upload, file_fields=fields)
        except BaseException:
            self.jobs.drop(job)  # nothing of a refused upload is kept
            raise
        return job, upload

    # --- screen 1: check a hearing ---------------------------------------------------------

    async def index(self, request: Request) -> Response:
        return self.home(request)

    async def check(self, request: Request) -> Response:
        job, up = await self.receive(request, "scan", frozenset({"recordings", "session"}))
        options = {"policy": up.text("policy", "kz-2015"), "lang": up.text("lang", "en"),
                   "grid": up.text("grid")}
        form = SessionForm.from_fields(up.fields)
        try:
            if options["policy"] not in profile_names():
                raise UploadError(N_("unknown policy %(policy)s"), policy=repr(options["policy"]))
            if options["lang"] not in LANGS or options["grid"] not in _GRIDS:
                raise UploadError(N_("unknown language or grid in the form"))
            session = (up.files.get("session") or [None])[0]
            if session is None and form.filled:
                record = form.session()  # the library's checks and messages
                # a dot: no upload can have this name (uploads.safe_name)
                session = job.folder / ".session-form.json"
                session.write_text(_json(record.to_json()), encoding="utf-8")
        except AuditorError as exc:
            self.jobs.drop(job)
            return self.home(request, form, diagnostics_in(exc, _ui(request)), 400, **options)
        job.options = {"recordings": up.files.get("recordings", []), "session": session,
                       "policy": options["policy"], "grid": options["grid"] or None,
                       "lang": options["lang"]}
        self.jobs.start(job, scan_work)
        return RedirectResponse(f"/job/{job.id}", status_code=303)

    async def session_json(self, request: Request) -> Response:
        check_length(request.headers, MAX_FORM, self.root)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                raise UploadError(N_("the session form is too large"), status=413)
        fields: dict[str, list[str]] = {}
        for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            fields.setdefault(k, []).append(v)
        form = SessionForm.from_fields(fields)
        try:
            record = form.session()
        except SessionError as exc:
            return self.home(request, form, exc.diagnostics(), 400)
        name = "session-" + "".join(c if c.isalnum() else "-" for c in (record.case or ""))[:60]
        return Response(_json(record.to_json()), media_type="application/json",
                        headers={"content-disposition":
                                 f'attachment; filename="{name.rstrip("-")}.json"'})

    # --- screens 2 and 3: a job's progress and its result --------------------------------

    async def job_page(self, request: Request) -> Response:
        job = self.job_or_404(request)
        shown = request.query_params.get("lang", job.options.get("lang") or choose(
            {}, request.cookies, request.headers.get("accept-language")))
        if shown not in LANGS:
            shown = "en"
        failure = diagnostics_in(job.failure, _ui(request)) if job.failure else None
        return self.page(request, "job.html.j2", job=job, status=job.status(), lang=shown,
                         failure=failure)

    async def job_status(self, request: Request) -> Response:
        return JSONResponse(self.job_or_404(request).status())

    async def cancel(self, request: Request) -> Response:
        job = self.job_or_404(request)
        job.cancel_event.set()
        return RedirectResponse(f"/job/{job.id}", status_code=303)

    def report(self, request: Request) -> Response:
        """A finished scan's report (a sync route: Starlette runs it on a thread)."""
        job = self.job_or_404(request)
        fmt, lang = request.path_params["fmt"], request.query_params.get("lang", "en")
        if job.kind != "scan" or job.state != "done" or fmt not in MEDIA_TYPES or \
                lang not in LANGS:
            raise _NotFound()
        data = render(job, fmt, lang)
        suffix = "" if fmt in ("json", "csv") or lang == "en" else f".{lang}"
        headers = {"x-auditor-csp": REPORT_CSP}
        if fmt != "html" or request.query_params.get("download"):
            headers["content-disposition"] = f'attachment; filename="report{suffix}.{fmt}"'
        return Response(data, media_type=MEDIA_TYPES[fmt], headers=headers)

    # --- screen 4: the court's evidence ---------------------------------------------------

    async def evidence(self, request: Request) -> Response:
        return self.page(request, "evidence.html.j2")

    async def bundle(self, request: Request) -> Response:
        job, up = await self.receive(request, "bundle", frozenset({"bundle", "key"}))
        bundle = (up.files.get("bundle") or [None])[0]
        if bundle is None:
            self.jobs.drop(job)
            return self.page(request, "evidence.html.j2", 400, error=_tr(
                request, N_("choose the evidence bundle (a .zip file)")))
        job.options = {"bundle": bundle, "key": (up.files.get("key") or [None])[0]}
        self.jobs.start(job, bundle_work)
        return RedirectResponse(f"/job/{job.id}", status_code=303)

    async def compare(self, request: Request) -> Response:
        job, up = await self.receive(request, "compare",
                                     frozenset({"reference", "copies", "key"}))
        reference = (up.files.get("reference") or [None])[0]
        if reference is None or not up.files.get("copies"):
            self.jobs.drop(job)
            return self.page(request, "evidence.html.j2", 400, error=_tr(
                request, N_("choose the reference (recording or bundle) and the copy")))
        job.options = {"reference": reference, "copies": up.files["copies"],
                       "key": (up.files.get("key") or [None])[0]}
        self.jobs.start(job, compare_work)
        return RedirectResponse(f"/job/{job.id}", status_code=303)

    def compare_report(self, request: Request) -> Response:
        job = self.job_or_404(request)
        fmt, lang = request.path_params["fmt"], request.query_params.get("lang", "en")
        if job.kind != "compare" or job.state != "done" or fmt not in ("html", "json") or \
                lang not in LANGS:
            raise _NotFound()
        if fmt == "json":
            return Response((job.folder / COMPARE_FILE).read_bytes(),
                            media_type=MEDIA_TYPES["json"],
                            headers={"content-disposition": 'attachment; filename="compare.json"',
                                     "x-auditor-csp": REPORT_CSP})
        html = job.result["html"] if lang == "en" else render_compare_html(
            job.result["report"], lang)
        return Response(html, media_type=MEDIA_TYPES["html"],
                        headers={"x-auditor-csp": REPORT_CSP})


class _NotFound(Exception):
    """No such job, or nothing of that name in it."""


def _ui(request: Request) -> str:
    """The person's language (:func:`~auditor.serve.language.choose`)."""
    return choose(request.query_params, request.cookies, request.headers.get("accept-language"))


def _tr(request: Request, message: str) -> str:
    """``message`` (marked with ``N_``) in the person's language."""
    return get_lang(_ui(request)).gettext(message)


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def make_app(root: Path, token: str, *, max_upload: int = MAX_UPLOAD) -> Any:
    """The ASGI app: its routes under the token guard; jobs' folders under ``root``."""
    app = App(root, max_upload=max_upload)

    async def auditor_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuditorError)
        status = exc.status if isinstance(exc, UploadError) else 400
        return app.page(request, "error.html.j2", status,
                        error=diagnostics_in(exc, _ui(request)))

    async def not_found(request: Request, exc: Exception) -> Response:
        return app.page(request, "error.html.j2", 404, error=_tr(
            request, N_("nothing here: no such job or file (jobs end when the app stops)")))

    routes = [
        Route("/", app.index), Route("/check", app.check, methods=["POST"]),
        Route("/session.json", app.session_json, methods=["POST"]),
        Route("/evidence", app.evidence),
        Route("/evidence/bundle", app.bundle, methods=["POST"]),
        Route("/evidence/compare", app.compare, methods=["POST"]),
        Route("/job/{job}", app.job_page), Route("/job/{job}/status", app.job_status),
        Route("/job/{job}/cancel", app.cancel, methods=["POST"]),
        Route("/job/{job}/report.{fmt}", app.report),
        Route("/job/{job}/compare.{fmt}", app.compare_report),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    star = Starlette(routes=routes, exception_handlers={
        AuditorError: auditor_error, _NotFound: not_found, 404: not_found})
    star.state.app = app
    return TokenGuard(star, token)
