"""Times as the operators read them: in the area's zone, in Vietnamese form
(`07:30, Thứ Hai 02/11/2026`), with the zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from web.i18n import gettext as _

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def local_datetime(moment: datetime, zone: str, locale: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    weekdays = WEEKDAYS_VI if locale == "vi" else WEEKDAYS_EN
    return f"{local:%H:%M}, {weekdays[local.weekday()]} {local:%d/%m/%Y}"


def local_time(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"


def zone_name(zone: str) -> str:
    """What the page says the times are in: "giờ Việt Nam" for the country's own zone."""
    if zone in ("Asia/Ho_Chi_Minh", "Asia/Saigon"):
        return _("Vietnam time")
    return _("time in %(zone)s") % {"zone": zone}
