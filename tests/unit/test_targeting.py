"""A heading that names one organisation targets it alone; generic headings address the whole role."""

from __future__ import annotations

import pytest

from models.targeting import OrgRef, match_organisation

DIRECTORY = [
    OrgRef(1, "municipality", "муниципальное образование «Вяземский район» Смоленской области"),
    OrgRef(2, "municipality", "город Смоленск"),
    OrgRef(3, "municipality", "Гагаринский муниципальный округ"),
    OrgRef(4, "region", "Департамент Смоленской области по образованию и науке"),
    OrgRef(5, "school", "МБОУ «Средняя школа № 1» г. Вязьмы"),
]


@pytest.mark.parametrize(
    ("heading", "roles", "expected"),
    [
        (
            "Комитету по образованию Администрации муниципального образования «Вяземский район» Смоленской области",
            ["municipality"],
            1,
        ),
        ("Отделу образования Гагаринского муниципального округа", ["municipality"], 3),
        ("Органам местного самоуправления, осуществляющим управление в сфере образования", ["municipality"], None),
        (
            "Администрациям муниципальных районов и городских округов Смоленской области, органам управления "
            "образованием муниципальных районов и городских округов",
            ["municipality"],
            None,
        ),
        ("Департаменту Смоленской области по образованию и науке", ["region"], None),
        ("Образовательным организациям", ["school"], None),
        # A name of the wrong kind does not count: the heading addresses municipalities.
        ("Комитету по образованию «Средняя школа № 1»", ["municipality"], None),
        ("Родителям", [], None),
    ],
)
def test_match(heading: str, roles: list[str], expected: int | None) -> None:
    found = match_organisation(heading, roles, DIRECTORY)
    assert (found.id if found else None) == expected


def test_ambiguous_name_addresses_the_role() -> None:
    twins = [OrgRef(1, "municipality", "Вяземский район"), OrgRef(2, "municipality", "Вяземский район (старый)")]
    assert match_organisation("Отделу образования «Вяземский район»", ["municipality"], twins) is None
