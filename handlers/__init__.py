"""Routers, one per feature, built fresh for each dispatcher, in the order it tries them."""

from __future__ import annotations

from aiogram import Router


def get_routers() -> list[Router]:
    from handlers import (
        admin,
        common,
        exports,
        fallback,
        linking,
        onboarding,
        profile,
        progress,
        redelivery,
        reports,
        upload,
    )

    # The fallback router must stay last: it answers whatever the others did not take.
    return [
        onboarding.create_router(),
        linking.create_router(),  # /link and the messenger choice (MAX, maxbot/)
        admin.create_directory_router(),  # before publishing: a document captioned /orgs is a directory
        upload.create_router(),
        admin.create_router(),
        reports.create_router(),
        progress.create_router(),
        exports.create_router(),
        redelivery.create_router(),
        profile.create_router(),
        common.create_router(),
        onboarding.create_guest_router(),
        fallback.create_router(),
    ]
