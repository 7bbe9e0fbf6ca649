"""The OAuth 2.0 side of the Google simulator: the token endpoint and bearer-token checks.

Two grants, as google-auth uses them: `refresh_token` (authorized-user credentials) and
`urn:ietf:params:oauth:grant-type:jwt-bearer` (service accounts, RS256 assertion signed with
the key from `service_account_info()`, optionally with `sub` for domain-wide delegation).

Every token remembers whom it acts as (its identity) and its scopes: the authorized user, the
service account itself (its e-mail), or the delegated user, whom `delegate` (set by the
simulator) checks against the Workspace.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from syncd.sim.google_wire import GoogleError
from syncd.sim.issued import issued
from syncd.sim.server import ApiError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always puts Google's own token endpoint in `aud`, whatever `token_uri` says.
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
DEFAULT_SCOPE = "https://www.googleapis.com/auth/calendar.events"
AUTHORIZED_USER = "authorized-user"
"""The identity of refresh-token (authorized-user) tokens unless the simulator names one."""
_MAX_ASSERTION_LIFETIME = 3600
_CLOCK_SKEW = 300


@cache
def _private_key() -> RSAPrivateKey:
    """One RSA key per process: generating it is the slow part, and tests need many sims."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Grant:
    """What an access token was issued for."""

    identity: str
    scopes: frozenset[str]


Delegate = Callable[[str, frozenset[str]], str]
"""Checks a `sub` with the scopes asked for (raising the token endpoint's error); returns the
identity the token acts as."""


def oauth_error(status: int, error: str, description: str) -> ApiError:
    return ApiError(status, {"error": error, "error_description": description})


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class TokenIssuer:
    """Issues access tokens for the two grants and checks `Authorization: Bearer` headers."""

    def __init__(self, token_lifetime: int) -> None:
        self.token_lifetime = token_lifetime
        self.grants: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        self._grants: dict[str, Grant] = {}
        self.authorized_user = AUTHORIZED_USER
        self.delegate: Delegate | None = None
        self._client_id = f"{secrets.randbelow(10**12)}-sim.apps.googleusercontent.com"
        self._client_secret = issued("GOCSPX-" + secrets.token_urlsafe(21))
        self._refresh_token = issued("1//" + secrets.token_urlsafe(60))
        self._key_id = secrets.token_hex(20)
        self._client_email = "syncd-sim@syncd-sim.iam.gserviceaccount.com"
        self._sa_client_id = str(10**20 + secrets.randbelow(10**20))

    # -- credentials the simulator accepts ----------------------------------------------------
    def authorized_user_info(self, token_uri: str) -> dict[str, str]:
        return {
            "type": "authorized_user",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "refresh_token": self._refresh_token,
            "token_uri": token_uri,
        }

    def service_account_info(self, token_uri: str) -> dict[str, str]:
        from cryptography.hazmat.primitives import serialization

        pem = _private_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return {
            "type": "service_account",
            "project_id": "syncd-sim",
            "private_key_id": self._key_id,
            "private_key": issued(pem.decode()),
            "client_email": self._client_email,
            "client_id": self._sa_client_id,
            "token_uri": token_uri,
        }

    # -- the token endpoint --------------------------------------------------------------------
    def grant(self, form: dict[str, str], token_uri: str) -> dict[str, Any]:
        grant_type = form.get("grant_type", "")
        if grant_type == "refresh_token":
            scope = self._check_refresh(form)
            token = self._issue(grant_type, None, scope, self.authorized_user)
            return token | {"scope": scope}
        if grant_type == JWT_BEARER:
            claims = self._check_assertion(form.get("assertion", ""), token_uri)
            subject, scope = claims.get("sub"), claims["scope"]
            identity = self._client_email
            if subject:
                identity = (
                    subject if self.delegate is None else self.delegate(subject, _scopes(scope))
                )
            return self._issue(grant_type, subject, scope, identity)
        raise oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _check_refresh(self, form: dict[str, str]) -> str:
        client = (form.get("client_id"), form.get("client_secret"))
        if client != (self._client_id, self._client_secret):
            raise oauth_error(401, "invalid_client", "Unauthorized")
        if form.get("refresh_token") != self._refresh_token:
            raise oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        return form.get("scope") or DEFAULT_SCOPE

    def _check_assertion(self, assertion: str, token_uri: str) -> dict[str, Any]:
        claims = self._verified_claims(assertion)
        now = time.time()
        if claims.get("iss") != self._client_email:
            raise oauth_error(400, "invalid_grant", "Invalid email or User ID")
        if claims.get("aud") not in (token_uri, GOOGLE_TOKEN_URI):
            raise oauth_error(400, "invalid_grant", "Invalid JWT: Failed audience check.")
        iat, exp = claims.get("iat", 0), claims.get("exp", 0)
        fresh = iat <= now + _CLOCK_SKEW and exp > now - _CLOCK_SKEW
        if not fresh or exp - iat > _MAX_ASSERTION_LIFETIME:
            raise oauth_error(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )
        if not claims.get("scope"):
            raise oauth_error(
                400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
        return claims

    @staticmethod
    def _verified_claims(assertion: str) -> dict[str, Any]:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            header_b64, claims_b64, signature_b64 = assertion.split(".")
            header = json.loads(_b64decode(header_b64))
            claims = json.loads(_b64decode(claims_b64))
            signature = _b64decode(signature_b64)
        except (ValueError, binascii.Error):
            raise oauth_error(400, "invalid_grant", "Invalid JWT.") from None
        try:
            if header.get("alg") != "RS256":
                raise InvalidSignature
            signed = f"{header_b64}.{claims_b64}".encode()
            public_key = _private_key().public_key()
            public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise oauth_error(400, "invalid_grant", "Invalid JWT Signature.") from None
        return claims

    def _issue(
        self, grant_type: str, subject: str | None, scope: str, identity: str
    ) -> dict[str, Any]:
        token = issued("ya29.sim-" + secrets.token_urlsafe(32))
        with self._lock:
            self._expiry[token] = time.monotonic() + self.token_lifetime
            self._grants[token] = Grant(identity, _scopes(scope))
            self.grants.append({"grant_type": grant_type, "sub": subject, "scope": scope})
        return {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}

    # -- checking API calls ---------------------------------------------------------------------
    def expire_all(self) -> None:
        with self._lock:
            self._expiry = dict.fromkeys(self._expiry, 0.0)

    def check(self, authorization: str | None) -> Grant:
        """The token's grant; Google's 401 unless the header carries a live token issued here."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthenticated(
                "is missing required authentication credential", "required", "Login Required."
            )
        with self._lock:
            live = self._expiry.get(token, 0.0) > time.monotonic()
            grant = self._grants.get(token)
        if not live or grant is None:
            raise _unauthenticated(
                "had invalid authentication credentials", "authError", "Invalid Credentials"
            )
        return grant

    def identity(self, authorization: str | None) -> str | None:
        """Whom the bearer token in this header acts as, expired or not; None if not ours."""
        _, _, token = (authorization or "").partition(" ")
        with self._lock:
            grant = self._grants.get(token)
        return None if grant is None else grant.identity


def _scopes(scope: str) -> frozenset[str]:
    return frozenset(scope.split())


def _unauthenticated(problem: str, reason: str, detail: str) -> GoogleError:
    return GoogleError(
        401,
        f"Request {problem}. Expected OAuth 2 access token, login cookie or other valid "
        "authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        reason,
        location="Authorization",
        location_type="header",
        detail_message=detail,
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )
