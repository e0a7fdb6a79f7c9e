"""Passerelle inside a host Flask application, under a URL prefix, with the host's users.

    from lms import Passerelle
    Passerelle(app, url_prefix="/learning", user_loader=lambda: current_user,
               config={"PUBLIC_URL": "https://intranet.example.org/learning/"})

How it works, and why:

- Passerelle is its own Flask application, built by :func:`lms.create_app`, and is mounted in the host's WSGI
  pipeline (werkzeug's ``DispatcherMiddleware`` around ``app.wsgi_app``).  Its extensions, log-in manager,
  CSRF protection, error pages and settings never touch the host's, and the host's never touch it: a
  request under the prefix is Passerelle's alone.  The prefix reaches it as ``SCRIPT_NAME``, so every address
  it makes (pages, redirects, the player's LRS endpoint and cmi5 fetch URL, static files, the service worker)
  carries the prefix.  Its cookies are named and scoped to the prefix, so they never replace the host's.
- On each request Passerelle asks the host who is signed in: it calls ``user_loader()`` inside a request
  context of the host application built from the same request, so the host's session, cookies and
  Flask-Login ``current_user`` work there as in the host's own views (its ``before_request`` functions are not
  run: they may check the host's own CSRF tokens).  The host user is mapped to a Passerelle account
  (:func:`lms.integration.identities.account_for`, created on first sight) and signed in for that request
  only: nothing is kept in Passerelle's session, so logging out of the host, or in as someone else, is
  followed at the next request.
- When the host says no one is signed in, Passerelle's own accounts may still log in on its log-in page (the
  academy's administrators, say) unless ``login_url`` sends visitors to the host's log-in page instead; an
  account mapped from the host never signs in that way.
- Nothing is kept at module level: each host application gets its own Passerelle application, database
  engine and settings, so two hosts in one process do not see each other's users or settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import click
from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_url, logout_user
from sqlalchemy import select
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from ..accounts import services as accounts
from ..db import get_db
from ..models import ROLES
from .identities import HOST, ExternalIdentity, account_for, issuer_key

#: What a host's ``user_profile`` may give besides the subject: :func:`account_for`'s own arguments.
ACCOUNT_ARGUMENTS = ("username", "display_name", "email", "role")
#: The attributes of a host user read when the host gives no ``user_profile``.
DEFAULT_ATTRIBUTES = {"username": "username", "display_name": "display_name", "email": "email"}
#: Where a mounted Passerelle keeps its schema's revision, apart from the host's own migrations.
MOUNTED_VERSION_TABLE = "passerelle_alembic_version"
#: Requests that need no user: files served as they are.
ANONYMOUS_ENDPOINTS = frozenset({"static", "service_worker", "icon", "favicon"})


class Passerelle:
    """The Passerelle LMS mounted in a host Flask application under ``url_prefix``.

    ``user_loader()`` is called in a request context of the host application and returns the host's
    signed-in user, or None (Flask-Login's ``current_user`` may be returned as it is: an anonymous one counts
    as None).  The user's subject, the id the host knows them by, is ``user_profile(user)["subject"]`` if given,
    else the user's ``id`` attribute, else Flask-Login's ``get_id()``, else the user itself when it is a string
    or a number.  ``user_profile(user)``, if given, returns what the host knows of the person: any of
    username, display_name, email, country, institution, gender, language, timezone, and role (for an account
    created on first sight); without it, the user's ``username``, ``display_name`` and ``email`` attributes are
    read when it has them.

    ``config`` is Passerelle's own settings (those of :mod:`lms.config`, by their names): ``PUBLIC_URL``, the
    address of Passerelle under the host (learners' xAPI accounts carry it as their homePage), is required;
    ``DATABASE_URL`` set to the host's database shares it (Passerelle's tables are named ``lms_``, ``xapi_``
    and ``external_identities``), left out gives Passerelle its own.  ``login_url`` (a host endpoint or an
    address) is where visitors who are not signed in are sent, with ``next`` set to the page they asked
    for; without it they get Passerelle's own log-in page.  ``logout_url`` is where Passerelle's log-out
    button sends a host user (without it, back to the catalogue: the host's session is the host's to end).
    ``issuer`` names the host in the identities it maps (default: ``PUBLIC_URL``).

    With ``app``, mounts at once; else call :meth:`init_app` for each host application.  The Passerelle
    application of a host is ``host.extensions["passerelle"].lms``; its commands (``init-db``, ``import``,
    ``users``...) are the host's ``flask passerelle ...`` commands.
    """

    def __init__(self, app: Flask | None = None, *, url_prefix: str, user_loader: Callable[[], object],
                 user_profile: Callable[[object], Mapping] | None = None, config: Mapping | None = None,
                 login_url: str | None = None, logout_url: str | None = None, issuer: str | None = None) -> None:
        prefix = "/" + url_prefix.strip("/")
        if prefix == "/":
            raise ValueError("url_prefix must name a path under the host, such as /learning")
        self.url_prefix, self.user_loader, self.user_profile = prefix, user_loader, user_profile
        self.config = dict(config or {})
        if not self.config.get("PUBLIC_URL"):
            raise ValueError("config['PUBLIC_URL'] is required: the address of Passerelle under the host, such as "
                             f"https://intranet.example.org{prefix}/ (learners' statements carry it)")
        self.login_url, self.logout_url, self.issuer = login_url, logout_url, issuer
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> Flask:
        """Mount a Passerelle application of its own in the host ``app``; return it."""
        from .. import create_app

        path = app.config.get("APPLICATION_ROOT", "/").rstrip("/") + self.url_prefix
        lms = create_app({
            **self.config,
            # Passerelle's cookies are its own: the host's session, remember-me and language cookies stay the host's.
            "APPLICATION_ROOT": path, "SESSION_COOKIE_NAME": "passerelle_session", "SESSION_COOKIE_PATH": path,
            "REMEMBER_COOKIE_NAME": "passerelle_remember", "REMEMBER_COOKIE_PATH": path,
            # In the host's database, the host's own migrations (Flask-Migrate, Alembic) keep alembic_version.
            "MIGRATIONS_VERSION_TABLE": self.config.get("MIGRATIONS_VERSION_TABLE", MOUNTED_VERSION_TABLE),
        })
        mount = Mount(self, app, lms)
        app.extensions["passerelle"] = lms.extensions["passerelle.host"] = mount
        lms.before_request(mount.sign_in)
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {self.url_prefix: mount.wsgi})
        app.cli.add_command(mount.commands())
        return lms


class Mount:
    """One Passerelle application in one host application: what each of its requests asks the host."""

    def __init__(self, options: Passerelle, host: Flask, lms: Flask) -> None:
        self.options, self.host, self.lms = options, host, lms
        self.issuer = options.issuer or lms.config["PUBLIC_URL"]
        if options.login_url:
            lms.login_manager.unauthorized_handler(
                lambda: self.to_host_login(request.script_root + request.full_path.removesuffix("?")))

    def wsgi(self, environ: dict, start_response):
        """Answer a request under the prefix, remembering the request as the host received it."""
        script, prefix = environ.get("SCRIPT_NAME", ""), self.options.url_prefix
        environ["passerelle.host_environ"] = {**environ, "SCRIPT_NAME": script[:len(script) - len(prefix)],
                                              "PATH_INFO": prefix + environ.get("PATH_INFO", "")}
        return self.lms(environ, start_response)

    def host_request(self):
        """A request context of the host application for the request Passerelle is answering."""
        return self.host.request_context(request.environ.get("passerelle.host_environ", request.environ))

    def host_user(self) -> tuple[str, dict] | None:
        """Ask the host who is signed in: their subject and what the host knows of them, or None."""
        with self.host_request():
            user = self.options.user_loader()
            if user is None or user is False or not getattr(user, "is_authenticated", True):
                return None
            if self.options.user_profile is not None:
                details = dict(self.options.user_profile(user) or {})
            else:
                details = {name: getattr(user, attribute) for name, attribute in DEFAULT_ATTRIBUTES.items()
                           if isinstance(getattr(user, attribute, None), str)}
            subject = details.pop("subject", None)
            if subject is None:
                subject = subject_of(user)
        return str(subject), details

    def sign_in(self):
        """Sign in, for this request, the account of the host's signed-in user (before any view runs)."""
        if request.endpoint in ANONYMOUS_ENDPOINTS:
            return None
        found = self.host_user()
        if found is None:
            if self.options.login_url and request.endpoint == "auth.login":
                target = request.args.get("next", "")
                local = target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc
                return self.to_host_login(target if local else url_for("catalog.courses"))
            if current_user.is_authenticated and self.mapped(current_user):
                logout_user()  # an account of the host's, signed in here once with a password: the host decides
            return None
        subject, details = found
        arguments = {name: details.pop(name) for name in ACCOUNT_ARGUMENTS if details.get(name) is not None}
        if arguments.get("role") not in ROLES:
            arguments.pop("role", None)  # a role of the host's own ("Instructor"): a new account is a learner
        session = get_db()
        try:
            user = account_for(session, HOST, self.issuer, subject, profile=details, **arguments)
            session.commit()
        except accounts.AccountError as exc:
            session.rollback()
            current_app.logger.warning("host user %r not signed in: %s", subject, exc)
            abort(403, description=_(exc.message, **exc.params))
        if not user.is_active:
            abort(403, description=_("This account is deactivated. Ask an administrator."))
        # Flask-Login's user of this request (see forget_the_last_request in lms.views.auth), not its session's.
        g._login_user = user
        if request.endpoint == "auth.login":
            return redirect(url_for("catalog.courses"))
        if request.endpoint == "auth.logout" and request.method == "POST":
            return redirect(self.host_address(self.options.logout_url) if self.options.logout_url
                            else url_for("catalog.courses"), 303)
        return None

    def mapped(self, user) -> bool:
        """Whether ``user`` is the account of one of the host's users."""
        issuer = issuer_key(HOST, self.issuer)
        return get_db().scalar(select(ExternalIdentity.id).where(ExternalIdentity.user_id == user.id,
                                                                 ExternalIdentity.issuer == issuer)) is not None

    def to_host_login(self, back: str):
        """Send the visitor to the host's log-in page, to come back to ``back`` (a path of Passerelle's)."""
        return redirect(login_url(self.host_address(self.options.login_url), next_url=back))

    def host_address(self, target: str) -> str:
        """An address of the host: ``target`` itself, or the address of the host endpoint it names."""
        if target.startswith("/") or urlsplit(target).scheme:
            return target
        with self.host_request():
            return url_for(target)

    def commands(self) -> click.Group:
        """The ``passerelle`` command group of the host: Passerelle's commands, run on its own application."""
        lms = self.lms

        @click.group("passerelle", help="Passerelle, mounted at " + self.options.url_prefix + ": its commands.")
        @click.pass_context
        def group(ctx: click.Context) -> None:
            ctx.with_resource(lms.app_context())

        for command in lms.cli.commands.values():
            group.add_command(command)
        return group


def subject_of(user) -> str:
    """The id a host knows its user by: ``id``, else Flask-Login's ``get_id()``, else the user as a string."""
    for attribute in ("id", "get_id"):
        value = getattr(user, attribute, None)
        value = value() if callable(value) else value
        if value is not None and value != "":
            return str(value)
    if isinstance(user, (str, int)):
        return str(user)
    raise TypeError(f"the host's user_loader gave {user!r}: give the subject in user_profile(user)['subject']")
