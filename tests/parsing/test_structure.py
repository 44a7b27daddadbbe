"""Behaviour of the text → structure parser on small documents, one rule per test."""

from __future__ import annotations

from datetime import date

import pytest

from models.parsing import ParsedResolution, ParseError, Role, content_fingerprint, parse_text, structure
from models.parsing.model import Period

HEAD = "РЕЗОЛЮЦИЯ совещания\n\n"


def items(parsed: ParsedResolution, n: int = 0) -> list[str]:
    return [r.text for r in parsed.addressees[n].recommendations]


def headings(parsed: ParsedResolution) -> list[str]:
    return [a.heading for a in parsed.addressees]


def test_lettered_sub_items_each_become_an_item_with_the_lead_in() -> None:
    parsed = parse_text(
        HEAD + "Органам местного самоуправления:\n"
        "- обеспечить:\n"
        "а) участие школ в проекте до 1 марта 2024 года;\n"
        "б) проведение конкурса в IV квартале 2024 года;\n"
        "- провести совещание."
    )
    assert items(parsed) == [
        "обеспечить участие школ в проекте до 1 марта 2024 года",
        "обеспечить проведение конкурса в IV квартале 2024 года",
        "провести совещание",
    ]
    assert [r.due for r in parsed.addressees[0].recommendations] == [date(2024, 3, 1), date(2024, 12, 31), None]


def test_lead_in_date_applies_to_each_sub_item() -> None:
    parsed = parse_text(HEAD + "Школам:\n1) в 2024 году обеспечить:\n- участие в олимпиаде;\n- участие в конкурсе.")
    assert [(r.text, r.due) for r in parsed.addressees[0].recommendations] == [
        ("в 2024 году обеспечить участие в олимпиаде", date(2024, 12, 31)),
        ("в 2024 году обеспечить участие в конкурсе", date(2024, 12, 31)),
    ]


def test_plain_lower_case_sub_items_under_a_plain_lead_in() -> None:
    parsed = parse_text(HEAD + "Школам:\n\nОбеспечить:\n\nучастие в олимпиаде;\n\nучастие в конкурсе.")
    assert items(parsed) == ["Обеспечить участие в олимпиаде", "Обеспечить участие в конкурсе"]


def test_lead_in_without_sub_items_stays_an_item() -> None:
    parsed = parse_text(HEAD + "Школам:\n- обеспечить следующее:\n\nГАУ ДПО СОИРО:\n- провести курсы.")
    assert items(parsed, 0) == ["обеспечить следующее"]
    assert items(parsed, 1) == ["провести курсы"]


def test_same_marker_infinitive_ends_the_lead_in() -> None:
    parsed = parse_text(HEAD + "Школам:\n- обеспечить:\n- участие в олимпиаде;\n- провести конкурс.")
    assert items(parsed) == ["обеспечить участие в олимпиаде", "провести конкурс"]


def test_wrapped_lines_and_blank_line_split_continue_the_item() -> None:
    parsed = parse_text(
        HEAD + "Школам:\n- внести изменения в локальные\nнормативные акты в\n\n2\n\nсоответствии с законом;\n- провести"
        " совещание."
    )
    assert items(parsed) == [
        "внести изменения в локальные нормативные акты в соответствии с законом",
        "провести совещание",
    ]


def test_no_continuation_after_a_finished_item() -> None:
    parsed = parse_text(HEAD + "Школам:\n- провести совещание;\n\nсоответствии с законом.")
    assert items(parsed) == ["провести совещание"]


def test_colon_less_heading_needs_items_after_it() -> None:
    parsed = parse_text(HEAD + "Рекомендуют:\n\nШколам области\n\n- провести совещание.\n\nВузам области\n\nКонец.")
    assert headings(parsed) == ["Школам области"]


def test_heading_and_item_in_one_paragraph() -> None:
    parsed = parse_text(
        HEAD + "1. Органам местного самоуправления обеспечить подвоз обучающихся до 1 сентября 2024 года.\n"
        "2. ГАУ ДПО СОИРО рекомендовать провести курсы."
    )
    assert headings(parsed) == ["Органам местного самоуправления", "ГАУ ДПО СОИРО"]
    assert items(parsed, 0) == ["обеспечить подвоз обучающихся до 1 сентября 2024 года"]
    assert items(parsed, 1) == ["провести курсы"]
    assert parsed.addressees[0].recommendations[0].due == date(2024, 9, 1)


