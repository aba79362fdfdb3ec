"""Administration commands: the model registry, users, accounts and API tokens."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.catalog import adjustments, refresh, registry
from app.extensions import db
from app.identity import passwords
from app.identity.accounts import AccountError, add_member_by_email, create_user, find_user
from app.models import Account, ApiToken, LlmModel
from app.models.accounts import ROLES

models_cli = AppGroup("models", help="The model registry.")
users_cli = AppGroup("users", help="Users.")
accounts_cli = AppGroup("accounts", help="Accounts (teams).")
tokens_cli = AppGroup("tokens", help="API tokens.")


@models_cli.command("seed")
@click.option("--file", "path", type=click.Path(dir_okay=False), help="Model file (default app/ai_models.yml).")
def seed_models(path: str | None) -> None:
    """Upsert the file's providers and models; others stay as they are."""
    path = path or current_app.config["MODELS_FILE"]
    try:
        result = registry.seed(path)
    except registry.RegistryFileError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    if result.changed:
        click.echo(
            f"Seeded {path}: {result.providers_added} providers added, {result.providers_changed} changed; "
            f"{result.models_added} models added, {result.models_changed} changed."
        )
    else:
        click.echo(f"Seeded {path}: nothing changed.")


@models_cli.command("refresh")
@click.option("--provider", "provider_key", help="Refresh only this provider (its key in the model file).")
def refresh_models(provider_key: str | None) -> None:
    """Ask every provider with a key (or that needs none) for its models, and merge them in.

    New models arrive switched off unless the provider's `enable` in the model file matches
    them; models a provider no longer lists are marked unavailable; a provider that does not
    answer keeps its models as they were. Exits 1 if a provider failed."""
    try:
        results = refresh.refresh(provider_key)
    except (refresh.UnknownProvider, registry.RegistryFileError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    for result in results:
        click.echo(result.summary(), err=bool(result.error and not result.no_key))
    if any(r.error and not r.no_key for r in results) or (provider_key and results[0].no_key):
        raise SystemExit(1)


@models_cli.command("enable")
@click.argument("pattern")
def enable_models(pattern: str) -> None:
    """Switch on the chat and image models whose id matches PATTERN (e.g. 'anthropic/*')."""
    click.echo(f"{adjustments.switch(pattern, on=True)} models switched on.")


@models_cli.command("disable")
@click.argument("pattern")
def disable_models(pattern: str) -> None:
    """Switch off the models whose id matches PATTERN."""
    click.echo(f"{adjustments.switch(pattern, on=False)} models switched off.")


@models_cli.command("list")
def list_models() -> None:
    """Print the registry."""
    rows = db.session.execute(sa.select(LlmModel).order_by(LlmModel.kind, LlmModel.id)).scalars()
    for model in rows:
        state = ("enabled" if model.enabled else "disabled") if model.available else "gone"
        caps = ",".join(model.capabilities or []) or "-"
        price = (f"in=${model.input_price}/M out=${model.output_price}/M ({model.price_source})" if model.priced
                 else "price unknown")
        click.echo(f"{model.id:24} {model.kind:9} {model.provider.key:10} {state:9} "
                   f"ctx={model.context_window} ({model.limits_source or '-'}) {price} caps={caps}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--account", "account_name", help="Join (or create) the account with this name.")
@click.option("--admin", is_flag=True, help="Make them an administrator of this Confab (providers and models).")
def create_user_command(email: str, name: str, password: str, account_name: str | None, admin: bool) -> None:
    """Create a user with a personal account, or as a member of --account."""
    try:
        user = create_user(email, name, password, account_name, admin=admin)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    accounts = ", ".join(m.account.name for m in user.memberships)
    role = " as an administrator" if user.is_admin else ""
    click.echo(f"Created user {user.email} (id {user.id}){role} in: {accounts}")


@users_cli.command("reset-link")
@click.argument("email")
def reset_link(email: str) -> None:
    """Print a one-time link (valid an hour) that sets EMAIL's password."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with email {email!r}.")
    secret = passwords.reset_link_secret(user)
    db.session.commit()
    click.echo(f"/reset/{secret}  (open it on your Confab's address; it works once, for an hour)")


@accounts_cli.command("add-member")
@click.argument("account")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
def add_member(account: str, email: str, role: str) -> None:
    """Add the user with EMAIL to ACCOUNT (a name or an id)."""
    query = sa.select(Account).where(Account.name == account)
    if account.isdigit():
        query = sa.select(Account).where(sa.or_(Account.id == int(account), Account.name == account))
    matches = list(db.session.execute(query).scalars())
    if not matches:
        raise click.ClickException(f"No account named {account!r}.")
    if len(matches) > 1:
        raise click.ClickException(f"Several accounts are named {account!r}; give its id instead.")
    try:
        membership = add_member_by_email(matches[0], email, role)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{membership.user.email} is a {membership.role} of {matches[0].name} (id {matches[0].id}).")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
def create_token(email: str, name: str) -> None:
    """Create an API token for EMAIL and print it once."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with email {email!r}.")
    _, plain = ApiToken.issue(user, name)
    db.session.commit()
    click.echo(plain)
