"""Settings: read from the environment in one place, and all documented in the README."""

from __future__ import annotations

import re

from conftest import ROOT
from lms.config import SETTINGS, complete, load_settings


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    assert documented == {s.env for s in SETTINGS}


def test_environment_is_read_and_defaults_filled(tmp_path):
    config = complete(load_settings({"PASSERELLE_INSTANCE": str(tmp_path), "PASSERELLE_MAX_UPLOAD_MB": "5",
                                     "DATABASE_URL": "postgresql://app@db.internal/passerelle"}))
    assert config["DATABASE_URL"] == "postgresql+psycopg://app@db.internal/passerelle"
    assert config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    assert config["PACKAGE_DIR"] == str(tmp_path / "packages")
    # The generated secret key is kept, so every restart (and every worker) shares it.
    assert config["SECRET_KEY"] == complete(load_settings({"PASSERELLE_INSTANCE": str(tmp_path)}))["SECRET_KEY"]


def test_sqlite_in_the_instance_folder_by_default(tmp_path):
    config = complete(load_settings({"PASSERELLE_INSTANCE": str(tmp_path)}))
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'passerelle.db'}"
