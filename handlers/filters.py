"""Router-level access filters: who may reach a router at all."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject, User

from bot.settings import Settings
from models.entities import Approval, Member


class IsAdmin(Filter):
    """Users listed in ADMIN_IDS."""

    async def __call__(self, event: TelegramObject, event_from_user: User | None, settings: Settings) -> bool:
        return event_from_user is not None and event_from_user.id in settings.admin_ids


class IsApprovedMember(Filter):
    """Members whose membership an admin or officer approved and who have not left."""

    async def __call__(self, event: TelegramObject, member: Member | None) -> bool:
        return member is not None and member.approval == Approval.APPROVED


class IsAdminOrMember(Filter):
    """Admins, or approved members."""

    async def __call__(
        self, event: TelegramObject, event_from_user: User | None, settings: Settings, member: Member | None
    ) -> bool:
        if event_from_user is not None and event_from_user.id in settings.admin_ids:
            return True
        return member is not None and member.approval == Approval.APPROVED
