"""Views for usage: the current account's spend over a range, for owners in full and for
members as the account's totals and their own detail (``app/costs/usage.py`` counts)."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request
from flask_login import current_user, login_required

from app.costs import usage
from app.identity.scoping import current_membership
from app.models.base import utcnow
from app.usage import bp

OTHERS = "Other members"
FORMER = "Former member"


def _scope():
    membership = current_membership()
    if membership is None:
        abort(404)
    today = utcnow().date()
    span = usage.resolve_range(request.args.get("range"), request.args.get("from"), request.args.get("to"), today)
    return membership, today, span


def _member_label(asker_id, owner: bool, names: dict) -> str:
    """Who asked, as this viewer may see it: owners see names, members only themselves."""
    if asker_id == current_user.id:
        return names.get(asker_id, current_user.name)
    if not owner:
        return OTHERS
    return names.get(asker_id, FORMER)


def _by_member(found: usage.Report, owner: bool, names: dict) -> list[tuple[str, usage.Totals]]:
    merged: dict[str, usage.Totals] = {}
    for asker_id, totals in found.by_member.items():
        label = _member_label(asker_id, owner, names)
        merged.setdefault(label, usage.Totals())
        for name in (*usage.TOKEN_FIELDS, "cost", "replies", "unpriced"):
            setattr(merged[label], name, getattr(merged[label], name) + getattr(totals, name))
    return sorted(merged.items(), key=lambda item: item[1].cost, reverse=True)


def _chart(found: usage.Report, split: str, owner: bool, names: dict) -> dict:
    """Cost per day, one series per model (or per member), for the chart library."""
    days = found.range.days
    series: dict[str, dict] = {}
    for day, model, asker_id, row in found.rows:
        label = model if split == "model" else _member_label(asker_id, owner, names)
        values = series.setdefault(label, {d.isoformat(): 0.0 for d in days})
        values[day.isoformat()] = values.get(day.isoformat(), 0.0) + float(row.cost or 0)
    return {
        "days": [d.isoformat() for d in days],
        "series": [{"label": label, "data": [round(v, 6) for v in values.values()]} for label, values in sorted(series.items())],
    }


@bp.get("/usage")
@login_required
def show():
    membership, today, span = _scope()
    owner = membership.is_owner
    found = usage.report(membership.account_id, span)
    names = usage.names_of(found.by_member)
    split = "member" if request.args.get("split") == "member" else "model"
    return render_template(
        "usage/show.html", account=membership.account, owner=owner, span=span, report=found, split=split,
        members=_by_member(found, owner, names), chart=_chart(found, split, owner, names),
        budgets=usage.budgets(membership.account, current_user, today),
        days_left=(usage.next_month(today) - today).days, ranges=usage.RANGES, range_args=_range_args(span),
    )


def _range_args(span: usage.Range) -> dict:
    """The query string that asks for ``span`` again (links to the other split and the CSV)."""
    if span.name == "custom":
        return {"range": span.name, "from": span.first.isoformat(), "to": span.last.isoformat()}
    return {"range": span.name}


@bp.get("/usage.csv")
@login_required
def download():
    """The same rows as the page, one per day, model and member as the viewer may see them."""
    membership, _, span = _scope()
    found = usage.report(membership.account_id, span)
    names = usage.names_of(found.by_member)
    merged: dict[tuple, usage.Totals] = {}
    for day, model, asker_id, row in found.rows:
        key = (day.isoformat(), model, _member_label(asker_id, membership.is_owner, names))
        merged.setdefault(key, usage.Totals()).add(row)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "model", "member", "replies", "input_tokens", "cached_tokens", "output_tokens",
                     "reasoning_tokens", "cost_usd", "replies_without_price"])
    for (day, model, member), totals in sorted(merged.items()):
        writer.writerow([day, model, _csv_safe(member), totals.replies, totals.input_tokens, totals.cached_tokens,
                         totals.output_tokens, totals.reasoning_tokens, f"{totals.cost:.8f}", totals.unpriced])
    filename = f"confab-usage-{span.first.isoformat()}-{span.last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _csv_safe(text: str) -> str:
    """A name that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
