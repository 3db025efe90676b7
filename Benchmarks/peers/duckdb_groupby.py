#!/usr/bin/env python3
"""DuckDB's bare per-account GROUP BY over gzip JSON Lines: the peer `analyze` is timed
against (scripts/bench-compare). Reads the canonical field names; 2 threads unless told.

    pip install duckdb
    python3 Benchmarks/peers/duckdb_groupby.py LOG.jsonl.gz... [--threads N]
"""
import argparse
import sys

import duckdb

ap = argparse.ArgumentParser()
ap.add_argument("paths", nargs="+")
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
con = duckdb.connect()
con.execute(f"SET threads = {args.threads}")
rows = con.execute(
    """
    SELECT account_id, count(*) AS exchanges, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           min(ts) AS first_seen, max(ts) AS last_seen
    FROM read_json(?, format = 'newline_delimited', compression = 'gzip',
                   columns = {ts: 'VARCHAR', account_id: 'VARCHAR', input_tokens: 'BIGINT', output_tokens: 'BIGINT'})
    GROUP BY account_id
    """,
    [args.paths],
).fetchall()
print(f"duckdb: {len(rows)} accounts, {sum(r[1] for r in rows)} exchanges", file=sys.stderr)
