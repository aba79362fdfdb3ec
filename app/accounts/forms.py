from flask_wtf import FlaskForm
from wtforms import (
    DecimalField, EmailField, IntegerField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.identity.invitations import MAX_LINK_USES
from app.models.accounts import ROLES
from app.platform.validators import EmailAddress


ROLE_CHOICES = [SelectChoice(r, r.title()) for r in ROLES]


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email."), EmailAddress()])
    role = SelectField("Role", choices=ROLE_CHOICES, default="member")


class InviteLinkForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, default="member")
    max_uses = IntegerField("Can be used", default=10, validators=[
        InputRequired("Say how many times."),
        NumberRange(min=1, max=MAX_LINK_USES, message=f"1 to {MAX_LINK_USES} times.")])
    days = SelectField("Works for", coerce=int, default=7,
                       choices=[SelectChoice(1, "a day"), SelectChoice(7, "a week"), SelectChoice(30, "a month")])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class BudgetForm(FlaskForm):
    monthly_limit_usd = DecimalField("Monthly limit for the account (USD)", places=2, validators=[Optional(), NumberRange(min=0)])
    member_monthly_limit_usd = DecimalField("Monthly limit per member (USD)", places=2, validators=[Optional(), NumberRange(min=0)])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired("Name the token."), Length(max=120)])


class ModelsForm(FlaskForm):
    """Which enabled chat models the account offers, and its default (choices set by the view)."""

    offer = RadioField("Offer", choices=[SelectChoice("all", "Every enabled model, and new ones as they are switched on"),
                                         SelectChoice("chosen", "Only the models checked below")], default="all")
    model_ids = SelectMultipleField("Models", validate_choice=True)
    default_model_id = SelectField("Default model for new chats")
