"""Right to erasure (RGPD art. 17): find a person's name or email in text and blank it out.

Pure rules, no database: matching ignores case and accents (« Élodie » finds « elodie »),
and a match is replaced by ``REDACTED`` in the original text, whatever its case or accents.
The SQL that applies them to every table lives in ``observatory.store.erasure``.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from observatory.errors import UserInputError

REDACTED = "[effacé]"
MIN_LENGTH = 3  # shorter needles would blank half the database ("Li", "an"…)


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> str:
    """``text`` without accents nor case, for comparisons (« Élodie » → « elodie »)."""
    return "".join(_fold_char(c) for c in text)


def check_needle(needle: str) -> str:
    """The searched text, stripped; UserInputError (French) when it would match too much."""
    cleaned = " ".join(str(needle or "").split())
    if len(fold(cleaned)) < MIN_LENGTH:
        raise UserInputError(f"Indiquez au moins {MIN_LENGTH} caractères (un nom ou une adresse "
                         f"électronique) : « {cleaned} » effacerait trop de choses.")
    if fold(cleaned) in fold(REDACTED):
        raise UserInputError(f"« {cleaned} » fait partie de la marque d'effacement « {REDACTED} ».")
    return cleaned


def redact(text: str, needle: str) -> tuple[str, int]:
    """``text`` with every occurrence of ``needle`` (case and accents ignored) replaced by
    ``REDACTED``, and the number of occurrences."""
    if not isinstance(text, str) or not text:
        return text, 0
    target = fold(needle)
    if not target:
        return text, 0
    folded, origin = [], []  # folded characters, and the index of the original each came from
    for i, char in enumerate(text):
        for piece in _fold_char(char):
            folded.append(piece)
            origin.append(i)
    haystack = "".join(folded)
    parts, count, last, start = [], 0, 0, haystack.find(target)
    while start != -1:
        begin, end = origin[start], origin[start + len(target) - 1] + 1
        if begin >= last:
            parts += [text[last:begin], REDACTED]
            last, count = end, count + 1
        start = haystack.find(target, start + len(target))
    if not count:
        return text, 0
    parts.append(text[last:])
    return "".join(parts), count


def redact_value(value, needle: str) -> tuple[object, int]:
    """Redact every string inside a JSON-like value (dicts, lists); keys are field names, kept."""
    if isinstance(value, str):
        return redact(value, needle)
    if isinstance(value, dict):
        out, total = {}, 0
        for key, item in value.items():
            out[key], count = redact_value(item, needle)
            total += count
        return out, total
    if isinstance(value, list):
        pairs = [redact_value(item, needle) for item in value]
        return [p[0] for p in pairs], sum(p[1] for p in pairs)
    return value, 0


def redact_json(text: str | None, needle: str) -> tuple[str | None, int]:
    """A JSON text with its string values redacted (still valid JSON); plain text otherwise."""
    if not isinstance(text, str) or fold(needle) not in fold(text):
        return text, 0
    try:
        value = json.loads(text)
    except ValueError:
        return redact(text, needle)
    value, count = redact_value(value, needle)
    if not count:  # found only in a key or across an escape: blank the raw text rather than miss it
        return redact(text, needle)
    return json.dumps(value, ensure_ascii=False), count


def backup_candidates(db_path: str | Path) -> list[Path]:
    """Files next to the database that may be copies of it (backups, the file kept aside by a
    restore): the erasure cannot reach them, the analyst must handle them by hand."""
    path = Path(db_path)
    if not path.parent.is_dir():
        return []
    own = {path.name, path.name + ".wal"}
    found = []
    for entry in sorted(path.parent.iterdir()):
        name = entry.name.lower()
        if entry.name in own or not entry.is_file():
            continue
        if (".duckdb" in name or name.endswith((".db", ".bak")) or "sauvegarde" in name
                or "backup" in name):
            found.append(entry)
    return found
