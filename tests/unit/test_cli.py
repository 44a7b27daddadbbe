"""`python -m bot parse FILE` prints the exact JSON shape; bad input gives one line and exit status 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "resolutions"


def _parse(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "parse", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_parse_prints_the_documented_shape() -> None:
    result = _parse(SEED / "002_e77e360ac022ffa0.txt")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["title", "date", "addressees"]
    assert data["date"] == "2015-08-20"
    first = data["addressees"][0]
    assert list(first) == ["heading", "roles", "recommendations"]
    assert first["roles"] == ["municipality"]
    assert list(first["recommendations"][0]) == ["text", "due", "starts", "recurring"]
    assert first["recommendations"][0]["due"] == "2016-01-01"


@pytest.mark.parametrize(
    ("content", "name", "word"),
    [
        (b"", "empty.txt", "пуст"),
        (b"\x00\x01\x02\x03" * 200, "junk.txt", "текст"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "picture.png", "формат"),
        ("Просто письмо без адресатов.\n".encode(), "letter.txt", "адресат"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.doc", "сохраните его как .docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "renamed.docx", "сохраните его как .docx"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path: Path, content: bytes, name: str, word: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = _parse(path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert word in lines[0].lower()
    assert "Traceback" not in result.stderr


def test_missing_file_is_reported(tmp_path: Path) -> None:
    result = _parse(tmp_path / "nope.docx")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_orgs_import_with_an_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": "123:ABC",
        "DATABASE_URL": "postgresql://bot:secret@127.0.0.1:1/adresat",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "orgs", "import", str(ROOT / "examples" / "organisations.csv")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]
    assert "secret" not in lines[0]
