"""Four eyes: nobody approves what they wrote or changed (Decree 49/2024/NĐ-CP: content is
approved before it airs). The one rule, for content versions and emergency alerts alike."""

from __future__ import annotations

from collections.abc import Collection

from core.errors import Forbidden


class FourEyesViolation(Forbidden):
    """The reviewer wrote or changed what they are reviewing."""


def require_four_eyes(
    *, authors: Collection[int | None], reviewer_id: int | None, what: str, instead: str
) -> None:
    """Refuse a review by one of `authors`; `instead` tells the reviewer what to do."""
    if reviewer_id is not None and reviewer_id in authors:
        raise FourEyesViolation(f"four eyes: you created or changed {what}: {instead}")
