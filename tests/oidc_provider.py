"""A small OpenID Connect provider for tests: the single sign-on browser test signs in through it.

It speaks the authorization-code flow that Streamlit's ``st.login`` (Authlib) uses: discovery,
``/authorize`` (no login page: it approves at once for the ``login_hint`` or else for the
e-mail the test has set in :attr:`OidcProvider.email`), ``/token`` (client secret, PKCE S256),
RS256 identity tokens signed with a key made at start and published at ``/jwks``, ``/userinfo``,
and ``/logout`` (RP-initiated logout, back to ``post_logout_redirect_uri``). It runs on a plain
``http.server`` in a thread of the test process, on a free loopback port.

Not a real provider: no consent, no sessions of its own, everything in memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

KID = "clinicdesk-test"


class OidcProvider:
    """``with OidcProvider() as idp:`` serves at ``idp.issuer`` until the block ends."""

    def __init__(self, *, client_id: str = "clinicdesk", client_secret: str | None = None,
                 host: str = "127.0.0.1") -> None:
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.email: str | None = None  # whom /authorize approves when no login_hint is given
        self.email_verified: bool | None = True  # None: the claim is left out
        self.name = "Test Person"
        self.sign_ins: list[str] = []  # e-mails approved, in order
        self.sign_outs = 0  # RP-initiated logouts received
        self._key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"})
        self._codes: dict[str, dict] = {}
        self._access: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler(self))
        self._server.daemon_threads = True
        self.issuer = f"http://{host}:{self._server.server_address[1]}"
        self.metadata_url = self.issuer + "/.well-known/openid-configuration"
        self._thread = threading.Thread(target=self._server.serve_forever, name="oidc-provider", daemon=True)

    def __enter__(self) -> "OidcProvider":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what the endpoints answer ---------------------------------------------------------

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "end_session_endpoint": self.issuer + "/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name"],
        }

    def jwks(self) -> dict:
        return {"keys": [self._key.as_dict(private=False)]}

    def claims_for(self, email: str) -> dict:
        claims = {"sub": hashlib.sha256(email.lower().encode()).hexdigest()[:20], "email": email, "name": self.name}
        if self.email_verified is not None:
            claims["email_verified"] = self.email_verified
        return claims

    def authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """(status, headers, body) for GET /authorize."""
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id or not redirect_uri.startswith(("http://127.0.0.1:",
                                                                                      "http://localhost:")):
            return 400, {}, "unknown client or redirect_uri"
        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            return _back(redirect_uri, {"error": "invalid_request", "state": params.get("state", "")})
        email = params.get("login_hint") or self.email
        if not email:
            return _back(redirect_uri, {"error": "access_denied", "state": params.get("state", "")})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"email": email, "redirect_uri": redirect_uri, "nonce": params.get("nonce"),
                                 "challenge": params.get("code_challenge"),
                                 "method": params.get("code_challenge_method")}
            self.sign_ins.append(email)
        return _back(redirect_uri, {"code": code, "state": params.get("state", "")})

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict]:
        """(status, JSON body) for POST /token."""
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
            client_id, client_secret = unquote_plus(client_id), unquote_plus(client_secret)
        if client_id != self.client_id or client_secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None \
                or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        if grant["challenge"]:
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if grant["method"] != "S256" or digest != grant["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE check failed"}
        now = int(time.time())
        claims = {**self.claims_for(grant["email"]), "iss": self.issuer, "aud": self.client_id, "iat": now,
                  "auth_time": now, "exp": now + 300}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": KID, "typ": "JWT"}, claims, self._key)
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access[access_token] = self.claims_for(grant["email"])
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300, "id_token": id_token,
                     "scope": "openid email profile"}

    def userinfo(self, authorization: str | None) -> tuple[int, dict]:
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self._lock:
            claims = self._access.get(token)
        return (200, claims) if claims else (401, {"error": "invalid_token"})

    def logout(self, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        with self._lock:
            self.sign_outs += 1
        back = params.get("post_logout_redirect_uri")
        if back and back.startswith(("http://127.0.0.1:", "http://localhost:")):
            return 302, {"Location": back}, ""
        return 200, {"Content-Type": "text/plain"}, "Signed out."


def _back(redirect_uri: str, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    return 302, {"Location": redirect_uri + joiner + urlencode(params)}, ""


def _handler(idp: OidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args) -> None:  # noqa: A002 - quiet under pytest
            pass

        def _query(self) -> dict[str, str]:
            return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

        def _send(self, status: int, headers: dict[str, str], body: str) -> None:
            data = body.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, payload: dict) -> None:
            self._send(status, {"Content-Type": "application/json"}, json.dumps(payload))

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = urlsplit(self.path).path
            if path == "/.well-known/openid-configuration":
                self._json(200, idp.metadata())
            elif path == "/jwks":
                self._json(200, idp.jwks())
            elif path == "/authorize":
                self._send(*idp.authorize(self._query()))
            elif path == "/userinfo":
                self._json(*idp.userinfo(self.headers.get("Authorization")))
            elif path == "/logout":
                self._send(*idp.logout(self._query()))
            else:
                self._send(404, {"Content-Type": "text/plain"}, "not found")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path == "/token":
                self._json(*idp.token(form, self.headers.get("Authorization")))
            elif urlsplit(self.path).path == "/userinfo":
                self._json(*idp.userinfo(self.headers.get("Authorization")))
            else:
                self._send(404, {"Content-Type": "text/plain"}, "not found")

    return Handler
