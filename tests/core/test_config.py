"""Settings: YAML defaults, LOAXA_* overrides, validation, frozen."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import DEFAULT_CONFIG_PATH, ConfigError, Settings, load_settings


def test_shipped_config_loads_with_sqlite_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOAXA_DATABASE_URL", "LOAXA_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(DEFAULT_CONFIG_PATH)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.default_timezone == "Asia/Ho_Chi_Minh"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("port: 9000\ntoken_ttl_minutes: 60\n")
    monkeypatch.setenv("LOAXA_PORT", "9100")
    settings = load_settings(config)
    assert settings.port == 9100
    assert settings.token_ttl_minutes == 60


def test_postgres_url_switches_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAXA_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:5432/loaxa")
    assert load_settings().database_url == "postgresql+psycopg://u@127.0.0.1:5432/loaxa"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("prot: 80\n", "prot"),
        ("port: eighty\n", "port (LOAXA_PORT)"),
        ("default_timezone: Asia/Hanoi_City\n", "default_timezone"),
        ("database_url: mysql://x\n", "database_url"),
    ],
)
def test_bad_file_values_are_named(tmp_path: Path, text: str, named: str) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError, match="invalid configuration") as caught:
        load_settings(config)
    assert named in str(caught.value)


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]
    assert isinstance(settings, Settings)


def test_the_settings_know_cap_categories_as_the_parser_does() -> None:
    # core imports no feature, so config.py keeps its own copy of CAP's <category> values.
    from alerts.cap_models import CATEGORIES
    from core.config import CAP_CATEGORIES

    assert CAP_CATEGORIES == CATEGORIES


def test_a_changed_file_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The file is parsed once while unchanged: an edit (another size or time) is seen.
    monkeypatch.delenv("LOAXA_PORT", raising=False)
    config = tmp_path / "c.yaml"
    config.write_text("port: 9000\n")
    assert load_settings(config).port == 9000
    assert load_settings(config).port == 9000
    config.write_text("port: 19001\n")
    assert load_settings(config).port == 19001
