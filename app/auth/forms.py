"""Sign-up and sign-in forms; field names are part of the §8 contract."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.platform.validators import EmailAddress


class SignupForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[DataRequired("Enter your email."), EmailAddress(), Length(max=254)],
    )
    password = PasswordField("Password", validators=[DataRequired("Enter a password."), Length(max=256)])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=256)])


class NameForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password."),
                                                                      Length(max=256)])
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password."), Length(max=256)])


class PasswordResetForm(FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password."), Length(max=256)])
