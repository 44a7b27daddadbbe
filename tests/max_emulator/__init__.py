"""A MAX Bot API emulator for the end-to-end tests of the bot's MAX transport (see server.py)."""

from .models import BotMessage, CallbackRecord, MaxUser
from .server import SECRET_HEADER, TOKEN, MaxEmulator

__all__ = ["SECRET_HEADER", "TOKEN", "BotMessage", "CallbackRecord", "MaxEmulator", "MaxUser"]
