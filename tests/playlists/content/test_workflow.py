from __future__ import annotations

import pytest

from core.auth.four_eyes import FourEyesViolation, require_four_eyes
from playlists.content.models import ContentStatus as S
from playlists.content.workflow import (
    Step,
    WorkflowError,
    contributor_ids,
    next_status,
    with_contributor,
)


@pytest.mark.parametrize(
    ("current", "step", "target"),
    [
        (S.draft, Step.submit, S.submitted),
        (S.rejected, Step.submit, S.submitted),
        (S.submitted, Step.approve, S.approved),
        (S.submitted, Step.reject, S.rejected),
        (S.approved, Step.archive, S.archived),
        (S.draft, Step.archive, S.archived),
    ],
)
def test_allowed_steps(current: S, step: Step, target: S) -> None:
    assert next_status(current, step) == target


@pytest.mark.parametrize(
    ("current", "step"),
    [
        (S.draft, Step.approve),
        (S.approved, Step.submit),
        (S.archived, Step.submit),
        (S.archived, Step.archive),
        (S.approved, Step.reject),
        (S.rejected, Step.approve),
    ],
)
def test_refused_steps_say_from_where(current: S, step: Step) -> None:
    with pytest.raises(WorkflowError, match=f"cannot {step.value} an item that is {current.value}"):
        next_status(current, step)


def test_four_eyes_covers_everyone_who_touched_the_version() -> None:
    contributors = with_contributor(with_contributor("", 3), 7)
    assert contributors == ",3,7,"
    authors = contributor_ids(contributors)
    require_four_eyes(authors=authors, reviewer_id=2, what="it", instead="ask another")
    for author in (3, 7):
        with pytest.raises(FourEyesViolation):
            require_four_eyes(authors=authors, reviewer_id=author, what="it", instead="ask another")
