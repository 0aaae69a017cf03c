"""Where the data lives: a DuckDB file, or a PostgreSQL URL and the territory's schema.

Pure text rules (no database driver): recognise a ``postgresql://`` URL, carry the schema
of the territory in it (``?schema=NAME``, removed before the URL reaches PostgreSQL), and mask
the password in anything shown to people (messages, logs, errors).
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MASK = "********"
# user:password@ in any URL-looking text, and password=... in a libpq keyword string.
_USERINFO = re.compile(r"(?P<head>postgres(?:ql)?://[^:/@\s]*:)(?P<secret>[^@\s]*)(?=@)")
_KEYWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<secret>'[^']*'|\S+)", re.IGNORECASE)


class DatabaseUrlError(ValueError):
    """A PostgreSQL URL or schema name the observatory cannot use (French message)."""


def is_postgres(target: str | os.PathLike | None) -> bool:
    return isinstance(target, str) and target.strip().lower().startswith(SCHEMES)


def schema_name(text: str) -> str:
    """A schema name as PostgreSQL keeps it unquoted: lower case, letters, digits, ``_``."""
    name = text.strip()
    if not SCHEMA_NAME.match(name):
        raise DatabaseUrlError(
            f"« {name} » n'est pas un nom de schéma utilisable : lettres minuscules sans "
            "accent, chiffres et « _ », 63 caractères au plus, sans chiffre en tête.")
    return name


def default_schema(territory_code: str) -> str:
    """The schema of a territory when the settings name none: ``territoire_<code>``."""
    slug = re.sub(r"[^a-z0-9_]+", "_", territory_code.strip().lower()).strip("_")
    return schema_name(f"territoire_{slug}"[:63]) if slug else "observatoire"


def split(url: str) -> tuple[str, str | None]:
    """(the URL PostgreSQL receives, the schema) of an observatory URL."""
    parts = urlsplit(url.strip())
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = None
    kept = []
    for key, value in query:
        if key == "schema":
            schema = schema_name(value)
        else:
            kept.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(kept))), schema


def with_schema(url: str, schema: str) -> str:
    """The URL carrying ``schema`` (an existing ``?schema=`` is replaced)."""
    base, _ = split(url)
    parts = urlsplit(base)
    query = (parts.query + "&" if parts.query else "") + "schema=" + quote(schema_name(schema))
    return urlunsplit(parts._replace(query=query))


def mask(text: str) -> str:
    """``text`` with every database password replaced by asterisks."""
    text = _USERINFO.sub(lambda m: m.group("head") + MASK, str(text))
    return _KEYWORD.sub(lambda m: m.group("head") + MASK, text)


def shown(target: str | os.PathLike) -> str:
    """How a database is named to people: a file's path, or the URL without its password."""
    return mask(str(target))


def password(url: str) -> str | None:
    """The password of a URL (to hand to pg_dump through its environment, never its command)."""
    return urlsplit(url).password


def without_password(url: str) -> str:
    """The URL with no password at all (for a command line, where other users can read it)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{quote(user)}@{netloc[1]}"))
