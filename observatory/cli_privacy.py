"""`observatory erase-person "NOM OU EMAIL" [--dry-run]`: the RGPD right to erasure.

Parses and prints only: the use case is ``observatory.service.places.erase_person``, the
rules are in ``observatory.erasure``, the SQL in ``observatory.store.erasure``.
"""

from __future__ import annotations

import json

from observatory import cli_common, erasure
from observatory.service import places


def cmd_erase_person(args) -> int:
    done = places.erase_person(cli_common.settings_for(args), args.person,
                               actor=cli_common.actor(args), dry_run=args.dry_run)
    report, path, backups = done.report, done.database, done.backups
    if args.json:
        print(json.dumps({"person": report.needle, "dry_run": args.dry_run,
                          "changed": report.changed, "not_changed": report.elsewhere,
                          "backups": [str(b) for b in backups]}, ensure_ascii=False))
        return 0
    verb = "seraient remplacées" if args.dry_run else "remplacées"
    if report.total:
        print(f"« {report.needle} » : {report.total} occurrence(s) {verb} "
              f"par « {erasure.REDACTED} » :")
        for where, count in sorted(report.changed.items()):
            print(f"  {where} : {count}")
    else:
        print(f"« {report.needle} » n'apparaît dans aucune donnée personnelle de {path}.")
    if report.elsewhere:
        print("Trouvé aussi, sans y toucher (noms de lieux, de communes… : à vérifier à la main) :")
        for where, count in sorted(report.elsewhere.items()):
            print(f"  {where} : {count} valeur(s)")
    if args.dry_run:
        print("Essai à blanc : rien n'a été modifié.")
    print("À traiter à la main : les sauvegardes et les exports déjà envoyés (fichiers Excel, "
          "PDF, GeoPackage…) gardent les anciennes valeurs.")
    if backups:
        print("Autres bases à côté d'elle (sauvegardes possibles, à effacer ou à remplacer) :")
        for backup in backups:
            print(f"  {backup}")
    else:
        print(f"Aucune copie de la base trouvée dans {path.parent} "
              "(vérifiez vos autres sauvegardes).")
    return 0


def register(sub, db_option) -> None:
    p = sub.add_parser("erase-person",
                       help="effacer une personne (nom ou courriel) partout, instantanés "
                            "compris (RGPD)")
    db_option(p)
    p.add_argument("person", metavar="NOM_OU_EMAIL",
                   help="texte cherché sans tenir compte des majuscules ni des accents")
    p.add_argument("--dry-run", action="store_true", help="compter sans rien modifier")
    p.add_argument("--by", help="auteur de l'effacement pour l'historique (défaut : "
                                "l'utilisateur du système)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_erase_person)
