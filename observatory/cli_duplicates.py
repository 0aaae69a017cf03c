"""`observatory duplicates [--json] [--min-score N]`: the probable duplicates of the inventory.

Parses and prints only: the use case is ``observatory.service.duplicates.inventory_pairs``,
the rules are in ``observatory.duplicates``. Merging is done in the app (page « Doublons
probables »), where the analyst chooses each field.
"""

from __future__ import annotations

import json

from observatory import cli_common, errors, formatting
from observatory.service import duplicates


def cmd_duplicates(args) -> int:
    with cli_common.session(args, read_only=True) as con:
        pairs = duplicates.inventory_pairs(con, threshold=args.min_score)
    rows = duplicates.pair_rows(pairs)
    if args.json:
        print(json.dumps({"min_score": args.min_score, "pairs": rows}, ensure_ascii=False,
                         indent=2))
        return errors.EXIT_OK
    if not rows:
        print(f"Aucun doublon probable (score d'au moins {args.min_score} sur 100).")
        return errors.EXIT_OK
    for row in rows:
        a, b = row["a"], row["b"]
        print(f"{row['score']:>3}  n° {a['key']} « {a['name']} » ({a['commune']})  et  "
              f"n° {b['key']} « {b['name']} » ({b['commune']}) : {row['reason']}")
    print(f"{formatting.count(len(rows), 'paire probable', 'paires probables')}. Fusionnez-les "
          "ou marquez-les « pas un doublon » sur la page « Doublons probables ».")
    return errors.EXIT_OK


def _score(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre entier.") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError("le score va de 0 à 100.")
    return value


def register(sub, db_option) -> None:
    p = sub.add_parser("duplicates", help="les doublons probables de l'inventaire, avec leur "
                                          "score et leur raison")
    db_option(p)
    p.add_argument("--min-score", type=_score, default=duplicates.THRESHOLD,
                   help=f"score minimal d'une paire (0 à 100, défaut {duplicates.THRESHOLD})")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_duplicates)
