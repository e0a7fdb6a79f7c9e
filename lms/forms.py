"""Web forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PackageForm(FlaskForm):
    package = FileField(_l("Course package (.zip)"), validators=[FileRequired()])
    allow_downgrade = BooleanField(_l("Allow an older version: it becomes the version learners see"))


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token: enrol, log out."""
