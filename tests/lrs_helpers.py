"""An LRS client for the tests: the Flask test client with credentials and the version header."""

from __future__ import annotations

import json
import uuid

from lms.db import get_db
from xapi import credentials

V = {"X-Experience-API-Version": "1.0.3"}
ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example.test/", "name": "u1"}}


def statement(verb="experienced", activity="https://academy.example.org/a/1", **extra) -> dict:
    return {"actor": ACTOR, "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
            "object": {"objectType": "Activity", "id": activity}, **extra}


def new_id() -> str:
    return str(uuid.uuid4())


class Lrs:
    """Requests to /xapi/ with a credential; ``auth=None`` sends none."""

    def __init__(self, client, auth):
        self.client = client
        self.auth = auth

    def request(self, method: str, path: str, *, params=None, json_body=None, data=None, headers=None,
                auth="default"):
        query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in (params or {}).items()}
        return self.client.open(f"/xapi/{path}", method=method, query_string=query, json=json_body, data=data,
                                headers=V | (headers or {}), auth=self.auth if auth == "default" else auth)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def send(self, *statements) -> list[str]:
        response = self.post("statements", json_body=list(statements))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def query(self, **params) -> list[dict]:
        response = self.get("statements", params=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["statements"]


def make_key(app, *scopes: str, name: str = "test client") -> tuple[str, str]:
    with app.app_context():
        credential, secret = credentials.create_credential(get_db(), name, list(scopes))
        get_db().commit()
    return credential.key, secret
