from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.platform.validators import EmailAddress


class ProviderForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Name the provider."), Length(max=60)],
                       render_kw={"placeholder": "OpenRouter"})
    base_url = StringField("Base URL", validators=[DataRequired("Give the provider's base URL."), Length(max=500)],
                           render_kw={"placeholder": "https://openrouter.ai/api/v1", "spellcheck": "false"})
    api_key = PasswordField("API key", validators=[Length(max=500)],
                            render_kw={"autocomplete": "off", "placeholder": "Leave empty if it needs none"})


class AdminForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email."), EmailAddress()])


class ActionForm(FlaskForm):
    """A button's form: the CSRF token only."""
