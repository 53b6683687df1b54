"""A real OpenID Connect provider on 127.0.0.1 for the sign-in tests: discovery, authorize
(approves at once, as whoever ``sign_in_as`` last named), token (an RS256-signed ID token
with the nonce it was asked for) and JWKS. Enough for Streamlit's ``st.login`` (Authlib) to
run the whole authorization-code flow against it, as it would against Okta or Entra."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "pitchcraft-test"
CLIENT_SECRET = "client-secret-never-shown-0123456789"


@dataclass
class FakeOIDC:
    base_url: str = ""
    user: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0

    def __post_init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test"})

    def sign_in_as(self, email: str, name: str, groups: tuple[str, ...] = ()) -> None:
        self.user = {"sub": email, "email": email, "name": name, "groups": list(groups)}

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def metadata(self) -> dict[str, Any]:
        b = self.base_url
        return {
            "issuer": b,
            "authorization_endpoint": f"{b}/authorize",
            "token_endpoint": f"{b}/token",
            "jwks_uri": f"{b}/jwks",
            "userinfo_endpoint": f"{b}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            **grant["user"],
            "iss": self.base_url,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 3600,
            "email_verified": True,
        }
        if grant.get("nonce"):
            claims["nonce"] = grant["nonce"]
        header = {"alg": "RS256", "kid": "test"}
        return jwt.encode(header, claims, self.key)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *_: Any) -> None:  # quiet
        pass

    def _json(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        provider = self.server.provider
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            self._json(provider.metadata())
        elif url.path == "/jwks":
            self._json({"keys": [provider.key.as_dict(private=False)]})
        elif url.path == "/authorize":
            if query.get("client_id") != CLIENT_ID or not provider.user:
                self._json({"error": "unauthorized_client"}, 400)
                return
            code = secrets.token_urlsafe(16)
            provider.codes[code] = {"user": dict(provider.user), "nonce": query.get("nonce")}
            answer = urlencode({"code": code, "state": query["state"]})
            target = f"{query['redirect_uri']}?{answer}"
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
        elif url.path == "/userinfo":
            self._json(provider.user)
        else:
            self._json({"error": "not_found"}, 404)

    def do_POST(self) -> None:
        provider = self.server.provider
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlparse(self.path).path != "/token":
            self._json({"error": "not_found"}, 404)
            return
        provider.token_requests += 1
        grant = provider.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            self._json({"error": "invalid_grant"}, 400)
            return
        self._json(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": provider.id_token(grant),
            }
        )


class _Server(ThreadingHTTPServer):
    provider: FakeOIDC


@pytest.fixture(name="fake_oidc")
def fake_oidc_fixture() -> Iterator[FakeOIDC]:
    server = _Server(("127.0.0.1", 0), _Handler)
    provider = FakeOIDC(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    server.provider = provider
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
