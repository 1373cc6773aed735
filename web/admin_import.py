"""Importing the official area tree from a page (the CLI's `loaxa areas import-vn`, the same
`import_areas`): long work, so it runs in a thread of its own while the page shows how far
it is. Its progress part asks again every second (htmx) and stops asking once the import
is over; without JavaScript the page reloads itself. One transaction: an import that fails
leaves nothing half-written. Only a national admin (area.write at the top of the tree)
may start one."""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from core.areas.import_vn import AreaSpec, ImportResult, import_areas, official_areas
from core.areas.models import Area
from core.audit.chain import Actor
from core.auth.deps import AccessControl
from core.auth.permissions import Action, Principal
from core.clock import Clock
from core.db import Database
from core.deps import SessionDep, SettingsDep
from core.errors import Conflict, NotFound
from core.models import PathId
from web.admin_common import access
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.problems import FormProblems

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
REFRESH_S = 1  # the progress is asked again this often while the import runs
_made = threading.Lock()


@dataclass
class ImportJob:
    id: int
    user_id: int
    total: int
    started_at: datetime
    done: int = 0
    state: str = "running"  # running, done, failed
    result: ImportResult | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


@dataclass
class AreaImports:
    """The imports this process runs, one at a time, each in a thread of its own."""

    database: Database
    clock: Clock
    timezone: str
    _jobs: dict[int, ImportJob] = field(default_factory=dict)
    _threads: dict[int, threading.Thread] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def start(self, *, specs: list[AreaSpec], actor: Actor, user_id: int) -> ImportJob:
        with self._lock:
            if any(j.state == "running" for j in self._jobs.values()):
                raise Conflict("an import of the areas is already running")
            job = ImportJob(next(self._ids), user_id, len(specs), self.clock.now())
            self._jobs[job.id] = job
            thread = threading.Thread(
                target=self._run,
                args=(job, specs, actor),
                name=f"area-import-{job.id}",
                daemon=True,
            )
            self._threads[job.id] = thread
        thread.start()
        return job

    def _run(self, job: ImportJob, specs: list[AreaSpec], actor: Actor) -> None:
        def advanced(n: int) -> None:
            job.done += n

        try:
            with self.database.session(write=True) as session:
                result = import_areas(
                    session=session,
                    specs=specs,
                    actor=actor,
                    now=self.clock.now(),
                    timezone=self.timezone,
                    progress=advanced,
                )
                session.commit()
            job.result, job.state = result, "done"
        except Exception:
            log.exception("the import of the areas (#%s) failed", job.id)
            job.state = "failed"

    def get(self, job_id: int, *, user_id: int) -> ImportJob:
        job = self._jobs.get(job_id)
        if job is None or job.user_id != user_id:
            raise NotFound(f"no area import #{job_id}")
        return job

    def join(self, timeout_s: float) -> None:
        """Waits for the imports started (the tests' way to see one end)."""
        for thread in list(self._threads.values()):
            thread.join(timeout_s)


def area_imports(request: Request, settings: SettingsDep) -> AreaImports:
    state = request.app.state
    with _made:
        if getattr(state, "area_imports", None) is None:
            state.area_imports = AreaImports(state.database, state.clock, settings.default_timezone)
    imports: AreaImports = state.area_imports
    return imports


AreaImportsDep = Annotated[AreaImports, Depends(area_imports)]


def _tops(session: Session) -> list[Area]:
    return list(session.exec(select(Area).where(col(Area.parent_id).is_(None))).all())


def may_import(session: Session, principal: Principal) -> bool:
    tops = _tops(session)
    return bool(tops) and all(principal.can(Action.area_write, a.path) for a in tops)


def _national(session: Session, view: PageView) -> AccessControl:
    """area.write at the top of the tree (every root area): a national admin."""
    control = access(session, view, Action.area_write)
    tops = _tops(session)
    if not tops:
        control.require_area(None, what="the import of the areas")
    for top in tops:
        control.require_area(top.id, what="the import of the areas")
    return control


@cache
def provinces() -> tuple[tuple[str, str], ...]:
    """(code, name) of the official provinces, in code order."""
    return tuple((s.code, s.name) for s in official_areas() if s.level == "province")


def _form(
    view: PageView, province: str = "", problems: FormProblems | None = None, status_code: int = 200
) -> Response:
    context = {
        "provinces": provinces(),
        "province": province,
        "problems": problems or FormProblems(),
    }
    return view.render("admin/import.html", context, status_code=status_code)


@router.get("/admin/areas/import")
def import_form(session: SessionDep, view: PageDep) -> Response:
    _national(session, view)
    return _form(view)


@router.post("/admin/areas/import")
def start_import(
    session: SessionDep,
    view: CsrfPageDep,
    imports: AreaImportsDep,
    province: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    control = _national(session, view)
    if province and province not in dict(provinces()):
        problems = FormProblems()
        problems.add("province", _("Choose a province from the list."))
        return _form(view, province, problems, 422)
    code = int(province) if province else None
    specs = list(official_areas(code))
    try:
        job = imports.start(specs=specs, actor=control.actor, user_id=control.principal.user_id)
    except Conflict:
        problems = FormProblems()
        problems.add(None, _("An import is already running: wait for it to end."))
        return _form(view, province, problems, 409)
    return RedirectResponse(f"/admin/areas/import/{job.id}", status_code=303)


@router.get("/admin/areas/import/{job_id}")
def import_progress(
    session: SessionDep, view: PageDep, imports: AreaImportsDep, job_id: PathId
) -> Response:
    _national(session, view)
    job = imports.get(job_id, user_id=view.user.principal.user_id)
    context: dict[str, Any] = {"job": job}
    headers = {"Cache-Control": "no-store"}
    if view.is_fragment:
        return view.render("admin/_import_job.html", context, headers=headers)
    context["refresh_s"] = REFRESH_S
    return view.render("admin/import_job.html", context, headers=headers)
