from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.models.accounts import ROLES
from app.platform.validators import EmailAddress


class AddMemberForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email."), EmailAddress()])
    role = SelectField("Role", choices=[SelectChoice(r, r.title()) for r in ROLES], default="member")


class BudgetForm(FlaskForm):
    monthly_limit_usd = DecimalField("Monthly limit for the account (USD)", places=2, validators=[Optional(), NumberRange(min=0)])
    member_monthly_limit_usd = DecimalField("Monthly limit per member (USD)", places=2, validators=[Optional(), NumberRange(min=0)])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired("Name the token."), Length(max=120)])
