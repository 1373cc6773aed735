"""What every command shares: the settings chosen by --config, and clean error exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer

from core.config import ConfigError, Settings, load_settings

_config_path: list[Path | None] = [None]


def set_config_path(path: Path | None) -> None:
    _config_path[0] = path


def config_path() -> Path | None:
    """The --config given, if any."""
    return _config_path[0]


def settings() -> Settings:
    try:
        return load_settings(_config_path[0])
    except ConfigError as exc:
        fail(str(exc))


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def errors_as_messages() -> Iterator[None]:
    """Domain errors end the command with their message, not a traceback."""
    from core.errors import Conflict, Invalid, NotFound

    try:
        yield
    except (Conflict, Invalid, NotFound) as exc:
        fail(str(exc))