def test_marker_line_can_carry_the_first_heading() -> None:
    parsed = parse_text(HEAD + "Участники рекомендуют органам местного самоуправления:\n- провести совещание.")
    assert headings(parsed) == ["органам местного самоуправления"]
    assert parsed.addressees[0].roles == (Role.MUNICIPALITY,)


def test_problems_before_the_marker_are_not_recommendations() -> None:
    parsed = parse_text(
        HEAD + "Обсуждены проблемы:\n\nОбразовательным организациям:\n- нехватка кадров;\n\n"
        "Участники решили:\n\nОбразовательным организациям:\n- привлечь молодых специалистов."
    )
    assert items(parsed) == ["привлечь молодых специалистов"]


def test_closing_paragraph_closes_the_addressee() -> None:
    parsed = parse_text(
        HEAD + "Школам:\n- провести совещание.\n\nУчастники выражают уверенность, что:\n- всё будет выполнено;\n"
        "- школы справятся."
    )
    assert items(parsed) == ["провести совещание"]


def test_a_later_heading_reopens_after_a_closing_paragraph() -> None:
    parsed = parse_text(HEAD + "Школам:\n- провести совещание.\n\nПримечание к разделу.\n\nСОИРО:\n- провести курсы.")
    assert headings(parsed) == ["Школам", "СОИРО"]


@pytest.mark.parametrize(
    "signature",
    [
        "Председатель оргкомитета  И.О. Фамилия",
        "Секретарь\tВ.Г. Петрова",
        "Принята участниками совещания 28 августа 2023 г.",
        "Резолюция принята единогласно.",
        "И.О. Фамилия",
        "_____________ / Иванов И.И.",
    ],
)
def test_signature_ends_the_document(signature: str) -> None:
    parsed = parse_text(HEAD + f"Школам:\n- провести совещание.\n\n{signature}\n\n- провести ещё одно совещание.")
    assert items(parsed) == ["провести совещание"]


@pytest.mark.parametrize("page", ["2", "- 2 -", "– 12 –", "Стр. 2", "стр 2", "Страница 2 из 5", "2 из 5", "3/7"])
def test_page_number_lines_are_dropped(page: str) -> None:
    parsed = parse_text(HEAD + f"Школам:\n- провести совещание по\n{page}\nитогам года;\n{page}\n- провести конкурс.")
    assert items(parsed) == ["провести совещание по итогам года", "провести конкурс"]


def test_plain_infinitive_paragraphs_are_items() -> None:
    parsed = parse_text(
        HEAD + "Школам:\n\nПровести совещание.\n\nЕжегодно проводить конкурс.\n\nНе допускать перегрузки.\n\n"
        "Шире использовать оборудование.\n\nИтоги будут подведены позже."
    )
    assert items(parsed) == [
        "Провести совещание",
        "Ежегодно проводить конкурс",
        "Не допускать перегрузки",
        "Шире использовать оборудование",
    ]
    assert parsed.addressees[0].recommendations[1].period is Period.YEAR


def test_first_paragraph_after_a_heading_is_an_item_whatever_its_form() -> None:
    parsed = parse_text(HEAD + "Школам:\n\nУчастие в олимпиаде обязательно.\n\nИтоги подведены.")
    assert items(parsed) == ["Участие в олимпиаде обязательно"]


