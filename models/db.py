"""Engine and session factory; created by the app at start, never at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session

# Named constraints keep Alembic migrations portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets the delivery worker write while handlers read; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    engine = create_async_engine(url, echo=echo)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


OUTBOX_QUEUED = "outbox_queued"  # session.info flag set by `models.outbox.enqueue`
# PostgreSQL: rows queued on one instance wake the delivery leader on another (NOTIFY is sent on commit).
OUTBOX_CHANNEL = "adresat_outbox"


def create_session_factory(
    engine: AsyncEngine, *, on_outbox_commit: Callable[[], None] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions for the app. `on_outbox_commit` runs after every commit that queued outbox rows (it wakes
    the delivery worker), and only then: rows rolled back never wake anyone."""

    class AppSession(Session):
        pass

    def after_commit(session: Session) -> None:
        if session.info.pop(OUTBOX_QUEUED, False) and on_outbox_commit is not None:
            on_outbox_commit()

    def after_rollback(session: Session) -> None:
        session.info.pop(OUTBOX_QUEUED, None)

    from models.audit import append_only  # models.audit needs the entities, which need this module

    event.listen(AppSession, "before_flush", append_only)
    event.listen(AppSession, "after_commit", after_commit)
    event.listen(AppSession, "after_soft_rollback", lambda session, _previous: after_rollback(session))
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=AppSession)
