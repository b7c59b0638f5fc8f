"""How the web names a user: the person's real name, never the login name when a name is known.

An account linked to an org person (staff, heads) is named as the org names them; any other
account by the full name on the account (the demo sets one for every account); the login name
only when neither is known.
"""

from __future__ import annotations

from typing import Any


def display_name(user: Any) -> str:
    if user is None:
        return ""
    profile = getattr(user, "profile", None) if getattr(user, "pk", None) else None
    person = getattr(profile, "person", None) if profile is not None else None
    if person is not None and getattr(person, "name", ""):
        return str(person.name)
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or (user.get_username() if hasattr(user, "get_username") else str(user))
