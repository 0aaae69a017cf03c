"""Use cases by name: what the Streamlit pages and the ``observatory`` CLI both do.

Streamlit-free. Each use case takes a connection (``session``) and the ``Settings`` it needs
and returns records or frames; ``observatory/ui/data.py`` only wraps them in Streamlit caches
and role checks, and each CLI command is parse → use case → print. Submodules group them:

- ``observatory.service.core``: opening the store, the places under the rule in force, the
  distance provider;
- ``observatory.service.reports``: bundles, snapshots, the previous snapshot, exports;
- ``observatory.service.proximity``: partners, network proposals, coverage, indicators;
- ``observatory.service.equipment``: inventory, stays, calls, applications, tours.

Pages and CLI modules import this package (or its submodules), ``observatory.settings`` and
the pure rule modules, never ``observatory.store.*`` (``tests/test_architecture.py``).
"""
