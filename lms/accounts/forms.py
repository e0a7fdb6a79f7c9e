"""Forms of the accounts screens; the values are checked by the accounts service, in one place."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class ProfileForm(FlaskForm):
    """What every user sets for themselves."""

    language = SelectField(_l("Preferred language"), validate_choice=False)
    timezone = SelectField(_l("Time zone"), validate_choice=False)


class OwnProfileForm(ProfileForm):
    """A user's own profile: their name too (the accounts service checks it, as it does an admin's edit)."""

    display_name = StringField(_l("Name"))


class AccountForm(ProfileForm):
    """An account as an admin creates or edits it (the username only when creating)."""

    username = StringField(_l("Username"), validators=[Length(max=80)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("E-mail address"), validators=[Length(max=254)])
    role = SelectField(_l("Role"), validate_choice=False)
    country = SelectField(_l("Country"), validate_choice=False)
    institution = StringField(_l("Institution"), validators=[Length(max=200)])
    gender = SelectField(_l("Gender"), validate_choice=False)


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])
    cohort = SelectField(_l("Enrol them in the cohort"), validate_choice=False)


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("The same password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class ChangePasswordForm(PasswordForm):
    """A new password, given with the current one."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    name = StringField(_l("Username or e-mail address"), validators=[DataRequired(), Length(max=254)])
