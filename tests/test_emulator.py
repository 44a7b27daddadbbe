"""The Bot API emulator behaves like Telegram where the bot can tell the difference."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyParameters,
)

from tests.emulator import TOKEN, TelegramEmulator, make_bot, parse_html, polling, running_emulator
from tests.emulator.html_check import HtmlParseError

USER = 1


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with running_emulator() as emu:
        emu.register_user(USER, "Анна", "anna")
        yield emu


@pytest.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    bot = make_bot(emulator)
    yield bot
    await bot.session.close()


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data)] for text, data in buttons]
    )


class _UnknownMethod(TelegramMethod[bool]):
    __returning__ = bool
    __api_method__ = "sendTelepathy"


# ---------------------------------------------------------------- basics


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "adresat_test_bot"
    assert me.id == 123456


async def test_send_message_stores_visible_text_and_entities(bot: Bot, emulator: TelegramEmulator) -> None:
    sent = await bot.send_message(USER, "  Привет, <b>Анна</b> 👋 <i>x</i>  ", parse_mode="HTML")
    assert sent.text == "Привет, Анна 👋 x"
    assert sent.chat.id == USER
    assert sent.chat.first_name == "Анна"
    stored = emulator.last_message(USER)
    assert stored.message_id == sent.message_id
    assert stored.text == "Привет, Анна 👋 x"
    assert stored.html == "  Привет, <b>Анна</b> 👋 <i>x</i>  "
    # the emoji is two UTF-16 code units, so "x" starts at 16, not 15
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 8, 4), ("italic", 16, 1)]
    second = await bot.send_message(USER, "ещё")
    assert second.message_id == sent.message_id + 1
    assert emulator.stats.sent_messages == 2


async def test_unknown_method_and_bad_token(bot: Bot, emulator: TelegramEmulator) -> None:
    with pytest.raises(TelegramNotFound, match="Not Found"):
        await bot(_UnknownMethod())
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emulator.base_url}/bot{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.get(f"{emulator.base_url}/botnot-a-token/getMe") as resp:
            assert resp.status == 401
            assert (await resp.json())["description"] == "Unauthorized"
        # JSON bodies are accepted as well as forms
        async with http.post(f"{emulator.base_url}/bot{TOKEN}/sendMessage", json={"chat_id": USER, "text": "j"}) as r:
            assert (await r.json())["result"]["text"] == "j"


# ---------------------------------------------------------------- text validation


async def test_text_length_limits(bot: Bot) -> None:
    await bot.send_message(USER, "я" * 4096)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(USER, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")


async def test_escaped_html_counts_visible_characters(bot: Bot) -> None:
    sent = await bot.send_message(USER, "&lt;b&gt; &amp; &quot; &#33; &#x41;", parse_mode="HTML")
    assert sent.text == '<b> & " ! A'
    await bot.send_message(USER, "&lt;" * 4096, parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "&lt;" * 4097, parse_mode="HTML")


@pytest.mark.parametrize(
    "html",
    [
        "<foo>x</foo>",
        "<b>x",
        "x</b>",
        "<b><i>x</b></i>",
        "a < b",
        "a <",
        "&nbsp;",
        "<br>",
        '<span class="bold">x</span>',
    ],
)
async def test_invalid_html_is_rejected(bot: Bot, html: str) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: can't parse entities: "):
        await bot.send_message(USER, html, parse_mode="HTML")


async def test_markup_is_plain_text_without_parse_mode(bot: Bot) -> None:
    sent = await bot.send_message(USER, "<foo> & <b>")
    assert sent.text == "<foo> & <b>"


def test_html_parser_details() -> None:
    parsed = parse_html('<pre><code class="language-python">x = 1</code></pre><blockquote expandable>q</blockquote>')
    assert parsed.text == "x = 1q"
    assert parsed.entities == [
        {"offset": 0, "length": 5, "type": "pre", "language": "python"},
        {"offset": 5, "length": 1, "type": "expandable_blockquote"},
    ]
    link = parse_html('<a href="https://example.com/?a=1&amp;b=2">тут</a> R&D')
    assert link.text == "тут R&D"
    assert link.entities[0]["url"] == "https://example.com/?a=1&b=2"
    with pytest.raises(HtmlParseError, match='Unsupported start tag "foo" at byte offset 5'):
        parse_html("Ёж <foo>")  # byte offsets count UTF-8 bytes, as Telegram's do
    with pytest.raises(HtmlParseError, match='Can\'t find end tag corresponding to start tag "b"'):
        parse_html("<b>x")
    with pytest.raises(HtmlParseError, match="Unexpected end tag at byte offset 1"):
        parse_html("x</b>")
    assert parse_html("&nbsp;", strict_entities=False).text == "&nbsp;"


# ---------------------------------------------------------------- keyboards


async def test_callback_data_limit_is_in_bytes(bot: Bot) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard(("a", "x" * 64), ("б", "ж" * 32)))
    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "too long", reply_markup=keyboard(("a", "x" * 65)))
    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "too long", reply_markup=keyboard(("б", "ж" * 33)))


async def test_inline_button_needs_text_and_one_action(bot: Bot) -> None:
    bare = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="nothing")]])
    with pytest.raises(TelegramBadRequest, match="Bad Request: can't parse inline keyboard button"):
        await bot.send_message(USER, "x", reply_markup=bare)
    empty_text = keyboard(("", "data"))
    with pytest.raises(TelegramBadRequest, match="Bad Request: can't parse inline keyboard button"):
        await bot.send_message(USER, "x", reply_markup=empty_text)
    two = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="t", callback_data="d", url="https://example.com")]]
    )
    with pytest.raises(TelegramBadRequest, match="Bad Request: can't parse inline keyboard button"):
        await bot.send_message(USER, "x", reply_markup=two)


# ---------------------------------------------------------------- edits and deletes


async def test_edit_rules(bot: Bot, emulator: TelegramEmulator) -> None:
    markup = keyboard(("Да", "yes"))
    sent = await bot.send_message(USER, "<b>Вопрос</b>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is not modified"):
        await bot.edit_message_text(
            "<b>Вопрос</b>", chat_id=USER, message_id=sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=markup)
    # same text without a keyboard is a change: the keyboard goes away
    await bot.edit_message_text("<b>Вопрос</b>", chat_id=USER, message_id=sent.message_id, parse_mode="HTML")
    stored = emulator.message(USER, sent.message_id)
    assert stored.reply_markup is None
    assert stored.edit_date is not None
    assert [(e.old_text, e.new_text) for e in emulator.edits] == [("Вопрос", "Вопрос")]
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    assert await bot.delete_message(USER, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("y", chat_id=USER, message_id=sent.message_id)
    assert emulator.deleted == [(USER, sent.message_id)]


async def test_user_messages_cannot_be_edited(bot: Bot, emulator: TelegramEmulator) -> None:
    mine = await emulator.send_message(USER, "привет")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=mine.message_id)


# ---------------------------------------------------------------- faults


async def test_blocked_and_deactivated_users(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.block(USER)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(USER, "x")
    emulator.deactivate(2)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: user is deactivated"):
        await bot.send_message(2, "x")
    assert emulator.stats.forbidden == 2
    # writing to the bot again means the user unblocked it
    await emulator.send_message(USER, "/start")
    await bot.send_message(USER, "снова вместе")


async def test_rate_limits(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.set_rate_limit(per_chat_per_second=1)
    await bot.send_message(USER, "1")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "2")
    assert caught.value.retry_after >= 1
    assert "Too Many Requests: retry after" in caught.value.message
    await bot.send_message(2, "other chat is fine")

    emulator.set_rate_limit(global_per_second=3)
    for chat in range(10, 13):
        await bot.send_message(chat, "x")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(13, "x")
    assert emulator.stats.rate_limited == 2
    assert emulator.stats.max_in_window(1.0) == 5
    emulator.set_rate_limit(None, None)
    await bot.send_message(13, "x")


async def test_injected_failures(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.fail_next("sendMessage", times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Internal Server Error"):
            await bot.send_message(USER, "x")
    emulator.fail_next("sendMessage", drop=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "x")
    await bot.send_message(USER, "x")
    assert emulator.stats.injected_faults == 3
    assert emulator.stats.sent_messages == 1


# ---------------------------------------------------------------- updates


async def test_long_poll_wakes_up_on_user_message(bot: Bot, emulator: TelegramEmulator) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    await emulator.send_message(USER, "/start payload")
    updates = await poll
    assert time.monotonic() - started < 2
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start payload"
    assert message.from_user is not None
    assert message.from_user.username == "anna"
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [("bot_command", 0, 6)]

    # not confirmed yet: delivered again; confirmed by offset: gone
    assert [u.update_id for u in await bot.get_updates()] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1) == []
    assert emulator.pending_updates() == 0


async def test_second_poller_terminates_the_first(bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="Conflict: terminated by other getUpdates request"):
        await first


async def test_webhook_blocks_get_updates(bot: Bot, emulator: TelegramEmulator) -> None:
    await emulator.send_message(USER, "hi")
    with pytest.raises(TelegramBadRequest, match="HTTPS URL"):
        await bot.set_webhook("http://example.com/hook")
    await bot.set_webhook("https://example.com/hook")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.com/hook"
    assert info.pending_update_count == 1
    with pytest.raises(TelegramConflictError, match="Conflict: can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []


async def test_commands(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Command", description="x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []


# ---------------------------------------------------------------- files


async def test_user_document_download(bot: Bot, emulator: TelegramEmulator) -> None:
    await emulator.send_document(USER, "Резолюция.pdf", b"%PDF-1.4 data", caption="вот")
    [update] = await bot.get_updates()
    assert update.message is not None
    document = update.message.document
    assert document is not None
    assert document.file_name == "Резолюция.pdf"
    assert document.mime_type == "application/pdf"
    assert update.message.caption == "вот"
    downloaded = await bot.download(document)
    assert downloaded is not None
    assert downloaded.read() == b"%PDF-1.4 data"

    await emulator.send_document(USER, "huge.zip", b"", size=25 * 1024 * 1024)
    [_, big] = await bot.get_updates()
    assert big.message is not None
    assert big.message.document is not None
    with pytest.raises(TelegramBadRequest, match="Bad Request: file is too big"):
        await bot.get_file(big.message.document.file_id)


async def test_bot_document_upload_is_stored(bot: Bot, emulator: TelegramEmulator) -> None:
    sent = await bot.send_document(
        USER, BufferedInputFile(b"xlsx bytes", "Отчёт.xlsx"), caption="<b>Отчёт</b>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert sent.caption == "Отчёт"
    stored = emulator.last_message(USER)
    assert stored.document is not None
    assert stored.document.content == b"xlsx bytes"
    assert stored.document.file_name == "Отчёт.xlsx"
    assert stored.caption == "Отчёт"
    assert emulator.bot_files() == [stored.document]
    # the file_id can be reused, and read back through the file API
    again = await bot.send_document(2, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == sent.document.file_unique_id
    downloaded = await bot.download(sent.document.file_id)
    assert downloaded is not None
    assert downloaded.read() == b"xlsx bytes"
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_document(USER, BufferedInputFile(b"x", "a.txt"), caption="я" * 1025)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(USER, "no-such-file-id")


async def test_upload_size_limit() -> None:
    async with running_emulator(max_upload_size=1000) as emulator:
        bot = make_bot(emulator)
        try:
            await bot.send_photo(USER, BufferedInputFile(b"p" * 1000, "ok.jpg"))
            assert emulator.last_message(USER).photo is not None
            with pytest.raises(TelegramEntityTooLarge):
                await bot.send_document(USER, BufferedInputFile(b"x" * 1001, "big.bin"))
        finally:
            await bot.session.close()


# ---------------------------------------------------------------- callbacks


async def test_callback_queries(bot: Bot, emulator: TelegramEmulator) -> None:
    sent = await bot.send_message(USER, "Подтвердить?", reply_markup=keyboard(("Да", "yes"), ("Нет", "no")))
    message = emulator.last_message(USER)
    assert message.buttons == [[("Да", "yes")], [("Нет", "no")]]
    query_id = await emulator.click_button(USER, message, "Да")
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.data == "yes"
    assert isinstance(update.callback_query.message, Message)
    assert update.callback_query.message.message_id == sent.message_id
    assert [cb.id for cb in emulator.unanswered_callbacks()] == [query_id]
    with pytest.raises(AssertionError, match="never answered"):
        emulator.assert_all_callbacks_answered()
    with pytest.raises(AssertionError, match="no button 'Может быть'"):
        await emulator.click_button(USER, message, "Может быть")

    with pytest.raises(TelegramBadRequest, match="Bad Request: MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="я" * 201)
    await bot.answer_callback_query(query_id, text="Принято", show_alert=True)
    emulator.assert_all_callbacks_answered()
    assert emulator.callback_answers[0].text == "Принято"
    assert emulator.callback_answers[0].show_alert
    with pytest.raises(TelegramBadRequest, match="Bad Request: query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: query is too old"):
        await bot.answer_callback_query("12345")

    forged = await emulator.click(USER, sent.message_id, "admin:drop_everything")
    emulator.expire_callbacks()
    with pytest.raises(TelegramBadRequest, match="Bad Request: query is too old"):
        await bot.answer_callback_query(forged)
    assert [cb.data for cb in emulator.unanswered_callbacks()] == ["admin:drop_everything"]


# ---------------------------------------------------------------- a real dispatcher


async def test_dispatcher_polling_round_trip(emulator: TelegramEmulator) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Здравствуйте, <b>Анна</b>!", reply_markup=keyboard(("Дальше", "next")))

    @dp.callback_query(F.data == "next")
    async def next_step(callback: CallbackQuery) -> None:
        await callback.answer("Ок")
        if isinstance(callback.message, Message):
            await callback.message.edit_text("Готово")

    bot = make_bot(emulator, default=DefaultBotProperties(parse_mode="HTML"))
    try:
        async with polling(dp, bot, allowed_updates=dp.resolve_used_update_types()):
            await emulator.send_message(USER, "/start")
            [reply] = await emulator.wait_for(USER, 1, timeout=5)
            assert reply.text == "Здравствуйте, Анна!"
            assert reply.html == "Здравствуйте, <b>Анна</b>!"
            query_id = await emulator.click_button(USER, reply, "Дальше")
            answer = await emulator.wait_callback_answer(query_id)
            assert answer.text == "Ок"
            await emulator.wait_until(lambda: reply.text == "Готово", what="the edit")
            emulator.assert_all_callbacks_answered()
    finally:
        await bot.session.close()


async def test_wait_for_is_an_inbox_cursor(bot: Bot, emulator: TelegramEmulator) -> None:
    await bot.send_message(USER, "раз")
    await bot.send_message(USER, "два")
    # messages sent before the call still count, each is returned once
    assert [m.text for m in await emulator.wait_for(USER, 2)] == ["раз", "два"]
    with pytest.raises(AssertionError, match=r"waiting for 1 new message\(s\) to chat 1; got 0"):
        await emulator.wait_for(USER, timeout=0.05)
    await bot.send_message(USER, "три")
    emulator.skip_pending(USER)
    with pytest.raises(AssertionError, match="got 0"):
        await emulator.wait_for(USER, timeout=0.05)


async def test_misc_methods(bot: Bot, emulator: TelegramEmulator) -> None:
    assert await bot.send_chat_action(USER, "typing")
    assert emulator.chat_actions == [(USER, "typing")]
    chat = await bot.get_chat(USER)
    assert chat.username == "anna"
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.get_chat(424242)
    question = await emulator.send_message(USER, "Когда сдавать?")
    reply = await bot.send_message(USER, "До пятницы", reply_parameters=ReplyParameters(message_id=question.message_id))
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "Когда сдавать?"
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to be replied not found"):
        await bot.send_message(USER, "x", reply_parameters=ReplyParameters(message_id=999))
    menu = await bot.send_message(USER, "Меню", reply_markup=ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="A")]]))
    assert menu.reply_markup is None  # Telegram echoes inline keyboards only
    assert emulator.last_message(USER).reply_keyboard is not None
    assert await bot.delete_messages(USER, [reply.message_id, menu.message_id, 999])
    assert [m.deleted for m in emulator.messages(USER)] == [True, True]


async def test_reset_forgets_everything(bot: Bot, emulator: TelegramEmulator) -> None:
    await bot.send_message(USER, "x")
    emulator.block(2)
    await emulator.send_message(USER, "y")
    emulator.reset()
    assert emulator.messages(USER) == []
    assert emulator.pending_updates() == 0
    assert emulator.stats.sent_messages == 0
    sent = await bot.send_message(2, "z")
    assert sent.message_id == 1
