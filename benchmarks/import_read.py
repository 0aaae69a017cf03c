"""Time and peak memory of reading hostile upload files (run by hand, not a test).

    .venv/bin/python benchmarks/import_read.py [--only NAME ...] [--keep DIR]

Builds each file of ``tests/hostile_files.py`` (zip bombs of sheet XML, a declared
dimension of the whole grid, millions of empty or identical rows, a huge shared-strings
table, 16,384 columns, CSV/JSON/GeoJSON of the upload limit...) and reads it with
``read_table`` in a fresh subprocess, one per file, so that each peak is its own. Target
(issue 10): any file up to the upload limit is refused or read within 10 s and 500 MB.

Columns: size of the upload; wall and CPU time of ``read_table`` (on a machine shared with
other work the wall time is several times the CPU time); peak resident memory of the
subprocess (``ru_maxrss``), and above what the interpreter holds once pandas and the
importer are imported (the baseline, printed first); the outcome (rows × columns read, or
the start of the French refusal).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatory.importing.readers import DEFAULT_MAX_BYTES, MAX_XML_BYTES  # noqa: E402
from tests import hostile_files as h  # noqa: E402

LIMIT = DEFAULT_MAX_BYTES

FILES = {
    # name: (extension, builder)
    "xlsx: <dimension A1:XFD1048576>, 2 rows": ("xlsx", h.xlsx_declared_huge_dimension),
    "xlsx: one cell at XFD1048576": ("xlsx", h.xlsx_far_corner_cell),
    "xlsx: 20 M identical rows": ("xlsx", h.xlsx_identical_rows),
    "xlsx: 20 M empty rows": ("xlsx", h.xlsx_empty_rows),
    "xlsx: 1 M numbered rows": ("xlsx", lambda: h.xlsx_million_numbered_rows(1_000_000)),
    "xlsx: 5,000 rows x 16,384 columns": ("xlsx", h.xlsx_wide_rows),
    "xlsx: 200,000 rows reaching XFD": ("xlsx", h.xlsx_rows_reaching_last_column),
    "xlsx: 5 M shared strings": ("xlsx", h.xlsx_huge_shared_strings),
    "xlsx: one 200 M-character cell": ("xlsx", h.xlsx_huge_cell),
    "xlsx: 50,000 rows x 14 columns (a real table at the limits)": (
        "xlsx", lambda: h.xlsx_dense_table(50_000, 14)),
    "xlsx: 50,000 rows x 40 columns": ("xlsx", h.xlsx_dense_table),
    "xlsx: empty rows up to the XML limit": (
        "xlsx", lambda: h.xlsx_filling_the_xml_limit(b'<row s="1"/>', MAX_XML_BYTES)),
    "xlsx: empty rows, one a line, up to the XML limit": (
        "xlsx", lambda: h.xlsx_filling_the_xml_limit(b'<row s="1"/>\n', MAX_XML_BYTES)),
    "xlsx: empty cells up to the XML limit": (
        "xlsx", lambda: h.xlsx_filling_the_xml_limit(
            b'<row><c s="1"/><c s="1"/><c s="1"/><c s="1"/></row>', MAX_XML_BYTES)),
    "xlsx: filled rows up to the XML limit": (
        "xlsx", lambda: h.xlsx_filling_the_xml_limit(
            b"<row><c><v>1</v></c><c><v>2</v></c></row>", MAX_XML_BYTES)),
    "xlsx: shared strings up to the XML limit": (
        "xlsx", lambda: h.xlsx_shared_strings_at_limit(MAX_XML_BYTES)),
    "csv: rows up to the upload limit": ("csv", lambda: h.csv_many_rows(LIMIT)),
    "csv: blank rows up to the upload limit": ("csv", lambda: h.csv_blank_lines(LIMIT)),
    "csv: columns up to the upload limit": ("csv", lambda: h.csv_many_columns(LIMIT)),
    "csv: one cell of the upload limit": ("csv", lambda: h.csv_one_huge_cell(LIMIT)),
    "csv: 300 columns, one cell filled a row": ("csv", lambda: h.csv_wide_table(LIMIT)),
    "csv: 20 filled columns up to the upload limit (a real table)": (
        "csv", lambda: h.csv_real_table(LIMIT)),
    "json: nested arrays up to the upload limit": ("json", lambda: h.json_deeply_nested(LIMIT)),
    "geojson: features up to the upload limit": (
        "geojson", lambda: h.geojson_many_features(LIMIT)),
    "geojson: properties up to the upload limit": (
        "geojson", lambda: h.geojson_many_properties(LIMIT)),
    "geojson: a property nested 100,000 deep": ("geojson", h.geojson_nested_property),
    "geojson: 50,000 features, 300 sparse properties": (
        "geojson", h.geojson_sparse_properties),
}

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
import pandas  # noqa: F401
from observatory.importing.readers import ImportFileError, read_table
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
try:
    table = read_table(data, sys.argv[1])
    outcome = f"read {table.shape[0]} x {table.shape[1]}"
except ImportFileError as exc:
    outcome = "refused: " + str(exc)[:70]
except BaseException as exc:
    outcome = f"TRACEBACK {type(exc).__name__}: {str(exc)[:60]}"
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": after.ru_maxrss / 1024,
                  "base": base / 1024, "outcome": outcome}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="names containing one of these words")
    parser.add_argument("--keep", type=Path, help="folder where the files are kept")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="import_read_"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"upload limit {LIMIT / 2**20:g} MiB, workbook XML limit {MAX_XML_BYTES / 2**20:g} MiB")
    print("| File | Upload (MB) | Read (s) | CPU (s) | Peak RSS (MB) | Above baseline (MB) "
          "| Outcome |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, (extension, build) in FILES.items():
        if args.only and not any(word.lower() in label.lower() for word in args.only):
            continue
        slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        path = folder / f"{slug}.{extension}"
        if not path.exists():
            path.write_bytes(build())
        started = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(ROOT)],
                                  capture_output=True, text=True, timeout=args.timeout)
            result = json.loads(done.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            result = {"seconds": time.perf_counter() - started, "cpu": float("nan"),
                      "peak": float("nan"),
                      "base": float("nan"), "outcome": f"TIMEOUT after {args.timeout:g} s"}
        except (IndexError, json.JSONDecodeError):
            result = {"seconds": float("nan"), "cpu": float("nan"), "peak": float("nan"),
                      "base": float("nan"),
                      "outcome": "CRASH " + done.stderr.strip()[-80:]}
        outcome = result["outcome"].replace("|", "/").replace("\n", " ")
        print(f"| {label} | {path.stat().st_size / 1e6:.2f} | {result['seconds']:.2f} | "
              f"{result['cpu']:.2f} | "
              f"{result['peak']:.0f} | {result['peak'] - result['base']:.0f} | {outcome} |",
              flush=True)


if __name__ == "__main__":
    main()
