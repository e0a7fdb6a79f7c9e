"""Credentials of the LRS's clients: HTTP Basic keys with scopes.

Only a hash of each secret is kept; the secret is shown once, when made.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Credential
from .times import now

#: What a key may do (xAPI's OAuth scopes): ``statements/read/mine`` reads only the statements sent with
#: that key; ``state`` and ``profile`` reach the document resources; ``all/read`` reads everything.
SCOPES = ("all", "all/read", "statements/write", "statements/read", "statements/read/mine", "state", "profile")

def create_credential(session: Session, name: str, scopes: list[str], *, agent: dict | None = None,
                      expires: dt.datetime | None = None) -> tuple[Credential, str]:
    """Create a credential; return it and its secret, which is not stored.

    With ``agent``, the key acts only as that agent: it writes and reads only
    statements and state about them, as a signed-in learner does; with
    ``expires``, it stops working then.
    """
    for scope in scopes:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; choose from {', '.join(SCOPES)}")
    secret = secrets.token_urlsafe(32)
    credential = Credential(name=name, key=secrets.token_hex(10), secret_hash=_hash(secret),
                            scopes=" ".join(scopes), created=now(), expires=expires,
                            agent=json.dumps(agent, sort_keys=True) if agent is not None else None)
    session.add(credential)
    session.flush()
    return credential, secret


def authenticate(session: Session, key: str, secret: str) -> Credential | None:
    """Return the live credential with this key and secret, or None (unknown, revoked or expired)."""
    credential = session.scalar(select(Credential).where(Credential.key == key, Credential.revoked.is_(None)))
    if credential is None or not hmac.compare_digest(credential.secret_hash, _hash(secret)):
        return None
    if credential.expires is not None and _aware(credential.expires) <= now():
        return None
    return credential


def token(key: str, secret: str) -> str:
    """Return the value of an HTTP Basic ``Authorization`` header for a key (what cmi5 calls an auth-token)."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite gives back naive datetimes; every time the LRS stores is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def list_credentials(session: Session) -> list[Credential]:
    return list(session.scalars(select(Credential).order_by(Credential.id)))


def revoke_credential(session: Session, key: str) -> bool:
    """Revoke a credential; return False if no live credential has this key."""
    credential = session.scalar(select(Credential).where(Credential.key == key, Credential.revoked.is_(None)))
    if credential is None:
        return False
    credential.revoked = now()
    session.flush()
    return True


def credential_authority(credential: Credential, home_page: str) -> dict:
    """Return the authority agent recorded on statements sent with a credential."""
    return {"objectType": "Agent", "name": credential.name,
            "account": {"homePage": home_page, "name": credential.key}}


def _hash(secret: str) -> str:
    # Secrets are 256 random bits, so a fast hash is enough and keeps every request cheap.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
