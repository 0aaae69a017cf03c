"""`observatory routing build --osm FICHIER [--profile car]`: the road graph from OpenStreetMap.

Parses and prints only: the use case is ``observatory.service.routing.build``, reading and
contraction in ``observatory.osm``, the SQL in ``observatory.store.routing``.
"""

from __future__ import annotations

import time

from observatory import cli_common, formatting, osm
from observatory.service import routing


def cmd_routing_build(args) -> int:
    settings = cli_common.settings_for(args)
    cli_common.existing_db(args)
    started = time.perf_counter()
    report = routing.build(settings, args.osm, profile=args.profile, actor=cli_common.actor(args))
    for line in report.lines():
        print(line)
    seconds = formatting.decimal(time.perf_counter() - started)
    print(f"Terminé en {seconds} s. Pour l'utiliser : OBSERVATORY_DISTANCE=osm.")
    return 0


def register(sub, db_option) -> None:
    p = sub.add_parser("routing", help="réseau routier OpenStreetMap (temps de trajet réels)")
    actions = p.add_subparsers(dest="routing_action", metavar="ACTION", required=True)
    b = actions.add_parser("build", help="construire le graphe routier depuis un extrait "
                                          "OpenStreetMap (.osm.pbf ou .osm) et l'enregistrer")
    db_option(b)
    b.add_argument("--osm", required=True, metavar="FICHIER",
                   help="extrait OpenStreetMap, par exemple midi-pyrenees-latest.osm.pbf")
    b.add_argument("--profile", default="car", choices=osm.PROFILES,
                   help="profil de déplacement (défaut : car, la voiture)")
    b.add_argument("--by", help="auteur de la construction pour l'historique (défaut : "
                                "l'utilisateur du système)")
    b.set_defaults(func=cmd_routing_build)
