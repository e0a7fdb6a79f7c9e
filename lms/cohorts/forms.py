"""Forms of the cohort screens; the values are checked by the cohorts service, in one place."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    """A choice of several, as a list of boxes to tick: usable on a phone, without scripts."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CohortForm(FlaskForm):
    """A cohort as an admin creates or edits it (the course only when creating)."""

    course = SelectField(_l("Course"), validate_choice=False)
    name = StringField(_l("Name"))
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired()])
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    language = SelectField(_l("Language"), validate_choice=False)
    self_enrol = BooleanField(_l("Learners may join by themselves"))
    trainers = CheckboxesField(_l("Trainers"), coerce=int, validate_choice=False)


class EnrolForm(FlaskForm):
    """The accounts an admin ticks to enrol in a cohort."""

    users = CheckboxesField(_l("Accounts"), coerce=int, validate_choice=False)