def test_item_text_cleaning() -> None:
    parsed = parse_text(
        HEAD + "Школам:\n-   провести   «совещание»  (очно)!\n- провести до 1 мая 2024 г.;\n- и т.д.\n"
        "– учесть; \n— сдать отчёт.."
    )
    assert items(parsed) == [
        "провести «совещание» (очно)!",
        "провести до 1 мая 2024 г.",
        "и т.д.",
        "учесть",
        "сдать отчёт",
    ]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("РЕЗОЛЮЦИЯ\n\n**форума «Школа»**\n\n", "РЕЗОЛЮЦИЯ форума «Школа»"),
        ("Резолюция\nфорума «Школа»\n\n", "Резолюция форума «Школа»"),
        ("РЕЗОЛЮЦИЯ\n\n28 августа 2023 г.\n\n", "РЕЗОЛЮЦИЯ"),
        ("РЕЗОЛЮЦИЯ\n\nг. Смоленск\n\n", "РЕЗОЛЮЦИЯ"),
        ("Проект резолюции\n\n24 августа 2018 года состоялся форум.\n\n", "Проект резолюции"),
        ("РЕЗОЛЮЦИЯ\n\n24 августа 2018 года состоялся форум.\n\n", "РЕЗОЛЮЦИЯ"),
        ("ПРОЕКТ\n\nРЕЗОЛЮЦИЯ форума\n\n", "РЕЗОЛЮЦИЯ форума"),
        ("28.08.2023\n\nРезолюция форума\n\n", "Резолюция форума"),
        ("", ""),
    ],
)
def test_title(text: str, title: str) -> None:
    assert parse_text(text + "Школам:\n- провести совещание.").title == title


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("27 августа 2019 г.\n\nС 19 июля по 27 августа 2019 года шло совещание.", date(2019, 8, 27)),
        ("г. Смоленск\n\n«28» августа 2023 г.", date(2023, 8, 28)),
        ("от 15.08.2023 № 12", date(2023, 8, 15)),
        ("24 августа 2018 года состоялся Форум.", date(2018, 8, 24)),
        ("С 19 июля по 27 августа 2019 года шло совещание.", None),
        ("Совещание прошло в августе.", None),
    ],
)
def test_resolution_date(header: str, value: date | None) -> None:
    parsed = parse_text(f"РЕЗОЛЮЦИЯ совещания\n\n{header}\n\nРекомендуют:\n\nШколам:\n- провести совещание.")
    assert parsed.date == value


def test_dates_after_the_recommendations_start_are_not_the_resolution_date() -> None:
    parsed = parse_text("Резолюция\n\nШколам:\n- с 1 сентября 2022 года провести совещание.")
    assert parsed.date is None


def test_yearless_due_uses_the_resolution_date() -> None:
    text = "РЕЗОЛЮЦИЯ\n\n{}\n\nШколам:\n- провести совещание до 1 сентября."
    assert parse_text(text.format("28.08.2023")).addressees[0].recommendations[0].due == date(2023, 9, 1)
    assert parse_text(text.format("02.09.2023")).addressees[0].recommendations[0].due == date(2024, 9, 1)
    assert parse_text(text.format("без даты")).addressees[0].recommendations[0].due is None


def test_heading_without_roles_is_kept_with_empty_roles() -> None:
    parsed = parse_text(HEAD + "Профессиональным образовательным организациям:\n- провести совещание.")
    assert parsed.addressees[0].roles == ()
    assert parsed.to_json_dict()["addressees"] == [
        {
            "heading": "Профессиональным образовательным организациям",
            "roles": [],
            "recommendations": [{"text": "провести совещание", "due": None, "starts": None, "recurring": False}],
        }
    ]


def test_group_heading_without_items_is_dropped() -> None:
    parsed = parse_text(HEAD + "1. Органам власти:\n1.1. Департаменту Смоленской области по образованию:\n"
                        "1.1.1. провести совещание.")  # fmt: skip
    assert headings(parsed) == ["Департаменту Смоленской области по образованию"]


def test_heading_shapes() -> None:
    parsed = parse_text(
        HEAD + "I. ДЕПАРТАМЕНТУ СМОЛЕНСКОЙ ОБЛАСТИ ПО ОБРАЗОВАНИЮ:\n- провести совещание.\n\n"
        "2) Рекомендовать органам местного самоуправления:\n- провести совещание.\n\n"
        "В адрес ГАУ ДПО СОИРО:\n- провести курсы.\n\n"
        "- Школам, участвующим в проекте «Учить учиться»:\n- провести урок."
    )
    assert headings(parsed) == [
        "ДЕПАРТАМЕНТУ СМОЛЕНСКОЙ ОБЛАСТИ ПО ОБРАЗОВАНИЮ",
        "органам местного самоуправления",
        "В адрес ГАУ ДПО СОИРО",
        "Школам, участвующим в проекте «Учить учиться»",
    ]
    assert [a.roles for a in parsed.addressees] == [(Role.REGION,), (Role.MUNICIPALITY,), (Role.INSTITUTE,),
                                                    (Role.SCHOOL,)]  # fmt: skip


def test_no_addressees_is_an_error() -> None:
    with pytest.raises(ParseError, match="не найдено ни одного адресата"):
        parse_text("Резолюция\n\nУчастники обсудили проблемы образования и разошлись.")


@pytest.mark.parametrize("text", ["", "   \n\n\t ", "**", "- 2 -\n\n3"])
def test_empty_text_is_an_error(text: str) -> None:
    with pytest.raises(ParseError, match="пуст"):
        parse_text(text)


