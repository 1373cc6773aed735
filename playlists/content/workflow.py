"""The approval workflow, as pure rules: draft → submitted → approved | rejected → archived."""

from __future__ import annotations

from enum import StrEnum

from playlists.content.models import ContentStatus as S


class Step(StrEnum):
    submit = "submit"
    approve = "approve"
    reject = "reject"
    archive = "archive"


_TRANSITIONS: dict[Step, tuple[frozenset[S], S]] = {
    Step.submit: (frozenset({S.draft, S.rejected}), S.submitted),
    Step.approve: (frozenset({S.submitted}), S.approved),
    Step.reject: (frozenset({S.submitted}), S.rejected),
    Step.archive: (frozenset({S.draft, S.submitted, S.approved, S.rejected}), S.archived),
}

# Editing in place is allowed in these states; an approved item gets a new version instead.
EDITABLE_IN_PLACE = frozenset({S.draft, S.submitted, S.rejected})


class WorkflowError(Exception):
    """The step is not allowed from the item's state, or not by this person."""


def next_status(current: S, step: Step) -> S:
    allowed_from, target = _TRANSITIONS[step]
    if current not in allowed_from:
        states = ", ".join(sorted(s.value for s in allowed_from))
        raise WorkflowError(
            f"cannot {step.value} an item that is {current.value} (only from: {states})"
        )
    return target


def with_contributor(contributors: str, user_id: int) -> str:
    """The ",3,7," list of everyone who wrote or changed a version, with `user_id` added."""
    ids = contributor_ids(contributors) | {user_id}
    return "," + ",".join(str(i) for i in sorted(ids)) + ","


def contributor_ids(contributors: str) -> set[int]:
    return {int(part) for part in contributors.split(",") if part.strip().isdigit()}
