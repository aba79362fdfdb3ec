"""Usage and spend (issue 11): sums against hand-computed figures, month boundaries, who may
see whose detail, budgets that refuse before any model call and warn at 80 %, per-chat
totals, the CSV, and a constant number of queries on 100,000 messages."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.costs import usage
from app.extensions import db
from app.models import Account, Chat, Membership, Message, User
from tests.support.queries import recorded_statements
from tests.support.usage_data import seed_spend


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=timezone.utc)


@pytest.fixture
def team(client, auth):
    """Ann (owner) and Bob (member) in Ann's account; Cy was a member and has been removed."""
    auth.signup()
    ann = db.session.execute(sa.select(User).where(User.email == "ann@example.com")).scalar_one()
    account = db.session.execute(sa.select(Account)).scalar_one()
    bob = User(email="bob@example.com", name="Bob Stone", password_hash=ann.password_hash)  # the same password
    cy = User(email="cy@example.com", name="Cy Former", password_hash="x")
    db.session.add_all([bob, cy, Membership(account=account, user=bob, role="member")])
    chat = Chat(account=account, creator=ann, model_id="demo-chat", title="Costs")
    db.session.add(chat)
    db.session.commit()

    def reply(user, model, when, cost, tokens=(100, 10, 50, 5), status="completed"):
        question = Message(chat=chat, user=user, role="user", content="q", status="completed", created_at=when)
        answer = Message(chat=chat, role="assistant", content="a", status=status, model_id=model, reply_to=question,
                         parent=question, created_at=when, cost=Decimal(cost), input_tokens=tokens[0],
                         cached_tokens=tokens[1], output_tokens=tokens[2], reasoning_tokens=tokens[3])
        db.session.add_all([question, answer])

    reply(ann, "demo-chat", at("2026-11-01", 0), "1.00")
    reply(ann, "demo-fast", at("2026-11-01", 23), "0.50", status="failed")
    reply(bob, "demo-chat", at("2026-11-02"), "2.25", status="cancelled")
    reply(cy, "demo-chat", at("2026-11-03"), "0.004", status="interrupted")
    reply(bob, "demo-chat", at("2026-10-31", 23), "9.00")  # the month before
    reply(ann, "demo-chat", at("2026-12-01", 0), "7.00")  # the month after
    db.session.commit()
    return account, ann, bob, cy, chat


NOVEMBER = usage.Range("custom", date(2026, 11, 1), date(2026, 11, 30))


def test_sums_by_day_model_and_member_match_the_hand_computed_figures(team):
    account, ann, bob, cy, _ = team
    found = usage.report(account.id, NOVEMBER)
    assert found.total.cost == Decimal("3.754") and found.total.replies == 4
    assert (found.total.input_tokens, found.total.cached_tokens, found.total.output_tokens,
            found.total.reasoning_tokens) == (400, 40, 200, 20)
    assert {d.isoformat(): t.cost for d, t in found.by_day.items()} == {
        "2026-11-01": Decimal("1.50"), "2026-11-02": Decimal("2.25"), "2026-11-03": Decimal("0.004")}
    assert {m: t.cost for m, t in found.by_model.items()} == {"demo-chat": Decimal("3.254"), "demo-fast": Decimal("0.50")}
    # Cy left the account; what their questions cost still counts.
    assert {u: t.cost for u, t in found.by_member.items()} == {
        ann.id: Decimal("1.50"), bob.id: Decimal("2.25"), cy.id: Decimal("0.004")}


def test_month_ranges_end_exactly_at_utc_month_boundaries(team):
    account = team[0]
    this_month = usage.resolve_range(None, None, None, date(2026, 11, 30))
    assert (this_month.first, this_month.last) == (date(2026, 11, 1), date(2026, 11, 30))
    assert usage.report(account.id, this_month).total.cost == Decimal("3.754")
    last_month = usage.resolve_range("last_month", None, None, date(2026, 12, 1))
    assert (last_month.first, last_month.last) == (date(2026, 11, 1), date(2026, 11, 30))
    october = usage.resolve_range("custom", "2026-10-31", "2026-10-31", date(2026, 12, 1))
    assert usage.report(account.id, october).total.cost == Decimal("9.00")
    december = usage.resolve_range("last_30_days", None, None, date(2026, 12, 1))
    assert december.first == date(2026, 11, 2) and usage.report(account.id, december).total.cost == Decimal("9.254")
    assert usage.resolve_range("custom", "2026-12-05", "2026-12-01", date(2026, 12, 9)).name == "this_month"
    assert usage.resolve_range("custom", "nonsense", "", date(2026, 12, 9)).name == "this_month"


def test_owner_sees_every_member_and_a_member_only_their_own_detail(team, client, auth):
    page = client.get("/usage?range=custom&from=2026-11-01&to=2026-11-30").data.decode()
    member_table = page.split('id="per-member"')[1].split("</table>")[0]
    assert "Ann Lee" in member_table and "Bob Stone" in member_table and "Cy Former" in member_table
    assert "$3.75" in page and "$0.004" in member_table  # under a cent: exactly, as everywhere
    auth.logout()
    auth.login("bob@example.com")
    page = client.get("/usage?range=custom&from=2026-11-01&to=2026-11-30").data.decode()
    member_table = page.split('id="per-member"')[1].split("</table>")[0]
    assert "Bob Stone" in member_table and "Other members" in member_table
    assert "Ann Lee" not in member_table and "Cy Former" not in member_table
    assert "$3.75" in page  # the account's totals
    rows = list(csv.DictReader(io.StringIO(
        client.get("/usage.csv?range=custom&from=2026-11-01&to=2026-11-30").data.decode())))
    assert {r["member"] for r in rows} == {"Bob Stone", "Other members"}
    assert sum(Decimal(r["cost_usd"]) for r in rows) == Decimal("3.754")