def test_internal_failure_is_reported_as_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(text: str) -> ParsedResolution:
        raise RuntimeError("bug")

    monkeypatch.setattr(structure, "parse_structure", boom)
    with pytest.raises(ParseError, match="внутренняя ошибка"):
        structure.parse_text("Школам:\n- провести совещание.")


def test_fingerprint_is_stable_and_content_sensitive() -> None:
    one = parse_text(HEAD + "Школам:\n- провести совещание.")
    same = parse_text("РЕЗОЛЮЦИЯ совещания\r\n\r\n**Школам:**\r\n-  провести совещание;")
    other = parse_text(HEAD + "Школам:\n- провести конкурс.")
    assert content_fingerprint(one) == content_fingerprint(same)
    assert content_fingerprint(one) != content_fingerprint(other)
    assert len(content_fingerprint(one)) == 64


def test_numbered_sibling_of_the_heading_is_not_its_item() -> None:
    parsed = parse_text(
        HEAD + "1. Школам:\n1.1. провести совещание.\n2. ГАУ ДПО СОИРО провести курсы.\n"
        "3. Контроль за выполнением резолюции возложить на оргкомитет."
    )
    assert headings(parsed) == ["Школам", "ГАУ ДПО СОИРО"]
    assert items(parsed, 1) == ["провести курсы"]


def test_restarted_numbering_under_a_numbered_heading_stays_items() -> None:
    parsed = parse_text(
        HEAD + "1. Школам:\n1. провести совещание;\n2. провести конкурс.\n2. СОИРО:\n1. провести курсы."
    )
    assert items(parsed, 0) == ["провести совещание", "провести конкурс"]
    assert items(parsed, 1) == ["провести курсы"]


def test_capitalised_infinitive_line_starts_an_item_even_without_blank_line() -> None:
    parsed = parse_text(
        HEAD + "Рекомендуют:\nРуководителям школ\n   Продолжить работу.\n   Обеспечить участие.\n"
        "Муниципальным органам управления образованием\n   Организовать сопровождение."
    )
    assert headings(parsed) == ["Руководителям школ", "Муниципальным органам управления образованием"]
    assert items(parsed, 0) == ["Продолжить работу", "Обеспечить участие"]


def test_bulleted_addressee_dash_task_lines() -> None:
    parsed = parse_text(
        HEAD + "Участники предлагают:\n"
        "• Департаменту Смоленской области по образованию и науке — рассмотреть вопрос финансирования;\n"
        "• Руководителям ДОО: обеспечить участие педагогов в конкурсах ежегодно.\n"
        "• муниципальным центрам обеспечить поддержку школ."
    )
    assert headings(parsed) == ["Департаменту Смоленской области по образованию и науке", "Руководителям ДОО"]
    assert items(parsed, 1) == [
        "обеспечить участие педагогов в конкурсах ежегодно",
        "муниципальным центрам обеспечить поддержку школ",
    ]
    assert parsed.addressees[1].recommendations[0].recurring


def test_modal_word_is_not_part_of_an_inline_heading() -> None:
    parsed = parse_text(HEAD + "Педагогам рекомендуется использовать материалы форума.")
    assert headings(parsed) == ["Педагогам"]
    assert items(parsed) == ["использовать материалы форума"]


def test_lower_case_continuation_that_looks_like_a_signature_word() -> None:
    parsed = parse_text(
        HEAD + "Школам:\n- руководствоваться рекомендациями,\n\nутверждены приказом № 5;\n- провести урок."
    )
    assert items(parsed) == ["руководствоваться рекомендациями, утверждены приказом № 5", "провести урок"]


# --- issue 13: the genre's variations ---------------------------------------------------------------


def test_lettered_items_in_one_paragraph_are_several_items() -> None:
    parsed = parse_text(
        HEAD + "Школам:\n- обеспечить: а) участие в олимпиаде до 1 мая 2025 года; б) проведение конкурса; "
        "в) отчёт в декабре 2025 года;\n- провести урок."
    )
    assert items(parsed) == [
        "обеспечить участие в олимпиаде до 1 мая 2025 года",
        "обеспечить проведение конкурса",
        "обеспечить отчёт в декабре 2025 года",
        "провести урок",
    ]
    assert parsed.addressees[0].recommendations[2].due == date(2025, 12, 31)


