"""A fresh install: the lock it installs from, and a checkout that `make demo` and `make test` leave as committed."""

from __future__ import annotations

import re
import shutil
import tomllib

import pytest
from babel.messages.pofile import read_po
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import browser_support
from authoring.build import build_course
from authoring.locales import DOMAIN, INTERFACE_DIR, INTERFACE_LANGUAGES
from conftest import ROOT, SAMPLE_COURSE
from lms.i18n import update_interface_catalogs

LOCK = ROOT / "uv.lock"


def locked() -> dict[str, tuple[str, list[str]]]:
    """Return the lock's packages but the project itself: name -> (version, hashes of its files)."""
    found = {}
    for package in tomllib.loads(LOCK.read_text())["package"]:
        if package.get("source", {}).get("editable") == ".":
            continue
        files = [package["sdist"]] if "sdist" in package else []
        files += package.get("wheels", [])
        found[canonicalize_name(package["name"])] = (package["version"], [f.get("hash", "") for f in files])
    return found


def test_the_lock_pins_every_dependency_and_extra_within_pyproject_ranges_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    wanted += [Requirement(r) for extra in ("dev", "prod") for r in project["optional-dependencies"][extra]]
    pins = locked()
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in {LOCK.name}: run 'make lock'"
        version, _ = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), \
            f"{requirement.name}=={version} in {LOCK.name} is outside {requirement}: run 'make lock'"
    assert all(hashes and all(h.startswith("sha256:") for h in hashes) for _, hashes in pins.values()), \
        [name for name, (_, hashes) in pins.items() if not hashes or not all(h.startswith("sha256:") for h in hashes)]


def test_the_project_is_built_with_the_build_backend_the_lock_pins():
    """pip, uv and a production wheel build the project in an environment of their own: with the exact backend."""
    [requirement] = [Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
                     ["requires"]]
    version, _ = locked()[canonicalize_name(requirement.name)]
    assert str(requirement.specifier) == f"=={version}", f"pin {requirement.name}=={version} in [build-system]"


