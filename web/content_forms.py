"""The fields every new item has (title, tier, area, valid dates…), read from a page's form
and given back to it on an error with what the person typed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Form
from sqlmodel import Session

from audio.tts.engine import Voice
from core.auth.permissions import Action
from playlists.content.models import Tier
from playlists.content.services import ContentServices
from web.choices import area_choices
from web.context import PageView
from web.i18n import gettext as _
from web.labels import choices
from web.problems import N_, FormProblems

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
# The voices' own names, as the operators say them.
_VOICE_LABELS = {
    "Vietnamese (Northern)": N_("Vietnamese, Northern voice"),
    "Vietnamese (Central)": N_("Vietnamese, Central voice"),
    "Vietnamese (Southern)": N_("Vietnamese, Southern voice"),
}


@dataclass(frozen=True)
class MetaForm:
    title: str = ""
    category: str = ""
    tier: str = Tier.normal.value
    language: str = "vi"
    area_id: str = ""
    source: str = ""
    valid_from: str = ""
    valid_until: str = ""

    def model_data(self, zone: str, problems: FormProblems) -> dict[str, Any]:
        """The values as a content model takes them; unreadable dates go to `problems`."""
        data: dict[str, Any] = {
            "title": self.title,
            "category": self.category,
            "tier": self.tier,
            "language": self.language,
            "area_id": self.area_id or None,
            "source": self.source,
        }
        for name in ("valid_from", "valid_until"):
            text = getattr(self, name).strip()
            if not text:
                continue
            try:
                local = datetime.strptime(text, LOCAL_MINUTE)
            except ValueError:
                problems.add(name, _("Enter a date and time."))
                continue
            data[name] = local.replace(tzinfo=ZoneInfo(zone))
        return data

    def values(self) -> dict[str, str]:
        return asdict(self)


def meta_form(
    title: Annotated[str, Form(max_length=400)] = "",
    category: Annotated[str, Form(max_length=200)] = "",
    tier: Annotated[str, Form(max_length=20)] = Tier.normal.value,
    language: Annotated[str, Form(max_length=40)] = "vi",
    area_id: Annotated[str, Form(max_length=12)] = "",
    source: Annotated[str, Form(max_length=400)] = "",
    valid_from: Annotated[str, Form(max_length=20)] = "",
    valid_until: Annotated[str, Form(max_length=20)] = "",
) -> MetaForm:
    return MetaForm(title, category, tier, language, area_id, source, valid_from, valid_until)


MetaFormDep = Annotated[MetaForm, Depends(meta_form)]


def meta_context(
    *, session: Session, view: PageView, values: dict[str, str], problems: FormProblems
) -> dict[str, object]:
    areas = area_choices(
        session=session, principal=view.user.principal, action=Action.content_write
    )
    if not values.get("area_id") and areas:
        values = {**values, "area_id": str(areas[0].id)}  # the highest: one's commune
    return {
        "values": values,
        "problems": problems,
        "area_options": [(a.id, a.indented) for a in areas],
        "tiers": choices(Tier),
    }


def voice_options(services: ContentServices) -> list[tuple[str, str]]:
    """Vietnamese voices first, then the others by language."""
    voices: list[Voice] = [v for engine in services.tts_engines for v in engine.voices()]
    ordered = sorted(voices, key=lambda v: (v.language != "vi", v.language, v.label))
    return [(v.name, _voice_label(v)) for v in ordered]


def _voice_label(voice: Voice) -> str:
    shown = _VOICE_LABELS.get(voice.label)
    return _(shown) if shown else f"{voice.label} [{voice.language}]"


def voice_language(services: ContentServices, name: str) -> str | None:
    for engine in services.tts_engines:
        for voice in engine.voices():
            if voice.name == name:
                return voice.language
    return None