@pytest.mark.parametrize(
    "item",
    [
        "провести курсы (в том числе для молодых педагогов) до 1 мая 2025 года",
        "провести совещание (см. п. 2) и подвести итоги",
        "учесть замечания: а) по срокам",  # one letter alone is no list
        "провести урок: б) и в) по плану",  # not in sequence from «а»
    ],
)
def test_a_parenthesis_inside_an_item_is_no_marker(item: str) -> None:
    assert items(parse_text(HEAD + f"Школам:\n- {item};\n- провести урок.")) == [item, "провести урок"]


def test_a_wrapped_bracket_at_a_line_start_is_no_marker() -> None:
    parsed = parse_text(HEAD + "Школам:\n- провести совещание (см. п.\n2) и подвести итоги;\n- провести урок.")
    assert items(parsed) == ["провести совещание (см. п. 2) и подвести итоги", "провести урок"]


@pytest.mark.parametrize(
    ("rest", "joined"),
    [
        ("«Точка роста», «IT-куб» в 2025 году;", "«Точка роста», «IT-куб» в 2025 году"),
        ('"Точка роста" и "IT-куб";', '"Точка роста" и "IT-куб"'),
        ("2025 года провести итоговую конференцию;", "2025 года провести итоговую конференцию"),
        ("функциональная грамотность, наставничество;", "функциональная грамотность, наставничество"),
    ],
)
def test_a_colon_in_the_middle_of_an_item_continues_it(rest: str, joined: str) -> None:
    text = HEAD + f"Школам:\n- провести семинары по следующим темам:\n{rest}\n- провести урок.\n\n"
    text += "СОИРО:\n- провести курсы."
    parsed = parse_text(text)
    assert items(parsed) == [f"провести семинары по следующим темам: {joined}", "провести урок"]
    assert headings(parsed) == ["Школам", "СОИРО"]
    # the same in Word, where the rest is a paragraph of its own
    assert items(parse_text(text.replace("темам:\n", "темам:\n\n"))) == items(parsed)


def test_unmarked_list_under_a_lead_in_stays_a_list() -> None:
    parsed = parse_text(HEAD + "Школам:\n- обеспечить:\nучастие в олимпиаде;\nучастие в конкурсе;\n- провести урок.")
    assert items(parsed) == ["обеспечить участие в олимпиаде", "обеспечить участие в конкурсе", "провести урок"]


def test_heading_with_recommend_after_it_has_no_item_of_that_word() -> None:
    parsed = parse_text(HEAD + "2.3. Образовательным организациям рекомендовать:\n2.3.1. обновить программы.")
    assert headings(parsed) == ["Образовательным организациям"]
    assert items(parsed) == ["обновить программы"]


def test_a_number_above_the_headings_level_is_not_its_item() -> None:
    parsed = parse_text(
        HEAD + "Участники решили:\n1. Принять к сведению информацию.\n2. Рекомендовать:\n2.1. Школам:\n"
        "2.1.1. провести урок.\n3. Контроль за исполнением резолюции возложить на оргкомитет."
    )
    assert headings(parsed) == ["Школам"]
    assert items(parsed) == ["провести урок"]


def test_colon_of_a_heading_on_the_next_line() -> None:
    parsed = parse_text(HEAD + "Органам местного самоуправления, осуществляющим управление в сфере образования\n:\n"
                        "провести совещание;\nпровести урок.")  # fmt: skip
    assert headings(parsed) == ["Органам местного самоуправления, осуществляющим управление в сфере образования"]
    assert items(parsed) == ["провести совещание", "провести урок"]


@pytest.mark.parametrize(
    "stamp",
    [
        "УТВЕРЖДЕНА\nприказом Департамента Смоленской области\nпо образованию и науке\nот 28.08.2024 № 745-ОД",
        "УТВЕРЖДЕНА\n\nприказом Департамента Смоленской области по образованию и науке\n\nот 28.08.2024 № 745-ОД",
        "УТВЕРЖДАЮ\nНачальник Департамента Смоленской области\nпо образованию и науке\n_____________ И.И. Иванов\n"
        "«___» ___________ 2024 г.",
        "ПРИЛОЖЕНИЕ\nк приказу Департамента Смоленской области\nпо образованию и науке\nот 28.08.2024 № 745-ОД",
        "Приложение № 2\n\nк приказу от 28.08.2024 № 745",
        "СОГЛАСОВАНО\n\nДиректор ГАУ ДПО СОИРО\n\n_______ А.Б. Петров",
    ],
)
def test_a_stamp_block_is_not_the_title(stamp: str) -> None:
    parsed = parse_text(f"{stamp}\n\nРЕЗОЛЮЦИЯ совещания\n\n27 августа 2024 года\n\nШколам:\n- провести урок.")
    assert parsed.title == "РЕЗОЛЮЦИЯ совещания"
    assert parsed.date == date(2024, 8, 27)  # the resolution's own date, not the order's