def interface_copy(tmp_path):
    folder = tmp_path / "interface"
    shutil.copytree(INTERFACE_DIR, folder, ignore=shutil.ignore_patterns("*.mo"))
    return folder, sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def test_make_installs_only_what_the_lock_names_checked_against_its_hashes():
    """What ``make demo``, ``make test`` and CI install is the lock, never the newest versions pyproject allows:
    uv at an exact version, then ``uv sync --locked``, which refuses a lock that no longer matches pyproject.toml
    (and checks each file against the lock's hash)."""
    import subprocess

    recipe = subprocess.run(["make", "--dry-run", "--always-make", "install", "PYTHON=python3", "VENV=/nonexistent",
                             "UV_VENV=/nonexistent-uv"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    installs = [line for line in recipe.splitlines() if " install " in line or " sync " in line]
    assert any(" sync --locked " in line for line in installs), recipe
    assert all(" sync --locked " in line or re.search(r"pip install .* uv==[0-9.]+$", line) for line in installs), \
        recipe


def test_updating_the_interface_catalogs_leaves_unchanged_ones_byte_for_byte(tmp_path):
    folder, catalogs = interface_copy(tmp_path)
    update_interface_catalogs(folder)  # the copy takes any string added to the code since the last commit
    for path in catalogs:  # as committed by another version of Babel
        path.write_text(re.sub(r"Generated-By: Babel [^\\]+", "Generated-By: Babel 2.0.0", path.read_text()))
    before = {path: path.read_bytes() for path in catalogs}
    update_interface_catalogs(folder)
    assert {path: path.read_bytes() for path in catalogs} == before
    assert all(path.with_suffix(".mo").is_file() for path in catalogs)
    assert len(catalogs) == len(INTERFACE_LANGUAGES)


def without_log_in(folder):
    """Take 'Log in' out of the French catalog, as if the string had just been marked in the code."""
    path = folder / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po"
    text = path.read_text()
    entry = re.search(r'\n\n(#:[^\n]*\n)+msgid "Log in"\nmsgstr "[^"]*"\n', text)
    assert entry, "the French catalog translates 'Log in'"
    path.write_text(text.replace(entry[0], "\n"))
    return path


def test_updating_the_interface_catalogs_brings_back_a_missing_entry(tmp_path):
    folder, _ = interface_copy(tmp_path)
    path = without_log_in(folder)
    update_interface_catalogs(folder)
    with path.open("rb") as f:
        assert read_po(f, locale="fr").get("Log in") is not None


def test_make_test_and_make_demo_only_compile_the_catalogs_as_they_are(tmp_path):
    folder, catalogs = interface_copy(tmp_path)
    without_log_in(folder)
    before = {path: path.read_bytes() for path in catalogs}
    update_interface_catalogs(folder, update=False)
    assert {path: path.read_bytes() for path in catalogs} == before
    assert all(path.with_suffix(".mo").stat().st_size > 1000 for path in catalogs)


def test_building_the_sample_course_writes_nothing_beside_its_sources(tmp_path):
    watched = [SAMPLE_COURSE, ROOT / "translations" / SAMPLE_COURSE.name]

    def files():
        return {p: (p.stat().st_mtime_ns, p.stat().st_size) for folder in watched for p in folder.rglob("*")}

    before = files()
    built = build_course(SAMPLE_COURSE, tmp_path / "dist", use_cache=True)
    assert files() == before
    assert built.path.parent == tmp_path / "dist"
    assert built.languages == ["en", "fr", "es", "ru", "ar"]  # every language the sample course declares


def test_browser_tests_are_skipped_with_a_reason_without_chromium_but_fail_in_ci(tmp_path, monkeypatch):
    missing = str(tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        browser_support.require_chromium(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed"):
        browser_support.require_chromium(missing)


def test_an_installed_wheel_carries_every_file_the_lms_reads_beside_its_code(tmp_path):
    """A production install (``uv sync --locked --extra prod --no-editable``) is a wheel, not the checkout: data
    files must be in it."""
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel, = tmp_path.glob("passerelle-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [path.relative_to(ROOT).as_posix() for folder in ("lms", "authoring")
              for path in (ROOT / folder).rglob("*") if path.is_file() and path.suffix not in (".py", ".pyc", ".mo")
              and "__pycache__" not in path.parts]
    assert needed and not [name for name in needed if name not in names]


def test_the_readmes_production_command_serves_the_lms_under_gunicorn_with_its_settings(tmp_path):
    """The README's gunicorn command, as an academy's IT person runs it (``--config python:lms.server``
    included), starts and answers; with one worker and a port of its own, as a test machine has two cores."""
    import json
    import os
    import shlex
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    line, = [line for line in (ROOT / "README.md").read_text().splitlines() if "bin/gunicorn " in line]
    args = shlex.split(line)
    assert args[1:3] == ["--config", "python:lms.server"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args[0] = str(Path(sys.executable).parent / "gunicorn")
    args[args.index("--workers") + 1] = "1"
    args[args.index("--bind") + 1] = f"127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'passerelle.db'}", PASSERELLE_INSTANCE=str(tmp_path),
               PASSERELLE_SECRET_KEY="production-test", PASSERELLE_PUBLIC_URL=f"http://127.0.0.1:{port}/")
    subprocess.run([str(Path(sys.executable).parent / "passerelle"), "init-db"], env=env, check=True,
                   capture_output=True)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline, answer = time.monotonic() + 120, None
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/xapi/about", timeout=5) as response:
                    answer = json.load(response)
            except OSError:
                time.sleep(0.2)
        assert answer is not None, log.read_text(errors="replace")
        assert "1.0.3" in answer["version"]
    finally:
        server.terminate()
        server.wait(timeout=30)
