"""Your own diary on your own phone: ``fibro serve --phone``.

The personal dashboard answers only on the computer it runs on.  ``--phone`` serves the same
store in hosted mode for one person: every page needs a sign-in (the account of the store's
one diary, made on first use with a password asked for here), and the server refuses to start
when the store holds accounts of anyone else, so a phone on the home network, or the public
name of a TLS proxy in front, reaches this diary and nobody else's.

No network request is made to find the address to print: a UDP socket is "connected" to a
private address, which sends nothing and only asks the system which interface would be used.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from .accounts import NAME_PATTERN, AccountError, Accounts
from .session import DEFAULT_PATIENT
from .store import Store


@dataclass(frozen=True)
class PhoneAccount:
    name: str  # the user name to sign in with (the diary's name)
    created: bool  # made now, with the password just given


def phone_account(store: Store, ask_password) -> PhoneAccount:
    """The one person's account on ``store``: the existing patient account of its one diary,
    or a new one (``ask_password()`` gives its password).  ``AccountError`` when the store
    holds several diaries, or accounts of other people."""
    users = store.users()
    patients = store.patients()
    if len(patients) > 1:
        raise AccountError(f"this store holds {len(patients)} diaries; --phone serves one "
                           "person's. Use --hosted (with an account per person) instead.")
    name = str(patients["name"].iloc[0]) if len(patients) else DEFAULT_PATIENT
    others = users[~((users["role"] == "patient") & (users["patient"] == name))]
    if len(others):
        raise AccountError(f"this store has {len(others)} other account(s) "
                           f"({', '.join(sorted(others['role'].astype(str).unique()))}); --phone "
                           "serves one person only. Use --hosted to share it.")
    if not NAME_PATTERN.match(name):
        raise AccountError(f"the diary's name {name!r} cannot be a user name (letters, digits "
                           "or . _ @ + -); use --hosted with `fibro user add` instead.")
    if len(users):
        return PhoneAccount(name, created=False)
    Accounts(store).add_user(name, "patient", ask_password())
    return PhoneAccount(name, created=True)


def lan_address() -> str | None:
    """This computer's address on its local network (None when it has none), found without
    sending anything."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))  # UDP: no packet is sent
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def phone_base_url(address: str, port: int, base_url: str | None) -> str:
    """The address to open on the phone: ``base_url`` (a TLS proxy's public name) when given,
    else this computer on its local network (or ``address`` when it listens on one)."""
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{base_url!r} is not an http(s) address")
        return base_url.rstrip("/")
    host = address if address not in ("0.0.0.0", "::", "") else (lan_address() or "127.0.0.1")
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}"


def websocket_origin(base_url: str) -> str:
    """The ``host[:port]`` a browser at ``base_url`` sends as its websocket's origin."""
    return urlsplit(base_url).netloc