def test_the_stamps_date_is_the_last_resort() -> None:
    parsed = parse_text("УТВЕРЖДЕНА\nприказом от 28.08.2024 № 745\n\nРЕЗОЛЮЦИЯ совещания\n\nШколам:\n- провести урок.")
    assert (parsed.title, parsed.date) == ("РЕЗОЛЮЦИЯ совещания", date(2024, 8, 28))


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # a PDF without paragraph gaps: the first heading follows the title's line
        ("Проект резолюции форума руководителей ОО\nДепартаменту Смоленской области по образованию и науке:\n",
         "Проект резолюции форума руководителей ОО"),
        ("РЕЗОЛЮЦИЯ форума\nОрганам местного самоуправления, осуществляющим управление в\nсфере образования:\n",
         "РЕЗОЛЮЦИЯ форума"),
        ("РЕЗОЛЮЦИЯ совещания «Архитектура системы образования:\nпроектируем будущее»\n\nШколам:\n",
         "РЕЗОЛЮЦИЯ совещания «Архитектура системы образования: проектируем будущее»"),
        ("РЕЗОЛЮЦИЯ форума «Школа»\n24 августа 2018 года состоялся форум.\nУчастники рекомендуют:\nШколам:\n",
         "РЕЗОЛЮЦИЯ форума «Школа»"),
        ("РЕЗОЛЮЦИЯ\nФОРУМА ПЕДАГОГОВ\nФорум прошёл в Смоленске.\nШколам:\n", "РЕЗОЛЮЦИЯ ФОРУМА ПЕДАГОГОВ"),
        ("УТВЕРЖДЕНА приказом от 28.08.2024 № 745\nРЕЗОЛЮЦИЯ совещания\nШколам:\n", "РЕЗОЛЮЦИЯ совещания"),
        ("ПРОЕКТ\nРезолюция собрания\nШколам:\n", "Резолюция собрания"),
    ],
)
def test_the_title_ends_where_the_document_goes_on(text: str, title: str) -> None:
    parsed = parse_text(text + "- провести урок.")
    assert parsed.title == title
    assert len(parsed.addressees) == 1
    assert items(parsed) == ["провести урок"]


def test_a_dash_inside_a_wrapped_heading_is_no_bullet() -> None:
    parsed = parse_text(HEAD + "МБОУ «СШ № 1» и другим школам\n— участникам проекта:\n- провести урок.")
    assert headings(parsed) == ["МБОУ «СШ № 1» и другим школам — участникам проекта"]


def test_a_heading_wrapped_over_two_capitalised_lines_stays_one() -> None:
    parsed = parse_text(HEAD + "ДЕПАРТАМЕНТУ СМОЛЕНСКОЙ ОБЛАСТИ ПО\nОБРАЗОВАНИЮ И НАУКЕ:\n- провести урок.\n"
                        "Общеобразовательным организациям\nСмоленской области:\n- провести урок.")  # fmt: skip
    assert headings(parsed) == [
        "ДЕПАРТАМЕНТУ СМОЛЕНСКОЙ ОБЛАСТИ ПО ОБРАЗОВАНИЮ И НАУКЕ",
        "Общеобразовательным организациям Смоленской области",
    ]


@pytest.mark.parametrize("modal", ["рекомендуется", "необходимо", "предлагается", "рекомендовать"])
def test_a_modal_word_ends_no_heading(modal: str) -> None:
    parsed = parse_text(HEAD + f"Руководителям образовательных организаций {modal}:\n- провести урок.")
    assert headings(parsed) == ["Руководителям образовательных организаций"]
    assert items(parsed) == ["провести урок"]


def test_a_letterhead_above_the_resolution_is_not_its_title() -> None:
    parsed = parse_text(
        "Министерство образования и науки Смоленской области\n\nРЕЗОЛЮЦИЯ\nобластного форума\n\n"
        "Школам:\n- провести урок."
    )
    assert parsed.title == "РЕЗОЛЮЦИЯ областного форума"
