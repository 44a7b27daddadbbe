"""The four real resolutions parse exactly to their hand-written expected JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.parsing import parse_bytes, parse_file, parse_text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "resolutions"
FILES = sorted(FIXTURES.glob("*.txt"))


def expected(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    return data


def test_all_four_are_here() -> None:
    assert [p.name[:3] for p in FILES] == ["000", "001", "002", "003"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:3])
def test_file_parses_to_expected_json(path: Path) -> None:
    assert parse_file(path).to_json_dict() == expected(path)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:3])
def test_pasted_text_and_bytes_agree_with_file(path: Path) -> None:
    raw = path.read_bytes()
    want = expected(path)
    assert parse_text(raw.decode("utf-8")).to_json_dict() == want
    assert parse_bytes(raw, path.name).to_json_dict() == want
    assert parse_bytes(raw.decode("utf-8").encode("cp1251"), "resolution.txt").to_json_dict() == want
    assert parse_bytes(raw.replace(b"\n", b"\r\n"), "resolution.txt").to_json_dict() == want


def test_json_is_serialisable_with_documented_key_order() -> None:
    parsed = parse_file(FILES[2])
    data = parsed.to_json_dict()
    assert list(data) == ["title", "date", "addressees"]
    addressee = data["addressees"][0]  # type: ignore[index]
    assert list(addressee) == ["heading", "roles", "recommendations"]
    assert list(addressee["recommendations"][0]) == ["text", "due", "starts", "recurring"]
    json.dumps(data, ensure_ascii=False)
