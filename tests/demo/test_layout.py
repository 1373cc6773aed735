from __future__ import annotations

import socket
from pathlib import Path

import pytest

from demo.layout import MARKER, DemoError, fresh_layout
from demo.processes import HOST, port_is_free


def test_a_new_directory_is_made_and_marked(tmp_path: Path) -> None:
    layout = fresh_layout(tmp_path / "demo")
    assert (layout.root / MARKER).is_file()
    assert layout.work_dir.is_dir()
    assert layout.database_url == f"sqlite:///{tmp_path / 'demo' / 'loaxa.db'}"


def test_a_previous_demo_is_wiped(tmp_path: Path) -> None:
    layout = fresh_layout(tmp_path / "demo")
    (layout.root / "loaxa.db").write_text("old")
    layout = fresh_layout(tmp_path / "demo")
    assert not (layout.root / "loaxa.db").exists()


def test_an_empty_directory_is_used(tmp_path: Path) -> None:
    assert fresh_layout(tmp_path).root == tmp_path.resolve()


def test_someone_elses_files_are_never_wiped(tmp_path: Path) -> None:
    (tmp_path / "thesis.odt").write_text("years of work")
    with pytest.raises(DemoError, match="not made by `loaxa demo`"):
        fresh_layout(tmp_path)
    assert (tmp_path / "thesis.odt").read_text() == "years of work"


def test_a_file_is_not_a_demo_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(DemoError, match="is a file"):
        fresh_layout(tmp_path / "f")


def test_a_listening_port_is_taken() -> None:
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free(port)
    assert port_is_free(port)
