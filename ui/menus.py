"""The command menu each audience sees (`setMyCommands` per chat), and nothing it may not use."""

from __future__ import annotations

from aiogram.types import BotCommand

from models.policy import Audience

_START = BotCommand(command="start", description="Начало работы")
_HELP = BotCommand(command="help", description="Справка: что я умею")
_TASKS = BotCommand(command="tasks", description="Мои открытые пункты и отчёт")
_ME = BotCommand(command="me", description="Профиль: часовой пояс, тихие часы, отпуск")
_LEAVE = BotCommand(command="leave", description="Выйти из организации")
_PROGRESS = BotCommand(command="progress", description="Ход исполнения, кто отстаёт")
_INVITE = BotCommand(command="invite", description="Пригласить сотрудника")
_MEMBERS = BotCommand(command="members", description="Участники организаций")
_EXPORT = BotCommand(command="export", description="Отчёт об исполнении в Excel")

MENUS: dict[Audience, list[BotCommand]] = {
    Audience.GUEST: [_START, _HELP],
    Audience.MEMBER: [_TASKS, _ME, _HELP, _LEAVE],
    Audience.OFFICER: [_TASKS, _PROGRESS, _INVITE, _MEMBERS, _EXPORT, _ME, _HELP, _LEAVE],
    Audience.ADMIN: [
        _START,
        BotCommand(command="publish", description="Опубликовать резолюцию из текста"),
        BotCommand(command="resolutions", description="Опубликованные резолюции, отзыв"),
        _PROGRESS,
        _EXPORT,
        BotCommand(command="orgs", description="Загрузить справочник организаций"),
        _INVITE,
        _MEMBERS,
        BotCommand(command="audit", description="Журнал действий"),
        _HELP,
    ],
}
