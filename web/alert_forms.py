"""The emergency alert form as typed: raw strings in, the API's AlertCreate out, or the
problems beside the fields they concern; and the drafts an operator starts from (the usual
kinds of emergency, in the words the commune's loudspeakers say them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field, ValidationError

from alerts.models import AlertCreate, AlertPublic, AlertStatus, AlertType, RepeatPlan
from web.i18n import gettext as _
from web.problems import N_, FormProblems, problems_of

Short = Field(default="", max_length=300)
EXPIRY_HOURS = (1, 2, 3, 6, 12, 24, 48, 72)
REPEAT_COUNTS = (1, 2, 3, 5, 10)
REPEAT_MINUTES = (5, 10, 15, 30, 60)


@dataclass(frozen=True)
class AlertTemplate:
    key: str
    label: str  # translated when shown
    event: str
    headline: str
    text: str


# The broadcast words are Vietnamese whatever the page's language: the commune hears them.
TEMPLATES = (
    AlertTemplate(
        "bao",
        N_("Typhoon"),
        "Bão",
        "Cảnh báo bão",
        "Thông báo khẩn cấp: Bão đang tiến vào địa bàn. Bà con không ra khơi, đưa tàu thuyền "
        "vào nơi neo đậu an toàn, chằng chống nhà cửa, chuẩn bị lương thực, nước uống, đèn pin "
        "và theo dõi các thông báo tiếp theo trên loa truyền thanh.",
    ),
    AlertTemplate(
        "lu",
        N_("Flood"),
        "Lũ",
        "Cảnh báo lũ",
        "Thông báo khẩn cấp: Nước lũ đang lên nhanh. Bà con ở vùng trũng thấp, ven sông suối "
        "di chuyển người và tài sản đến nơi an toàn; không qua ngầm tràn, không vớt củi trên "
        "sông; trẻ em không chơi gần nước.",
    ),
    AlertTemplate(
        "chay",
        N_("Forest fire"),
        "Cháy rừng",
        "Cảnh báo cháy rừng",
        "Thông báo khẩn cấp: Nguy cơ cháy rừng ở mức cực kỳ nguy hiểm. Nghiêm cấm đốt lửa "
        "trong rừng và ven rừng. Khi phát hiện cháy, báo ngay cho Ủy ban nhân dân xã.",
    ),
    AlertTemplate(
        "dich",
        N_("Epidemic"),
        "Dịch bệnh",
        "Thông báo phòng chống dịch bệnh",
        "Thông báo khẩn cấp: Trên địa bàn xã đã xuất hiện dịch bệnh. Bà con thực hiện các biện "
        "pháp phòng dịch theo hướng dẫn của trạm y tế; khi có triệu chứng, đến ngay trạm y tế "
        "xã.",
    ),
)
BLANK = AlertTemplate("", N_("Other emergency"), "", "", "")


def template_of(key: str) -> AlertTemplate:
    return next((t for t in TEMPLATES if t.key == key), BLANK)


class AlertFields(BaseModel):
    """The alert form, as typed. Checkboxes are absent when unticked."""

    template: str = Field(default="", max_length=20)
    msg_type: str = Field(default=AlertType.alert.value, max_length=10)
    references: str = Field(default="", max_length=200)  # the alert an Update replaces
    area_id: str = Short
    target_area_ids: list[str] = Field(default_factory=list, max_length=200)
    event: str = Short
    headline: str = Short
    text: str = Field(default="", max_length=5000)
    status: str = Field(default=AlertStatus.actual.value, max_length=12)
    expires_in_h: str = Field(default="6", max_length=4)
    repeat_count: str = Field(default="3", max_length=4)
    repeat_every_min: str = Field(default="15", max_length=4)
    volume: str = Field(default="100", max_length=4)
    issue_now: str = Field(default="", max_length=10)


def new_alert_fields(template: AlertTemplate, area_id: int | None) -> AlertFields:
    area = str(area_id or "")
    return AlertFields(
        template=template.key,
        area_id=area,
        target_area_ids=[area] if area else [],
        event=template.event,
        headline=template.headline,
        text=template.text,
    )


def update_fields(alert: AlertPublic) -> AlertFields:
    """An Update of an alert on the air: its words and targets, to be changed."""
    return AlertFields(
        msg_type=AlertType.update.value,
        references=alert.identifier,
        area_id=str(alert.area_id),
        target_area_ids=[str(i) for i in alert.target_area_ids],
        event=alert.event,
        headline=alert.headline,
        text="",
        status=alert.status.value,
        volume=str(alert.volume),
    )


def _whole(text: str, name: str, problems: FormProblems, choices: tuple[int, ...]) -> int:
    if text.isdigit() and int(text) in choices:
        return int(text)
    problems.add(name, _("Choose one from the list."))
    return choices[0]


def alert_in(fields: AlertFields, now: datetime) -> AlertCreate | FormProblems:
    """The AlertCreate the form stands for, or its problems, each beside its field."""
    problems = FormProblems()
    if not fields.headline.strip():
        problems.add("headline", _("Write the headline the operators will see."))
    if not fields.text.strip():
        problems.add("text", _("Write what the loudspeakers will say."))
    if not fields.target_area_ids:
        problems.add("target_area_ids", _("Tick at least one area to warn."))
    hours = _whole(fields.expires_in_h, "expires_in_h", problems, EXPIRY_HOURS)
    count = _whole(fields.repeat_count, "repeat_count", problems, REPEAT_COUNTS)
    minutes = _whole(fields.repeat_every_min, "repeat_every_min", problems, REPEAT_MINUTES)
    if problems:
        return problems
    repeat = RepeatPlan(count=count, interval_s=minutes * 60.0 if count > 1 else None)
    try:
        return AlertCreate.model_validate(
            {
                "msg_type": fields.msg_type,
                "references": [fields.references] if fields.references else [],
                "status": fields.status,
                "area_id": fields.area_id or None,
                "target_area_ids": fields.target_area_ids,
                "event": fields.event.strip(),
                "headline": fields.headline.strip(),
                "text": fields.text.strip(),
                "volume": fields.volume or None,
                "expires": now + timedelta(hours=hours),
                "repeat": repeat,
                "issue_now": bool(fields.issue_now),
            }
        )
    except ValidationError as exc:
        return problems_of(exc)
