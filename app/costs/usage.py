"""Usage and spend (SPEC §3, issue 11): tokens and cost per day, model and member, the monthly
budgets, and each chat's total. Every reply counts, whatever became of it (its tokens were
paid for), shown on the chat's path or not. Months and days are UTC. Aggregation happens in
SQL, one grouped query per question however many messages there are."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Account, Chat, Message, User

WARN_AT = Decimal("0.8")
ZERO = Decimal("0")
TOKEN_FIELDS = ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens")
RANGES = {"this_month": "This month", "last_30_days": "Last 30 days", "last_month": "Last month", "custom": "Custom"}


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def as_utc_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Range:
    """Whole UTC days from ``first`` to ``last``, both included."""

    name: str
    first: date
    last: date

    @property
    def label(self) -> str:
        return RANGES[self.name]

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def bounds(self) -> tuple[datetime, datetime]:
        return as_utc_start(self.first), as_utc_start(self.last + timedelta(days=1))


MAX_DAYS = 366


def resolve_range(name: str | None, first: str | None, last: str | None, today: date) -> Range:
    """The range a usage page asks for; anything odd falls back to this month."""
    if name == "last_30_days":
        return Range(name, today - timedelta(days=29), today)
    if name == "last_month":
        end = month_start(today) - timedelta(days=1)
        return Range(name, month_start(end), end)
    if name == "custom":
        try:
            start, end = date.fromisoformat(first or ""), date.fromisoformat(last or "")
        except ValueError:
            start = end = None
        if start and end and start <= end and (end - start).days < MAX_DAYS:
            return Range(name, start, end)
    return Range("this_month", month_start(today), next_month(today) - timedelta(days=1))


def _day(column):
    """The UTC calendar day of a timestamp, as SQL."""
    if db.engine.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)


@dataclass
class Totals:
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost: Decimal = ZERO
    replies: int = 0
    unpriced: int = 0  # replies with tokens but no price: their cost is unknown, not $0

    def add(self, row) -> None:
        for name in TOKEN_FIELDS:
            setattr(self, name, getattr(self, name) + int(getattr(row, name) or 0))
        self.cost += Decimal(str(row.cost or 0))
        self.replies += int(row.replies or 0)
        self.unpriced += int(row.unpriced or 0)

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass
class Report:
    """A range's usage: totals, and by day, model and member (each as {key: Totals})."""

    range: Range
    total: Totals = field(default_factory=Totals)
    by_day: dict = field(default_factory=lambda: defaultdict(Totals))
    by_model: dict = field(default_factory=lambda: defaultdict(Totals))
    by_member: dict = field(default_factory=lambda: defaultdict(Totals))
    by_day_model: dict = field(default_factory=lambda: defaultdict(Totals))
    by_day_member: dict = field(default_factory=lambda: defaultdict(Totals))
    rows: list = field(default_factory=list)


def _unpriced():
    """How many of the rows are replies with tokens and no cost (a model nobody states a price for)."""
    return sa.func.coalesce(sa.func.sum(sa.case(
        (sa.and_(Message.cost.is_(None), Message.output_tokens.is_not(None)), 1), else_=0)), 0).label("unpriced")


def spend_rows(account_id: int, first: datetime, end: datetime) -> list:
    """Tokens and cost of the account's replies from ``first`` (included) to ``end``
    (excluded), grouped by UTC day, model and the member who asked: one query."""
    question = aliased(Message)
    day = _day(Message.created_at).label("day")
    query = (
        sa.select(
            day, Message.model_id, question.user_id.label("asker_id"),
            *(sa.func.coalesce(sa.func.sum(getattr(Message, name)), 0).label(name) for name in TOKEN_FIELDS),
            sa.func.coalesce(sa.func.sum(Message.cost), 0).label("cost"),
            sa.func.count(Message.id).label("replies"), _unpriced(),
        )
        .select_from(Message)
        .join(Chat, Chat.id == Message.chat_id)
        .outerjoin(question, question.id == Message.reply_to_id)
        .where(Chat.account_id == account_id, Message.role == "assistant",
               Message.created_at >= first, Message.created_at < end)
        .group_by(day, Message.model_id, question.user_id)
        .order_by(day, Message.model_id, question.user_id)
    )
    return list(db.session.execute(query).all())


def report(account_id: int, span: Range) -> Report:
    found = Report(range=span)
    for row in spend_rows(account_id, *span.bounds()):
        day = row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))
        model = row.model_id or "unknown"
        found.rows.append((day, model, row.asker_id, row))
        for totals in (found.total, found.by_day[day], found.by_model[model], found.by_member[row.asker_id],
                       found.by_day_model[(day, model)], found.by_day_member[(day, row.asker_id)]):
            totals.add(row)
    return found


