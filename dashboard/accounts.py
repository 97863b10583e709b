"""Hosted mode's accounts: users, grants to therapists, expiring read-only links, sign-ins.

Browser-free; the CLI (``fibro user|grant|link|audit``) and the hosted server both use
it.  Secrets never stay in the clear: passwords are kept as Argon2id hashes, link and
sign-in tokens (``secrets``, 256 bits) as SHA-256 hashes, and a token is shown once.
The access log records who did what and when, never a password, token or health data.

Who may see and change which patient is decided in ``dashboard.session``; this module
says who someone is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import os
import re
import secrets
from dataclasses import dataclass

import pandas as pd
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from .store import DuplicateEntry, Store

ROLES = ("patient", "therapist", "admin")
SCOPES = ("read", "log")  # read: see the dashboard; log: also log the sessions they give
MIN_PASSWORD = 8
LOCKOUT_FAILURES = 5  # failed sign-ins for one name ...
LOCKOUT = dt.timedelta(minutes=15)  # ... refuse further attempts for this long
ADDRESS_FAILURES = 20  # failed sign-ins from one client address within LOCKOUT, any names:
# then that address is refused for the rest of the window (guessing across many names, or
# locking other people's accounts, costs an address more than a handful of tries)
DEFAULT_LINK_LIFE = dt.timedelta(days=14)
SIGNIN_LIFE = dt.timedelta(days=30)  # then sign in again (the cookie lasts no longer either)
NAME_PATTERN = re.compile(r"^[\w.@+-]{1,100}$")

# FIBRO_PASSWORD_HASH=test (set by tests/conftest.py, inherited by the servers the tests start)
# hashes new passwords at Argon2id's lowest cost, one pass over 8 KiB: 0.1 ms instead of the
# library's default (3 passes over 64 MiB, 4 lanes), about 300 ms to hash and as much to verify
# here, which every account fixture and sign-in paid. Never for real passwords: the hosted
# server logs a warning while it is set. Each hash records its own parameters, so hashes made
# either way verify either way; any other value (or none) is the full cost.
PASSWORD_HASH_VARIABLE = "FIBRO_PASSWORD_HASH"
TEST_HASHING = dataclasses.replace(profiles.CHEAPEST, salt_len=16, hash_len=32)


def cheap_test_hashing() -> bool:
    """Whether new passwords are hashed at the test suites' low cost (``FIBRO_PASSWORD_HASH``)."""
    return os.environ.get(PASSWORD_HASH_VARIABLE) == "test"


@functools.cache
def _hasher_for(cheap: bool) -> tuple[PasswordHasher, str]:
    """The hasher and the hash of a password nobody has (the same work for unknown names)."""
    hasher = PasswordHasher.from_parameters(TEST_HASHING) if cheap else PasswordHasher()
    return hasher, hasher.hash("a password nobody has")


def _hasher() -> PasswordHasher:
    return _hasher_for(cheap_test_hashing())[0]


class AccountError(ValueError):
    """A refusal or bad input, said in one plain sentence (no secrets in it)."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_duration(text: str) -> dt.timedelta:
    """``30d``, ``12h``, ``30m`` (also ``2w``) as a timedelta."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*([wdhm])\s*", str(text or ""))
    if not match or int(match[1]) == 0:
        raise AccountError(f"{text!r} is not a duration; write e.g. 14d, 12h or 30m")
    unit = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}[match[2]]
    return dt.timedelta(**{unit: int(match[1])})


def status(row, now: dt.datetime) -> str:
    """'active', 'expired' or 'revoked' for a grant or link row."""
    if _present(row["revoked_at"]):
        return "revoked"
    if _present(row["expires_at"]) and pd.Timestamp(row["expires_at"]) <= pd.Timestamp(now):
        return "expired"
    return "active"


def _present(value) -> bool:
    return value is not None and not pd.isna(value)


@dataclass(frozen=True)
class Principal:
    """Who is acting: the computer's owner (personal mode), a user, or a link holder."""

    kind: str  # owner, user, link
    name: str
    role: str  # owner, patient, therapist, admin, link
    user_id: int | None = None
    link_id: int | None = None
    patient_id: int | None = None  # a patient user's own diary; a link's patient
    expires_at: dt.datetime | None = None  # a link's end

    @property
    def hosted(self) -> bool:
        return self.kind != "owner"


OWNER = Principal(kind="owner", name="owner", role="owner")


