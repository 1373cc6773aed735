"""What a CAP alert's `<resource>`s bring: the sender's recording, played instead of TTS,
and images kept with the alert.

A resource counts when it is embedded (`<derefUri>`, decoded by the reader) or its `<uri>`
is on an allowed host (`alerts.cap_fetch`); anything else is read past. The first audio
resource is the recording; images are taken when their bytes are what they claim to be
(JPEG, PNG, GIF or WebP: raster formats only, so a served image can never run script).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alerts.cap_fetch import FetchRules, fetch
from alerts.cap_models import CapAlert, CapInfo, CapResource
from core.errors import Invalid

log = logging.getLogger(__name__)

# The formats kept, and how their files begin.
IMAGE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),  # and "WEBP" at offset 8, checked below
}
IMAGE_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WebP"}
# Names senders use for them outside the IANA registry.
MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}


@dataclass(frozen=True, kw_only=True)
class MediaFile:
    """A resource's bytes on disk, with where in the document they came from (for a refusal
    naming the element)."""

    path: Path
    sha256: str
    size_bytes: int
    mime_type: str
    description: str
    where: str


@dataclass(frozen=True)
class CapMedia:
    recording: MediaFile | None = None
    images: tuple[MediaFile, ...] = ()


def no_media() -> CapMedia:
    return CapMedia()


def cap_media(cap: CapAlert, info: CapInfo, *, folder: Path, rules: FetchRules) -> CapMedia:
    """The recording and images of `info` (the block the alert is made from), fetched into
    `folder` where needed; raises Invalid naming the element when one is not what it says."""
    info_path = _indexed("alert/info", cap.infos.index(info), len(cap.infos))
    recording: MediaFile | None = None
    images: dict[str, MediaFile] = {}
    for n, resource in enumerate(info.resources):
        where = _indexed(f"{info_path}/resource", n, len(info.resources))
        mime_type = _mime_type(resource)
        kind = mime_type.partition("/")[0]
        if kind == "audio" and recording is None:
            recording = _file(resource, where, folder / f"resource-{n}", rules)
        elif kind == "image" and mime_type in IMAGE_SIGNATURES:
            image = _file(resource, where, folder / f"resource-{n}", rules)
            if image is not None:
                _require_image(image)
                images.setdefault(image.sha256, image)
        elif kind == "image":
            log.info("CAP import: %s (%s) not kept: not a raster image", where, resource.mime_type)
    return CapMedia(recording=recording, images=tuple(images.values()))


def _indexed(path: str, index: int, count: int) -> str:
    # As alerts.cap names elements: indexed from 1, only when there are several.
    return path if count == 1 else f"{path}[{index + 1}]"


def _mime_type(resource: CapResource) -> str:
    mime_type = resource.mime_type.split(";")[0].strip().lower()
    return MIME_ALIASES.get(mime_type, mime_type)


def _file(resource: CapResource, where: str, target: Path, rules: FetchRules) -> MediaFile | None:
    common = {"mime_type": _mime_type(resource), "description": resource.description}
    embedded = resource.embedded
    if embedded is not None and embedded.path is not None:
        return MediaFile(
            path=embedded.path,
            sha256=embedded.sha256,
            size_bytes=embedded.size_bytes,
            where=f"{where}/derefUri",
            **common,
        )
    if resource.uri is None or not rules.allows(resource.uri):
        if resource.uri is not None:
            log.info("CAP import: %s not fetched: its host is not in cap_resource_hosts", where)
        return None
    uri_where = f"{where}/uri"
    if resource.size is not None and resource.size > rules.max_bytes:
        raise Invalid(
            f"the resource is {resource.size} bytes (its <size>), more than "
            f"{rules.max_bytes} (settings: cap_resource_max_bytes)",
            field=uri_where,
        )
    fetched = fetch(resource.uri, target=target, rules=rules, where=uri_where)
    return MediaFile(
        path=fetched.path,
        sha256=fetched.sha256,
        size_bytes=fetched.size_bytes,
        where=uri_where,
        **common,
    )


def _require_image(image: MediaFile) -> None:
    with image.path.open("rb") as handle:
        head = handle.read(12)
    matches = head.startswith(IMAGE_SIGNATURES[image.mime_type]) and (
        image.mime_type != "image/webp" or head[8:12] == b"WEBP"
    )
    if not matches:
        raise Invalid(
            f"not a {IMAGE_NAMES[image.mime_type]} image, as its <mimeType> {image.mime_type} says",
            field=image.where,
        )
