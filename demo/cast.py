"""Who and what the demo is about: one rural commune (xã), its people, its two loudspeaker
clusters and the bulletins they air. Names are official, from `vietnam-provinces`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

TIMEZONE = "Asia/Ho_Chi_Minh"
# Hà Nội, whose first rural commune (xã) hosts the demo: "xã" keeps weekends on the air
# (urban wards, phường, have them off by default).
PROVINCE_CODE = 1


@dataclass(frozen=True, kw_only=True)
class DemoArea:
    name: str
    code: str
    level: str
    division_type: str


@dataclass(frozen=True, kw_only=True)
class Person:
    username: str
    password: str
    role: str
    full_name: str


@dataclass(frozen=True, kw_only=True)
class Bulletin:
    title: str
    text: str


STATIONS = (("Cụm loa thôn Đông", "demo-thon-dong"), ("Cụm loa thôn Tây", "demo-thon-tay"))
JINGLE_TITLE = "Nhạc hiệu đài truyền thanh xã"
# Short on purpose: the whole session is about 20 s, so the demo shows a full run quickly.
BULLETINS = (
    Bulletin(
        title="Thông báo lịch tiêm phòng",
        text="Thông báo lịch tiêm phòng. Sáng thứ Bảy, trạm y tế xã tiêm vắc-xin "
        "cho trẻ em dưới năm tuổi. Đề nghị các gia đình đưa trẻ đến đúng giờ.",
    ),
    Bulletin(
        title="Phòng chống sốt xuất huyết",
        text="Ủy ban nhân dân xã đề nghị bà con phát quang bụi rậm, diệt lăng quăng, "
        "phòng chống sốt xuất huyết.",
    ),
)
SESSION_NAME = "Phiên phát thử (demo)"
SESSION_MAX_LENGTH_S = 120
# Fallback when the official list is not at hand (it comes with the server's parts).
FALLBACK_AREAS = (
    DemoArea(name="Thành phố Hà Nội", code="01", level="province", division_type="tỉnh"),
    DemoArea(name="Xã Sóc Sơn", code="00376", level="commune", division_type="xã"),
)


def demo_areas() -> tuple[DemoArea, DemoArea]:
    """The province and its first rural commune, by their official names and codes."""
    try:
        from core.areas.import_vn import official_areas
    except ImportError:
        return FALLBACK_AREAS
    found = [
        DemoArea(name=s.name, code=s.code, level=s.level, division_type=s.division_type)
        for s in official_areas(province=PROVINCE_CODE)
    ]
    province = next(s for s in found if s.level == "province")
    commune = next(s for s in found if s.division_type == "xã")
    return province, commune


def new_people() -> tuple[Person, Person, Person]:
    """The admin (quản trị), an operator (biên tập viên) and an approver (người duyệt),
    with fresh passwords each run."""

    def person(username: str, role: str, full_name: str) -> Person:
        return Person(
            username=username,
            password=secrets.token_urlsafe(9),
            role=role,
            full_name=full_name,
        )

    return (
        person("admin", "admin", "Quản trị hệ thống"),
        person("bientap", "operator", "Nguyễn Thị Biên Tập"),
        person("duyet", "approver", "Trần Văn Duyệt"),
    )