class Accounts:
    """Users, grants, links, sign-ins and the access log of one store."""

    def __init__(self, store: Store):
        self.store = store

    # --- users ---------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, now: dt.datetime | None = None,
                 actor: str = "owner") -> int:
        """A new user; a patient user owns the patient of the same name (created when new)."""
        name = (name or "").strip()
        if not NAME_PATTERN.match(name):
            raise AccountError("a user name is 1-100 letters, digits or . _ @ + -")
        if role not in ROLES:
            raise AccountError(f"{role!r} is not a role; use one of {', '.join(ROLES)}")
        _check_password(password)
        patient_id = self.store.ensure_patient(name) if role == "patient" else None
        now = now or utcnow()
        try:
            user_id = self.store.add_user(name, role, _hasher().hash(password), patient_id, now)
        except DuplicateEntry as error:
            raise AccountError(str(error)) from None
        self.store.log_access(now, actor, f"user {user_id} added ({role})", user_id=user_id,
                              patient_id=patient_id)
        return user_id

    def user(self, name: str) -> dict:
        found = self.store.user(name=name)
        if found is None:
            raise AccountError(f"there is no user called {name!r}")
        return found

    def users(self) -> pd.DataFrame:
        return self.store.users()

    def remove_user(self, name: str, actor: str = "owner") -> None:
        user = self.store.user(name=name)
        if user is None or not self.store.remove_user(name):
            raise AccountError(f"there is no user called {name!r}")
        self.store.log_access(utcnow(), actor, f"user {user['id']} removed", user_id=user["id"])

    def set_password(self, name: str, password: str, now: dt.datetime | None = None,
                     actor: str = "owner") -> None:
        """A new password; the user's open sign-ins end (on every device)."""
        _check_password(password)
        now = now or utcnow()
        user_id = self.user(name)["id"]
        self.store.set_password(user_id, _hasher().hash(password), now)
        self.store.log_access(now, actor, "password changed", user_id=user_id)

    # --- grants and links ----------------------------------------------------

    def add_grant(self, patient: str, therapist: str, scope: str = "read",
                  expires_in: str | None = None, now: dt.datetime | None = None,
                  actor: str = "owner") -> int:
        now = now or utcnow()
        if scope not in SCOPES:
            raise AccountError(f"{scope!r} is not a scope; use read or log")
        user = self.user(therapist)
        if user["role"] != "therapist":
            raise AccountError(f"{therapist!r} is not a therapist")
        patient_id = self.patient_id(patient)
        expires = now + parse_duration(expires_in) if expires_in else None
        grant_id = self.store.add_grant(patient_id, user["id"], scope, now, expires)
        self.store.log_access(now, actor, f"grant {grant_id} added", patient_id=patient_id)
        return grant_id

    def grants(self, patient: str | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
        now = now or utcnow()
        frame = self.store.grants(None if patient is None else self.patient_id(patient))
        return frame.assign(status=[status(r, now) for _, r in frame.iterrows()])

    def create_link(self, patient: str, expires_in: str | dt.timedelta | None = None,
                    now: dt.datetime | None = None, actor: str = "owner") -> tuple[int, str]:
        """A new read-only link: (id, token).  The token is not kept; show it once."""
        now = now or utcnow()
        life = (expires_in if isinstance(expires_in, dt.timedelta)
                else parse_duration(expires_in) if expires_in else DEFAULT_LINK_LIFE)
        patient_id = self.patient_id(patient)
        token = new_token()
        link_id = self.store.add_link(patient_id, token_hash(token), now, now + life)
        self.store.log_access(now, actor, f"link {link_id} created", patient_id=patient_id)
        return link_id, token

    def links(self, patient: str | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
        now = now or utcnow()
        frame = self.store.links(None if patient is None else self.patient_id(patient))
        return frame.assign(status=[status(r, now) for _, r in frame.iterrows()])

    def revoke(self, kind: str, item_id: int, now: dt.datetime | None = None,
               patient_id: int | None = None, actor: str = "owner") -> None:
        """Revoke a grant or a link; with ``patient_id``, only one of that patient's."""
        now = now or utcnow()
        if patient_id is not None:
            owned = self.store.grants(patient_id) if kind == "grant" else self.store.links(patient_id)
            if int(item_id) not in set(owned["id"]):
                raise AccountError(f"there is no {kind} {item_id} of yours")
        row = self.store.revoke(kind, item_id, now)
        if row is None:
            raise AccountError(f"there is no {kind} {item_id}")
        self.store.log_access(now, actor, f"{kind} {item_id} revoked", patient_id=row["patient_id"])

    def patient_id(self, name: str) -> int:
        found = self.store.patients().query("name == @name")
        if found.empty:
            raise AccountError(f"there is no patient called {name!r}")
        return int(found["id"].iloc[0])

    # --- signing in ----------------------------------------------------------

    def sign_in(self, name: str, password: str, now: dt.datetime | None = None,
                address: str | None = None) -> str:
        """A new sign-in token for a right name and password, or ``AccountError``.

        After ``LOCKOUT_FAILURES`` failures for a name within ``LOCKOUT``, every attempt
        for it is refused until the window has passed, right password or not; after
        ``ADDRESS_FAILURES`` failures from one client ``address`` (any names), every attempt
        from it.  Refusals come before the password hash is computed.  Each attempt is in
        the access log with its address.
        """
        now = now or utcnow()
        name = (name or "").strip()[:100]
        since = now - LOCKOUT
        if address and self.store.count_access(None, "sign-in failed", since,
                                               address=address) >= ADDRESS_FAILURES:
            self.store.log_access(now, name, "sign-in refused (address)", address=address)
            raise AccountError("Too many failed sign-ins from this address; "
                               "try again in 15 minutes.")
        if self.store.count_access(name, "sign-in failed", since) >= LOCKOUT_FAILURES:
            self.store.log_access(now, name, "sign-in refused (locked)", address=address)
            raise AccountError("Too many failed sign-ins for this name; try again in 15 minutes.")
        user = self.store.user(name=name) if name else None
        nobody = _hasher_for(cheap_test_hashing())[1]
        if not _verify(user["password_hash"] if user else nobody, password or ""):
            self.store.log_access(now, name, "sign-in failed", address=address)
            raise AccountError("That user name and password do not match.")
        token = new_token()
        self.store.start_signin(token_hash(token), now, user_id=user["id"])
        self.store.log_access(now, name, "signed in", user_id=user["id"], address=address)
        return token

    def open_link(self, token: str, now: dt.datetime | None = None) -> str:
        """A sign-in token for a link that is still open, or ``AccountError``."""
        now = now or utcnow()
        found = self.store.links(token_hash=token_hash(token or ""))
        if found.empty or status(found.iloc[0], now) != "active":
            raise AccountError("This link has ended.")
        link = found.iloc[0]
        signin = new_token()
        self.store.start_signin(token_hash(signin), now, link_id=int(link["id"]))
        self.store.log_access(now, f"link {link['id']}", "opened link", link_id=int(link["id"]),
                              patient_id=int(link["patient_id"]))
        return signin

    def principal(self, signin_token: str | None, now: dt.datetime | None = None) -> Principal | None:
        """Who holds this sign-in token, while it, its user or its link are still valid."""
        return self.principal_of(token_hash(signin_token) if signin_token else None, now)

    def principal_of(self, signin_hash: str | None, now: dt.datetime | None = None) -> Principal | None:
        """Who signed in with the token of this hash (``token_hash``), while it is valid: what
        a served page keeps, so the token itself never leaves the cookie."""
        if not signin_hash:
            return None
        now = now or utcnow()
        signin = self.store.signin(signin_hash)
        if signin is None or signin["created_at"] < now - SIGNIN_LIFE:
            return None
        if signin["user_id"] is not None:
            user = self.store.user(user_id=signin["user_id"])
            if user is None:
                return None
            return Principal(kind="user", name=user["name"], role=user["role"], user_id=user["id"],
                             patient_id=user["patient_id"])
        found = self.store.links(link_id=signin["link_id"])
        if found.empty or status(found.iloc[0], now) != "active":
            return None
        link = found.iloc[0]
        return Principal(kind="link", name=f"link {link['id']}", role="link",
                         link_id=int(link["id"]), patient_id=int(link["patient_id"]),
                         expires_at=pd.Timestamp(link["expires_at"]).to_pydatetime())

    def was_link(self, signin_token: str | None) -> bool:
        """Whether an (ended or not) sign-in token came from a link (for the ended page)."""
        if not signin_token:
            return False
        signin = self.store.signin(token_hash(signin_token), ended_too=True)
        return bool(signin and signin["link_id"] is not None)

    def sign_out(self, signin_token: str, now: dt.datetime | None = None) -> None:
        now = now or utcnow()
        who = self.principal(signin_token, now)
        self.store.end_signin(token_hash(signin_token), now)
        if who is not None:
            self.store.log_access(now, who.name, "signed out", user_id=who.user_id,
                                  link_id=who.link_id)

    def audit(self, patient: str | None = None) -> pd.DataFrame:
        return self.store.access_log(None if patient is None else self.patient_id(patient))


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
