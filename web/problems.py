"""Errors as a page shows them: beside the field they concern, in the page's language.

The data functions and models speak English to the API. A page translates: pydantic's
validation errors by their type, the domain's refusals by the patterns below (each an
English message the domain raises, with the values it carries kept). A refusal no pattern
knows is shown in English under a translated lead, never hidden."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from audio.errors import AudioRejected
from core.errors import Conflict, Forbidden, Invalid, NotFound
from web.i18n import gettext as _


def N_(message: str) -> str:
    """Marks a message for the catalog; it is translated when shown."""
    return message


GENERAL = "_"  # the key of a problem that concerns the whole form


@dataclass
class FormProblems:
    """What a submitted form got wrong: field name → message, already translated."""

    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def add(self, name: str | None, message: str) -> None:
        self.fields.setdefault(name or GENERAL, message)

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    @property
    def general(self) -> str | None:
        return self.fields.get(GENERAL)


_VALIDATION: Mapping[str, str] = {
    "missing": N_("This is required."),
    "string_too_short": N_("Write at least %(min_length)s character(s)."),
    "string_too_long": N_("Write at most %(max_length)s characters."),
    "too_short": N_("Choose at least %(min_length)s."),
    "too_long": N_("Choose at most %(max_length)s."),
    "greater_than": N_("Enter a number above %(gt)s."),
    "greater_than_equal": N_("Enter %(ge)s or more."),
    "less_than": N_("Enter a number below %(lt)s."),
    "less_than_equal": N_("Enter %(le)s or less."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "bool_parsing": N_("Choose yes or no."),
    "time_parsing": N_("Enter a time as HH:MM, for example 06:30."),
    "date_parsing": N_("Enter a date as DD/MM/YYYY."),
    "date_from_datetime_parsing": N_("Enter a date as DD/MM/YYYY."),
    "datetime_parsing": N_("Enter a date and time."),
    "datetime_from_date_parsing": N_("Enter a date and time."),
    "url_parsing": N_("Enter a full web address, starting with http:// or https://."),
    "url_scheme": N_("The address must start with http:// or https://."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "string_pattern_mismatch": N_("This is not in the expected form."),
}

# (pattern of the domain's English message, the message a page shows); named groups are
# the values kept, interpolated into the translation.
_DOMAIN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (
            r"^four eyes: you created or changed ",
            N_(
                "You wrote or changed this, so you cannot approve it (four eyes): "
                "ask another approver."
            ),
        ),
        (
            r" is outside your roles' scope$",
            N_("This is outside your area: your roles do not allow it there."),
        ),
        (r"^none of your roles allows ", N_("None of your roles allows this.")),
        (r"^area #\d+ does not exist$", N_("Choose an area from the list.")),
        (r"^station group #\d+ does not exist$", N_("Choose a station group from the list.")),
        (r"^session #\d+ does not exist$", N_("Choose a broadcast session from the list.")),
        (
            r"^content #\d+ is not valid on (?P<day>\S+)$",
            N_("This content is not valid on %(day)s: check its valid dates."),
        ),
        (
            r"^a relay needs a fixed time and relay_length_s$",
            N_("A relay needs a fixed start time and a length."),
        ),
        (r"^a relay length needs a fixed time", N_("A relay length needs a fixed start time.")),
        (
            r"^the audio is silent",
            N_("The recording is silent (or nearly): nothing would be heard."),
        ),
        (r"^the file is empty", N_("The file is empty (0 bytes).")),
        (
            r"^this (file has no audio|is not an audio file)",
            N_("This is not an audio file: choose a sound file (MP3, WAV, M4A, OGG…)."),
        ),
        (r"^the audio is damaged", N_("The audio is damaged or cut short.")),
        (r"^the text is empty", N_("The text is empty: there is nothing to read.")),
        (
            r"^reading this text took over",
            N_("Reading this text took too long: shorten it."),
        ),
        (
            r"^date \S+ is more than a year from today",
            N_("Choose a date within a year from today."),
        ),
        (
            r"^a session needs at least one target",
            N_("Tick at least one area or station group to play it."),
        ),
        (
            r"^a (once|range) recurrence needs start_date",
            N_("Choose the first day (for “once”, the day itself)."),
        ),
        (r"^a range recurrence needs end_date", N_("Choose the last day of the range.")),
        (r"^a weekdays recurrence needs at least one", N_("Tick at least one weekday.")),
        (r"^weekdays run from 0", N_("Choose weekdays from the list.")),
        (r"^a monthly recurrence needs day_of_month", N_("Enter the day of the month, 1 to 31.")),
        (r"^end_date is before start_date", N_("The last day is before the first day.")),
        (r"^a local time has no offset", N_("Enter a time as HH:MM, for example 06:30.")),
        (
            r"^content #\d+ is \w+: only approved content can be queued",
            N_("Only approved content can be queued: this one is not approved (any more)."),
        ),
        (
            r"^no (session|queue entry|content item) #\d+$",
            N_("This no longer exists (it may have been deleted): go back and reload the page."),
        ),
        (
            r"^the audio lasts (?P<minutes>[\d.]+) minutes; the limit is (?P<limit>[\d.]+) ",
            N_("The recording lasts %(minutes)s minutes; at most %(limit)s minutes are taken."),
        ),
        (
            r"^the file is cut short",
            N_("The file is cut short: part of it is missing. Send the whole file again."),
        ),
        (
            r"^files of type .* are not accepted",
            N_("Files of this type are not taken: upload MP3, WAV, OGG, M4A, AMR or FLAC."),
        ),
        (
            r"^(processing took longer|the file could not be read in time)",
            N_("Processing the file took too long: it may be damaged."),
        ),
        (
            r"^the server stopped while this file was being processed",
            N_("The server restarted while the file was being processed: upload it again."),
        ),
        (
            r"^area code '(?P<code>[^']*)' is already used by area #\d+ \((?P<name>.*)\)$",
            N_("The code %(code)s is already used by %(name)s."),
        ),
        (r"^parent area #\d+ does not exist$", N_("Choose an area from the list.")),
        (
            r"^an area cannot be moved under itself",
            N_("An area cannot be moved under itself or an area below it."),
        ),
        (
            r"^area #\d+ still has areas under it",
            N_("Areas lie under this one: delete or move them first."),
        ),
        (
            r"^users belong to area #\d+",
            N_("Users are homed in this area: move them to another area first."),
        ),
        (
            r"^roles are held in area #\d+",
            N_("Roles are held in this area: take those roles away first."),
        ),
        (r"^username '(?P<name>[^']*)' is taken$", N_("The username %(name)s is taken.")),
        (
            r"^user #\d+ already holds (?P<role>\w+) in area",
            N_("The person already holds this role in this area."),
        ),
        (
            r"^you cannot deactivate your own account",
            N_("You cannot deactivate your own account."),
        ),
        (
            r"^you cannot take away your own admin role",
            N_("You cannot take away your own admin role: ask another admin."),
        ),
        (
            r"^station #\d+ lies outside the group's area",
            N_("This cluster lies outside the group's area."),
        ),
        (r"^station #\d+ does not exist$", N_("Choose a cluster from the list.")),
        (
            r"^days_off are weekdays",
            N_("Choose the days off from the weekdays listed."),
        ),
        (
            r"^the server could not process this file",
            N_(
                "The server could not process this file. Try again; if it fails again, "
                "tell your technician."
            ),
        ),
    )
)


def translate_refusal(message: str) -> str:
    for pattern, shown in _DOMAIN:
        found = pattern.search(message)
        if found:
            return _(shown) % found.groupdict() if found.groupdict() else _(shown)
    return _("The server refused this: %(detail)s") % {"detail": message}


def validation_message(error: Mapping[str, Any], name: str | None) -> str:
    kind = str(error.get("type", ""))
    if kind == "string_too_short" and (error.get("ctx") or {}).get("min_length") == 1:
        kind = "missing"  # an empty title is a missing one
    if name and name.endswith("_id") and kind in ("missing", "int_type", "int_parsing"):
        return _("Choose one from the list.")
    shown = _VALIDATION.get(kind)
    if shown is None:
        return _("This value is not accepted: %(detail)s") % {"detail": error.get("msg", "")}
    context = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, int | str)}
    try:
        return _(shown) % context
    except (KeyError, TypeError):
        return _(shown)


def problems_of(exc: Exception, *, fields: Mapping[str, str] | None = None) -> FormProblems:
    """The form's problems from what a data function or model raised. `fields` maps a
    model's field name to the form's where they differ."""
    renamed = fields or {}
    problems = FormProblems()
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = [str(part) for part in error.get("loc", ())]
            name = loc[0] if loc else None
            problems.add(renamed.get(name or "", name), validation_message(error, name))
    elif isinstance(exc, Invalid):
        name = exc.field
        problems.add(renamed.get(name or "", name), translate_refusal(str(exc)))
    elif isinstance(exc, (Forbidden, Conflict, NotFound, AudioRejected)):
        problems.add(None, translate_refusal(str(exc)))
    else:
        raise exc
    return problems


REFUSALS = (ValidationError, Invalid, Forbidden, Conflict, NotFound, AudioRejected)


def status_of(exc: Exception) -> int:
    """The status a page answers a refusal with: the API's for the same error."""
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 422