def test_the_csv_has_the_pages_rows_and_cannot_smuggle_formulas(team, client):
    account, ann, *_ = team
    ann.name = "=HYPERLINK(\"x\")"
    db.session.commit()
    response = client.get("/usage.csv?range=custom&from=2026-11-01&to=2026-11-30")
    assert response.headers["Content-Disposition"] == 'attachment; filename="confab-usage-2026-11-01-2026-11-30.csv"'
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert [(r["day"], r["model"], r["replies"], r["cost_usd"]) for r in rows] == [
        ("2026-11-01", "demo-chat", "1", "1.00000000"), ("2026-11-01", "demo-fast", "1", "0.50000000"),
        ("2026-11-02", "demo-chat", "1", "2.25000000"), ("2026-11-03", "demo-chat", "1", "0.00400000")]
    assert rows[0]["member"].startswith("'=")


def test_budget_refusal_comes_before_any_model_call_and_says_which_limit(team, client):
    account, *_ , chat = team
    account.member_monthly_limit_usd = Decimal("1.00")
    db.session.commit()
    before = db.session.execute(sa.select(sa.func.count(Message.id))).scalar_one()
    refused = client.post(f"/chats/{chat.id}/messages", data={"content": "more"}, headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 422
    message = refused.get_json()["error"]["message"]
    assert message.startswith("You have reached your monthly limit: $") and "of $1.00 spent" in message
    assert "It resets on 1 " in message and "(UTC)" in message
    assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar_one() == before  # nothing stored, no job


def test_the_composer_warns_at_80_percent_and_the_usage_page_shows_the_budget(team, client):
    account, ann, *_, chat = team
    now = datetime.now(timezone.utc)
    db.session.add(Message(chat=chat, role="assistant", content="a", status="completed", created_at=now, cost=Decimal("1")))
    db.session.commit()
    spent, _ = usage.month_spend(account.id, usage.month_start(now.date()))
    account.monthly_limit_usd = (spent / Decimal("0.85")).quantize(Decimal("0.01"))
    db.session.commit()
    page = client.get(f"/chats/{chat.id}").data.decode()
    assert 'id="budget-warning"' in page and "% of Ann Lee&#39;s account&#39;s monthly limit is spent" in page
    assert "data-blocked" not in page
    usage_page = client.get("/usage").data.decode()
    assert 'class="card budget near"' in usage_page and "resets in" in usage_page


def test_a_chat_shows_its_total_and_the_list_each_chats_cost(team, client):
    chat = team[-1]
    page = client.get(f"/chats/{chat.id}").data.decode()
    assert 'id="chat-cost"' in page and "$19.75 · 900 tokens" in page
    listing = client.get("/chats").data.decode()
    assert '<span class="chat-cost">$19.75</span>' in listing


def test_usage_money_never_shows_a_cost_as_zero():
    assert usage.usd(Decimal("0")) == "$0.00"
    assert usage.usd(Decimal("0.0001")) == "$0.0001" and usage.usd(Decimal("0.000063")) == "$0.000063"
    assert usage.usd(Decimal("0.0123")) == "$0.01" and usage.usd(Decimal("1234.5")) == "$1,234.50"
    assert usage.usd(None) == "–"
    assert usage.usd(Decimal("1234.5")) == "$1,234.50"


def test_the_usage_page_on_100000_messages_runs_a_constant_number_of_queries(client, auth, app):
    auth.signup()
    account = db.session.execute(sa.select(Account)).scalar_one()
    seed_spend(db.engine, account.id, replies=50_000, days=30)
    with recorded_statements() as statements:
        page = client.get("/usage?range=last_30_days")
        csv_page = client.get("/usage.csv?range=last_30_days")
    assert page.status_code == 200 and csv_page.status_code == 200
    spend = [s for s in statements if "sum(messages.cost)" in s.lower() or "sum(messages.input_tokens)" in s.lower()]
    assert len(spend) == 2  # one grouped query for the page and one for the CSV
    assert len(statements) <= 20
    assert csv_page.data.decode().count("\n") > 30


def test_replies_without_a_price_are_counted_apart_and_budgets_say_they_cannot_count_them(team, client):
    account, *_, chat = team
    now = datetime.now(timezone.utc)
    db.session.add(Message(chat=chat, role="assistant", content="a", status="completed", created_at=now,
                           model_id="demo-chat", input_tokens=12, output_tokens=30, cost=None))
    account.monthly_limit_usd = Decimal("100")
    db.session.commit()
    [budget] = usage.budgets(account, account.memberships[0].user, now.date())
    assert budget.unpriced == 1
    assert budget.uncounted() == ("1 reply this month used models without a price; "
                                  "it is not counted against this limit.")
    page = client.get("/usage").data.decode()
    assert 'id="unpriced-replies">1 reply without a price' in page
    assert "it is not counted against this limit." in page
    assert "+ 1 without a price" in page
    csv_rows = client.get("/usage.csv").data.decode().splitlines()
    assert csv_rows[0].endswith(",replies_without_price") and any(row.endswith(",1") for row in csv_rows[1:])
