from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.platform.validators import Visible


class NewChatForm(FlaskForm):
    """The home page's composer settings; the first message itself is the composer's ``content``
    and ``files``, read by the posting use case."""
    model_id = SelectField("Model", validators=[DataRequired("Choose a model.")])
    private = BooleanField("Private")


class RenameForm(FlaskForm):
    title = StringField("Title", validators=[
        DataRequired("Enter a title."), Visible("Enter a title."),
        Length(max=200, message="A title can be at most 200 characters."),
    ])


class ModelForm(FlaskForm):
    model_id = SelectField("Model", validators=[DataRequired("Choose a model.")])


class InstructionsForm(FlaskForm):
    instructions = TextAreaField("Instructions", validators=[Optional(), Length(max=20_000)])