def names_of(user_ids) -> dict[int, str]:
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())


# -- budgets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """One monthly limit and how much of it is spent."""

    kind: str  # "account" or "member"
    limit: Decimal
    spent: Decimal
    resets_on: date
    account_name: str
    unpriced: int = 0  # replies this month whose cost is unknown, so not counted in ``spent``

    @property
    def fraction(self) -> float:
        return float(self.spent / self.limit) if self.limit > 0 else 1.0

    @property
    def percent(self) -> int:
        return min(100, round(self.fraction * 100))

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.limit

    @property
    def warning(self) -> bool:
        return not self.exhausted and self.limit > 0 and self.spent >= self.limit * WARN_AT

    @property
    def whose(self) -> str:
        return f"{self.account_name}'s monthly limit" if self.kind == "account" else "your monthly limit"

    def refusal(self) -> str:
        who = self.account_name if self.kind == "account" else "You"
        verb = "has" if self.kind == "account" else "have"
        return (f"{who} {verb} reached {'its' if self.kind == 'account' else 'your'} monthly limit: "
                f"{usd(self.spent)} of {usd(self.limit)} spent. It resets on {long_date(self.resets_on)} (UTC).")

    def caution(self) -> str:
        return (f"{self.percent}% of {self.whose} is spent ({usd(self.spent)} of {usd(self.limit)}); "
                f"it resets on {long_date(self.resets_on)} (UTC).")

    def uncounted(self) -> str | None:
        """What the limit cannot see: replies on models without a price."""
        if not self.unpriced:
            return None
        replies = "reply" if self.unpriced == 1 else "replies"
        return (f"{self.unpriced:,} {replies} this month used models without a price; "
                f"{'it is' if self.unpriced == 1 else 'they are'} not counted against this limit.")


def month_spend(account_id: int, month_first: date, asker_id: int | None = None) -> tuple[Decimal, int]:
    """What the account (or one member's questions) cost since ``month_first``, and how
    many replies in that time had no price."""
    query = (sa.select(sa.func.coalesce(sa.func.sum(Message.cost), 0), _unpriced())
             .join(Chat, Chat.id == Message.chat_id)
             .where(Chat.account_id == account_id, Message.created_at >= as_utc_start(month_first)))
    if asker_id is not None:
        asked = sa.select(Message.id).where(Message.user_id == asker_id, Message.role == "user")
        query = query.where(Message.reply_to_id.in_(asked))
    spent, unpriced = db.session.execute(query).one()
    return Decimal(str(spent)), int(unpriced)


def budgets(account: Account, user: User, today: date) -> list[Budget]:
    """The limits that apply to ``user`` in ``account`` this month (none set: empty)."""
    first, resets = month_start(today), next_month(today)
    found = []
    if account.monthly_limit_usd is not None:
        spent, unpriced = month_spend(account.id, first)
        found.append(Budget("account", Decimal(account.monthly_limit_usd), spent, resets, account.name, unpriced))
    if account.member_monthly_limit_usd is not None:
        spent, unpriced = month_spend(account.id, first, user.id)
        found.append(Budget("member", Decimal(account.member_monthly_limit_usd), spent, resets, account.name,
                            unpriced))
    return found


# -- per chat ----------------------------------------------------------------------------


def chat_totals(chat_ids: list[int]) -> dict[int, Totals]:
    """Each chat's tokens and cost, every reply counted: one grouped query."""
    if not chat_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Message.chat_id,
            *(sa.func.coalesce(sa.func.sum(getattr(Message, name)), 0).label(name) for name in TOKEN_FIELDS),
            sa.func.coalesce(sa.func.sum(Message.cost), 0).label("cost"),
            sa.func.count(Message.id).label("replies"), _unpriced(),
        ).where(Message.chat_id.in_(chat_ids), Message.role == "assistant").group_by(Message.chat_id)
    ).all()
    found: dict[int, Totals] = defaultdict(Totals)
    for row in rows:
        found[row.chat_id].add(row)
    return found


# -- how money and dates read --------------------------------------------------------------


def usd(value) -> str:
    """An amount in USD, read the same everywhere (a reply, a chat's total, the usage page,
    exports): dollars and cents from a cent up, and an amount under a cent exactly, to the
    millionth ("$0.000063": never "$0.00", never "< $0.01"). "–" when unknown."""
    if value is None:
        return "–"
    amount = Decimal(str(value))
    if amount == 0 or abs(amount) >= Decimal("0.01"):
        return f"${amount:,.2f}"
    return "$" + f"{amount:.6f}".rstrip("0").rstrip(".")


def long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"
