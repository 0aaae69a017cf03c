"""What every `observatory` subcommand module shares, without importing ``observatory.cli``."""

from __future__ import annotations

from observatory.bootstrap import system_user


def actor(args) -> str:
    """Who the audit trail names for a command: ``--by``, else the system account."""
    return (getattr(args, "by", None) or "").strip() or system_user() or "inconnu"
