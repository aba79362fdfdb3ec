"""Which of the enabled chat models an account offers, and the one its new chats start on
(chosen by the account's owners on the account page; every enabled model by default)."""
from __future__ import annotations

from app.catalog import registry
from app.models import Account, LlmModel


class OfferingError(ValueError):
    """A choice of models that cannot be kept; the text is for the owner."""


def offered_in(account: Account | None, kind: str = "chat") -> list[LlmModel]:
    """The models of ``kind`` a chat in ``account`` can use. Image models are not chosen per account."""
    models = registry.offered_models(kind)
    if account is None or kind != "chat" or account.offered_models is None:
        return models
    chosen = set(account.offered_models)
    return [m for m in models if m.id in chosen]


def offers(account: Account | None, model: LlmModel) -> bool:
    return account is None or model.kind != "chat" or account.offered_models is None \
        or model.id in account.offered_models


def choose(account: Account, model_ids: list[str] | None, default_id: str | None) -> None:
    """Keep the account's models (``None``: every enabled one, and new ones as they are
    switched on) and its default; :class:`OfferingError` when the choice cannot stand."""
    enabled = {m.id: m for m in registry.offered_models("chat")}
    if model_ids is not None:
        unknown = sorted(set(model_ids) - set(enabled))
        if unknown:
            raise OfferingError(f"Not switched on for this Confab: {', '.join(unknown[:5])}.")
        if not model_ids:
            raise OfferingError("Choose at least one model, or offer every enabled model.")
    if default_id is not None:
        if default_id not in enabled:
            raise OfferingError("That default model is not switched on. Choose another one.")
        if model_ids is not None and default_id not in model_ids:
            raise OfferingError(f"{enabled[default_id].name} is the default, so the account must offer it.")
    account.offered_models = sorted(set(model_ids)) if model_ids is not None else None
    account.default_model_id = default_id
