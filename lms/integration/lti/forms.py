"""The form an admin registers a platform with; its values are checked by the LTI service, in one place."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class PlatformForm(FlaskForm):
    name = StringField(_l("Name"))
    issuer = StringField(_l("Issuer (platform ID)"))
    client_id = StringField(_l("Client ID"))
    deployment_ids = TextAreaField(_l("Deployment IDs (one a line)"))
    jwks_url = StringField(_l("Public keyset URL"))
    auth_login_url = StringField(_l("Authentication request URL"))
    auth_token_url = StringField(_l("Access token URL"))
    auth_audience = StringField(_l("Token audience (if the platform asks for one)"))
