"""Typed callback data. Versioned prefixes: a change of layout gets a new prefix, old buttons go stale."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class ReportAction(StrEnum):
    ACK = "ack"  # «Ознакомлен»
    OPEN = "op"  # open the item card with the status buttons
    NOT_STARTED = "ns"
    IN_PROGRESS = "ip"
    DONE = "dn"
    BLOCKED = "bl"
    COMMENT = "cm"  # a later comment on the item


class ReportCb(CallbackData, prefix="rep1"):
    """A status button under one delivered item (assignment)."""

    assignment_id: int
    action: ReportAction


class PubAction(StrEnum):
    PUBLISH = "pub"
    CONFIRM_DUPLICATE = "dup"
    CONFIRM_EMPTY = "empty"  # publish although nobody would get it now
    CANCEL = "cancel"
    SHOW = "show"  # full parsed text of one addressee
    ASK_ROLE = "ask"  # open the role choice for an addressee
    SET_ROLE = "role"
    ALL_OF_ROLE = "all"  # drop the one-organisation match, address the whole role
    WITHDRAW = "wd"
    WITHDRAW_CONFIRM = "wdok"
    WITHDRAW_CANCEL = "wdno"


class RoleChoice(StrEnum):
    REGION = "region"
    INSTITUTE = "institute"
    MUNICIPALITY = "municipality"
    SCHOOL = "school"
    PARTNER = "partner"
    SKIP = "skip"


class PubCb(CallbackData, prefix="pub1"):
    """Admin actions on a draft or published resolution."""

    action: PubAction
    resolution_id: int
    addressee_id: int = 0
    role: RoleChoice = RoleChoice.SKIP


class CommentCb(CallbackData, prefix="cmt1"):
    """Skip the optional comment / file after a status report."""

    report_id: int


class AnswerCb(CallbackData, prefix="ans1"):
    """An officer answers on an item (under a difficulty or a member's comment)."""

    assignment_id: int


class ReviewAction(StrEnum):
    ACCEPT = "ok"
    RETURN = "ret"


class ReviewCb(CallbackData, prefix="rev1"):
    assignment_id: int
    action: ReviewAction


class TasksCb(CallbackData, prefix="tsk1"):
    """A page of /tasks."""

    page: int


class ExtAction(StrEnum):
    ASK = "ask"
    APPROVE = "ok"
    DECLINE = "no"


class ExtCb(CallbackData, prefix="ext2"):
    """Extension of a due date: a member asks (ASK, about an assignment), a reviewer decides a request."""

    action: ExtAction
    assignment_id: int = 0
    request_id: int = 0


class JoinStep(StrEnum):
    KIND = "kind"  # chose what kind of organisation
    MUNICIPALITY = "mun"  # chose a municipality (then schools, or the municipality itself)
    ORG = "org"  # chose the organisation: the request goes out
    PAGE = "page"  # page through a list
    FOUND = "found"  # page through the schools a search found (the query is in the conversation state)


class JoinCb(CallbackData, prefix="join2"):
    """Onboarding by request: kind → (municipality) → organisation, ids only."""

    step: JoinStep
    kind: str = ""
    municipality_id: int = 0
    organisation_id: int = 0
    page: int = 0


class DecisionCb(CallbackData, prefix="dec1"):
    """Approve or reject a join request (the server re-checks who may, and that the request is still
    for the organisation the approver was shown)."""

    member_id: int
    organisation_id: int
    approve: bool


class ProfileAction(StrEnum):
    TIMEZONE = "tz"
    SET_TIMEZONE = "settz"
    QUIET = "quiet"
    SET_QUIET = "setq"
    PAUSE = "pause"
    LEAVE = "leave"
    LEAVE_CONFIRM = "leaveok"
    LEAVE_CANCEL = "leaveno"


class ProfileCb(CallbackData, prefix="me1"):
    action: ProfileAction
    value: str = ""


class DirectoryCb(CallbackData, prefix="dir1"):
    """«Загрузить как справочник»: the table itself waits in the conversation state (a file id is too long)."""


class AdminAction(StrEnum):
    INVITE_KIND = "ik"
    INVITE_ORG = "io"
    INVITE_PAGE = "ip"
    REVOKE = "rv"
    MEMBERS_KIND = "mk"
    MEMBERS_ORG = "mo"
    MEMBERS_PAGE = "mp"
    REMOVE_ASK = "ra"  # «Исключить»: asks first
    REMOVE = "rm"  # «Да, исключить»
    REMOVE_KEEP = "rk"  # «Нет»


class AdminCb(CallbackData, prefix="adm2"):
    action: AdminAction
    kind: str = ""
    organisation_id: int = 0
    invite_id: int = 0
    member_id: int = 0
    page: int = 0


class SnoozeCb(CallbackData, prefix="snz1"):
    """«Напомнить через N дней» under a reminder: postpone this member's reminders about one item."""

    assignment_id: int
    days: int = 3


class ProgressLevel(StrEnum):
    LIST = "ls"  # the resolutions
    RESOLUTION = "rs"  # one resolution over the region
    MUNICIPALITY = "mn"  # one resolution in one municipality
    ORGANISATION = "og"  # one organisation's items
    LAGGARDS = "lg"  # «Кто отстаёт»
    NUDGE = "nd"  # remind the laggards now
    CHART = "ch"  # the chart as a picture


class ProgressCb(CallbackData, prefix="prg1"):
    """/progress drill-down; every press is authorised again on the server."""

    level: ProgressLevel
    resolution_id: int = 0
    municipality_id: int = 0
    organisation_id: int = 0
    page: int = 0


class ExportFormat(StrEnum):
    XLSX = "x"
    CSV = "c"


class ExportCb(CallbackData, prefix="exp1"):
    """/export: the format, and one resolution (0: all published)."""

    fmt: ExportFormat
    resolution_id: int = 0


class AuditCb(CallbackData, prefix="aud1"):
    """/audit: a page of the trail, or the whole trail as CSV."""

    page: int = 0
    csv: bool = False


class PasteAction(StrEnum):
    DONE = "done"  # the pasted parts are all there
    READ = "read"  # read an offered text as a resolution


class PasteCb(CallbackData, prefix="pst1"):
    """A pasted resolution: the text itself waits in the conversation state."""

    action: PasteAction


class ChannelCb(CallbackData, prefix="chn1"):
    """/me: which messenger notices go to (`models.channels.Channel` value); the server checks it reaches them."""

    channel: str


class ResolutionsCb(CallbackData, prefix="res1"):
    """/resolutions: a page of the published ones."""

    page: int = 0


class ResendCb(CallbackData, prefix="rsd1"):
    """«Отправить ещё раз» under a broadcast's final summary: its unconfirmed messages, queued again."""

    broadcast_id: int
