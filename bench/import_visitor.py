"""How long a visitor's write waits while an import runs on SQLite (issue 13, item 8).

Not a timed test: a measurement, written into docs/benchmarks.md ("## Import") by hand.

    .venv/bin/python bench/import_visitor.py                  # 2,000 rows, batches of 200 (the importer's)
    .venv/bin/python bench/import_visitor.py --batch 2000     # the whole import in one transaction (as before)

It builds a temporary SQLite database (migrated, the two case indexes, as bench/import.py), writes
a generated CSV file, runs `import_casestudies --publish` on it in another process, and meanwhile,
from this process, writes one row every 0.2 s the way a posted question does (one INSERT in its
own transaction, SQLite's busy timeout of 20 s, as the site's settings). It prints how long those
writes waited (median, 95th percentile, longest), how many failed, and how long the import took.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_bench_import = importlib.import_module("bench.import")  # "import" is a keyword: no from-import
generate, make_indexes, setup_django = (
    _bench_import.generate,
    _bench_import.make_indexes,
    _bench_import.setup_django,
)

IMPORT = (
    "import sys, django; django.setup(); from casestudies.imports import writing; "
    "writing.BULK_BATCH = int(sys.argv[2]); from django.core.management import call_command; "
    "call_command('import_casestudies', sys.argv[1], '--publish', verbosity=0)"
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=200, help="rows per transaction (the importer's: 200)")
    args = parser.parse_args()

    setup_django(None)
    make_indexes()
    from django.conf import settings

    database = settings.DATABASES["default"]["NAME"]
    source = Path(tempfile.mkdtemp(prefix="cac-bench-")) / "cases.csv"
    source.write_bytes(generate(args.rows))
    from django.db import connections

    connections.close_all()

    visitor = sqlite3.connect(database, timeout=20, isolation_level=None)
    visitor.execute("CREATE TABLE IF NOT EXISTS bench_visitor (id INTEGER PRIMARY KEY, at REAL NOT NULL)")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "0"}
    started = time.perf_counter()
    importing = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", IMPORT, str(source), str(args.batch)], cwd=ROOT, env=env
    )
    waits, failures = [], 0
    while importing.poll() is None:
        before = time.perf_counter()
        try:
            visitor.execute("BEGIN IMMEDIATE")
            visitor.execute("INSERT INTO bench_visitor (at) VALUES (?)", (before,))
            visitor.execute("COMMIT")
            waits.append(time.perf_counter() - before)
        except sqlite3.OperationalError:
            failures += 1
            if visitor.in_transaction:
                visitor.execute("ROLLBACK")
        time.sleep(0.2)
    took = time.perf_counter() - started
    waits.sort()
    p95 = waits[max(0, int(len(waits) * 0.95) - 1)] if waits else 0.0
    print(
        f"rows: {args.rows}, rows per transaction: {args.batch}, import: {took:.1f} s (exit {importing.returncode})"
    )
    print(
        f"visitor writes: {len(waits)} ok, {failures} failed; wait median {statistics.median(waits or [0]):.3f} s, "
        f"p95 {p95:.3f} s, longest {max(waits or [0]):.3f} s"
    )
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
