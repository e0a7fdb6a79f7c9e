"""Every setting, the environment variable it comes from, its default and its help.

This is the only place that reads the environment; the README's
configuration table is checked against :data:`SETTINGS` by a test.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str  # key in app.config
    env: str  # environment variable
    default: str | None  # None: computed from the instance folder
    help: str
    type: type = str


SETTINGS = (
    Setting("INSTANCE_PATH", "PASSERELLE_INSTANCE", None,
            "Folder for the SQLite database, the secret key and imported packages (default: ./instance)."),
    Setting("DATABASE_URL", "DATABASE_URL", None,
            "SQLAlchemy database URL, e.g. postgresql+psycopg://user@host/db (default: SQLite in the instance folder)."),
    Setting("SECRET_KEY", "PASSERELLE_SECRET_KEY", None,
            "Key that signs sessions and CSRF tokens; the same on every app server "
            "(default: generated once into the instance folder)."),
    Setting("PUBLIC_URL", "PASSERELLE_PUBLIC_URL", "http://127.0.0.1:5000/",
            "The platform's public address; learners' xAPI accounts use it as their homePage, so never change it "
            "once statements exist."),
    Setting("PACKAGE_DIR", "PASSERELLE_PACKAGE_DIR", None,
            "Folder where imported course packages are kept (default: packages/ in the instance folder)."),
    Setting("MAX_UPLOAD_MB", "PASSERELLE_MAX_UPLOAD_MB", "100",
            "Largest course package or request body accepted, in megabytes.", int),
    Setting("ACADEMY_NAME", "PASSERELLE_ACADEMY_NAME", "Passerelle Academy",
            "The academy that runs the platform: it issues and signs the certificates of completion."),
    Setting("CERTIFICATE_DIR", "PASSERELLE_CERTIFICATE_DIR", None,
            "Folder of the academy's own certificate look: logo.png (or logo.jpg) and template.json, each "
            "optional (default: certificate/ in the instance folder). The key that signs certificates is kept "
            "in the instance folder."),
    Setting("REPORTS_MIN_GROUP", "PASSERELLE_REPORTS_MIN_GROUP", "5",
            "Smallest group of people a report figure is shown for: a cell computed from fewer (but some) is "
            "shown as \"< 5\", in pages and exports, so no one is singled out.", int),
    Setting("EXPORTS_IN_BACKGROUND", "PASSERELLE_EXPORTS_IN_BACKGROUND", "1",
            "1: a per-learner export asked for on the reports' pages is written at once by a thread of the app "
            "server; 0: it waits for 'passerelle reports exports' (run it every minute or so from cron or a "
            "worker), which also writes again any export a restart cut short."),
    Setting("TIMEZONE", "PASSERELLE_TIMEZONE", "UTC",
            "Time zone in which dates and times are shown, e.g. Europe/Paris or Africa/Tunis."),
    Setting("TRUSTED_PROXIES", "PASSERELLE_TRUSTED_PROXIES", "0",
            "How many reverse proxies stand in front of the app and set X-Forwarded-For, -Proto and -Host; "
            "their headers give the client's address (for the log-in limits) and scheme. 0: trust none.", int),
    Setting("LOGIN_LIMIT_ACCOUNT", "PASSERELLE_LOGIN_LIMIT_ACCOUNT", "10 per 15 minutes",
            "Failed log-ins allowed for one username; past it, that username cannot log in (even with the "
            "right password) until the time has passed."),
    Setting("LOGIN_LIMIT_ADDRESS", "PASSERELLE_LOGIN_LIMIT_ADDRESS", "50 per 15 minutes",
            "Failed log-ins allowed from one client address, whatever the usernames; an office behind one "
            "address shares it."),
    Setting("LTI_LOGIN_LIMIT", "PASSERELLE_LTI_LOGIN_LIMIT", "60 per minute",
            "LTI log-ins (launches begun by a platform) allowed from one client address; past it, the address "
            "waits. Each keeps a nonce for ten minutes."),
    Setting("RATELIMIT_STORAGE_URI", "PASSERELLE_RATELIMIT_STORAGE", "memory://",
            "Where failed log-ins are counted: memory:// counts in each process; with several app servers or "
            "workers use a shared store, e.g. redis://host:6379 (pip install 'limits[redis]')."),
    Setting("LAUNCH_KEY_DAYS", "PASSERELLE_LAUNCH_KEY_DAYS", "30",
            "Days the LRS key of a launched module keeps working; answers kept on a device while offline "
            "are sent with it, so give learners on mission time to come back online.", int),
    Setting("XAPI_FORWARD_URL", "PASSERELLE_FORWARD_LRS", "",
            "An external LRS's xAPI address (e.g. https://lrs.example.org/xapi/); when set, every stored "
            "statement is queued for it and sent by 'passerelle lrs-forwarding run'."),
    Setting("XAPI_FORWARD_USERNAME", "PASSERELLE_FORWARD_LRS_KEY", "", "HTTP Basic key for the external LRS."),
    Setting("XAPI_FORWARD_PASSWORD", "PASSERELLE_FORWARD_LRS_SECRET", "", "HTTP Basic secret for the external LRS."),
    Setting("XAPI_MAX_BATCH", "PASSERELLE_XAPI_MAX_BATCH", "1000",
            "Most statements the LRS accepts in one request; a larger batch is refused (413) and should be "
            "sent in parts.", int),
    Setting("PASSWORD_LINK_DAYS", "PASSERELLE_PASSWORD_LINK_DAYS", "7",
            "Days a link to set one's password (given to each new account) keeps working.", int),
    Setting("SMTP_HOST", "PASSERELLE_SMTP_HOST", "",
            "Mail server that sends new accounts their link to set a password; empty: no mail is sent and "
            "admins pass the links on themselves."),
    Setting("SMTP_PORT", "PASSERELLE_SMTP_PORT", "587", "Port of the mail server.", int),
    Setting("SMTP_TLS", "PASSERELLE_SMTP_TLS", "starttls",
            "How the connection to the mail server is encrypted: starttls, ssl (port 465 usually) or off."),
    Setting("SMTP_USERNAME", "PASSERELLE_SMTP_USERNAME", "", "User name on the mail server, if it asks for one."),
    Setting("SMTP_PASSWORD", "PASSERELLE_SMTP_PASSWORD", "", "Password on the mail server."),
    Setting("SMTP_FROM", "PASSERELLE_SMTP_FROM", "passerelle@localhost",
            "Sender address of the platform's messages, e.g. academy@example.org."),
    Setting("MAIL_LOG", "PASSERELLE_MAIL_LOG", "0",
            "1: the platform's messages (links to set or reset a password) are written to the application's log "
            "instead of being sent, e.g. for a demonstration or a test server; 0: sent when SMTP_HOST is set."),
    Setting("RESET_LINK_HOURS", "PASSERELLE_RESET_LINK_HOURS", "2",
            "Hours a link to choose a new password, mailed to whoever forgot theirs, keeps working.", int),
    Setting("RESET_LIMIT", "PASSERELLE_RESET_LIMIT", "5 per hour",
            "Requests for a new-password link allowed from one client address, and for one username or e-mail "
            "address; past it, the page asks to wait."),
)


def load_settings(environ: dict[str, str] | os._Environ = os.environ) -> dict:
    """Return app settings from the environment, with defaults filled in."""
    config = {}
    for setting in SETTINGS:
        value = environ.get(setting.env, setting.default)
        config[setting.name] = setting.type(value) if value is not None else None
    return config


def complete(config: dict) -> dict:
    """Fill the defaults that depend on the instance folder; create it if needed."""
    instance = Path(config.get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    config["INSTANCE_PATH"] = str(instance)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'passerelle.db'}"
    config["DATABASE_URL"] = sqlalchemy_url(config["DATABASE_URL"])
    if not config.get("PACKAGE_DIR"):
        config["PACKAGE_DIR"] = str(instance / "packages")
    if not config.get("CERTIFICATE_DIR"):
        config["CERTIFICATE_DIR"] = str(instance / "certificate")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if not config["PUBLIC_URL"].endswith("/"):
        config["PUBLIC_URL"] += "/"
    config["MAX_CONTENT_LENGTH"] = config["MAX_UPLOAD_MB"] * 1024 * 1024
    return config


def sqlalchemy_url(url: str) -> str:
    """Accept the usual ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(path: Path) -> str:
    if not path.exists():
        write_secret_once(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


def write_secret_once(path: Path, data: bytes) -> None:
    """Write a secret file (mode 0600) at ``path``, unless another process gets there first: its file is kept.

    The file is written whole under a name of its own, then linked to the real name. A link never replaces
    a file, so processes starting at once all read the secret of whichever linked first, and none reads half.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.chmod(temporary, 0o600)  # whatever the umask
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
