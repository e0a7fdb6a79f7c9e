"""The form that schedules a live session (attendance sheets are read field by field in the view)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .services import MAX_DURATION


class ScheduleForm(FlaskForm):
    """A session of a live module: the date and time as the cohort's clocks show them, where, who facilitates."""

    module = SelectField(_l("Live module"), validators=[DataRequired()])
    date = DateField(_l("Date"), validators=[DataRequired()])
    time = TimeField(_l("Start time"), validators=[DataRequired()])
    duration = IntegerField(_l("Duration in minutes (empty: the module's)"),
                            validators=[Optional(), NumberRange(1, MAX_DURATION)])
    place = StringField(_l("Place"), validators=[Length(max=300)])
    meeting_url = StringField(_l("Online-meeting link"), validators=[Length(max=1024)])
    facilitators = SelectMultipleField(_l("Facilitators"), coerce=int, widget=ListWidget(prefix_label=False),
                                       option_widget=CheckboxInput())
    # Asked only when the time happens twice, as the clocks go back.
    fold = RadioField(_l("When the clocks go back, this time happens twice"), validate_choice=False,
                      choices=[SelectChoice("0", _l("the first time")), SelectChoice("1", _l("the second time"))])


class ScheduleImportForm(FlaskForm):
    """A CSV file of sessions, one a line (see :mod:`lms.sessions.importing`)."""

    file = FileField(_l("CSV file"), validators=[FileRequired()])
