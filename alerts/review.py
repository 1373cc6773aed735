"""An approver's answer to a pending alert, whichever page or route gives it: approve (it
goes on the air at once, never by its own author) or reject, each in the approver's scope."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from alerts import crud
from alerts.board import AlertBoard
from alerts.issuing import require_scope
from alerts.models import Alert
from core.auth.deps import AccessControl
from core.auth.four_eyes import require_four_eyes


def approve_alert(
    *, session: Session, access: AccessControl, board: AlertBoard, alert_id: int, now: datetime
) -> Alert:
    alert = crud.get_alert(session=session, alert_id=alert_id)
    reach = crud.areas_in_reach(
        session=session, targets=alert.target_ids(), references=alert.reference_list()
    )
    require_scope(access, alert.area_id, reach, what=f"alert #{alert_id}")
    require_four_eyes(
        authors=[alert.created_by],
        reviewer_id=access.principal.user_id,
        what=f"alert #{alert_id}",
        instead="another approver must approve it (or it is issued at once with issue_now, "
        "where the policy allows it)",
    )
    crud.issue(session=session, alert=alert, actor=access.actor, now=now)
    session.commit()
    board.changed()  # on the air: pushed now, in the manifests from now
    return alert


def reject_alert(*, session: Session, access: AccessControl, alert_id: int, now: datetime) -> Alert:
    alert = crud.get_alert(session=session, alert_id=alert_id)
    targeted = crud.areas_targeted(session=session, targets=alert.target_ids())
    require_scope(access, alert.area_id, targeted, what=f"alert #{alert_id}")
    crud.reject_alert(session=session, alert=alert, actor=access.actor, now=now)
    session.commit()
    return alert
