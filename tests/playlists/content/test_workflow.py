from __future__ import annotations

import pytest

from playlists.content.models import ContentStatus as S
from playlists.content.workflow import (
    FourEyesViolation,
    Step,
    WorkflowError,
    check_four_eyes,
    next_status,
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


def test_four_eyes() -> None:
    check_four_eyes(creator_id=1, reviewer_id=2)
    with pytest.raises(FourEyesViolation):
        check_four_eyes(creator_id=3, reviewer_id=3)
