"""Every table of SPEC §3 (and signed-in sessions), grouped by domain."""
from app.models.accounts import ROLE_MEMBER, ROLE_OWNER, Account, Membership, User, normalise_email
from app.models.chats import Attachment, Chat, Message, ToolCall
from app.models.invitations import Invitation, PasswordReset
from app.models.registry import LlmModel, LlmProvider
from app.models.sessions import UserSession
from app.models.tokens import ApiToken

__all__ = [
    "ROLE_MEMBER", "ROLE_OWNER", "Account", "ApiToken", "Attachment", "Chat", "Invitation", "LlmModel",
    "LlmProvider", "Membership", "Message", "PasswordReset", "ToolCall", "User", "UserSession", "normalise_email",
]
