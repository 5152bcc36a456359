"""Import opening balances from a CSV file, for players moved in from another system:

    DATABASE_URL=... python -m wallet_api.importer FILE.csv [--rows-per-call N]

FILE.csv starts with a header naming the columns external_id, user_id, name,
asset_type_id, class (paid or free), amount and, if wanted, expires_at (ISO 8601; empty:
no expiry); other columns are ignored. The file is streamed in calls of 10,000 rows to
wallet_import, each call one transaction, under a progress bar. Rows the wallet refuses
are written to FILE.refused.csv beside it, each with its line and reason, and a summary
ends the run. A re-run after a crash, or of the same file, posts nothing twice: rows are
idempotent by external_id, so those already posted answer as replays.

Exits 0 when every row was posted or replayed, 1 when some were refused, 2 on a usage
error or a file without the columns, 3 when the database failed part way (run the same
command again to go on).
"""

import csv
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import psycopg
from psycopg.types.json import Jsonb
from tqdm import tqdm

from wallet_api.config import CommandSettings

COLUMNS = ("external_id", "user_id", "name", "asset_type_id", "class", "amount")
ROWS_PER_CALL = 10_000  # wallet_import's most
INTEGER = re.compile(r"-?[0-9]{1,19}")


@dataclass
class Summary:
    rows: int = 0
    posted: int = 0
    replayed: int = 0
    refused: Counter = field(default_factory=Counter)

    def line(self, seconds: float, refused_path: Path) -> str:
        reasons = ", ".join(f"{name} {count:,}" for name, count in self.refused.most_common())
        text = (f"{self.rows:,} rows: {self.posted:,} posted, {self.replayed:,} replayed,"
                f" {sum(self.refused.values()):,} refused")  # fmt: skip
        if reasons:
            text += f" ({reasons}; each in {refused_path})"
        return text + f"; {seconds:.1f} s, {self.rows / max(seconds, 1e-9):,.0f} rows/s"


def as_item(row: dict) -> dict:
    """A CSV row as wallet_import reads it: numbers as JSON numbers when they are whole
    numbers (anything else is passed as it is, for the wallet to refuse), no empty expiry."""
    item = {name: row.get(name) for name in COLUMNS}
    for name in ("asset_type_id", "amount"):
        value = item[name]
        if value is not None and INTEGER.fullmatch(value.strip()):
            item[name] = int(value)
    if row.get("expires_at"):
        item["expires_at"] = row["expires_at"]
    return item


def import_file(conninfo: str, path: Path, rows_per_call: int = ROWS_PER_CALL, progress: bool = True) -> Summary:
    refused_path = path.with_suffix(".refused.csv")
    summary = Summary()
    with path.open(newline="") as counting:
        total = max(sum(1 for _ in counting) - 1, 0)
    with path.open(newline="") as source, refused_path.open("w", newline="") as refused_file, \
            psycopg.connect(conninfo, autocommit=True) as conn, \
            tqdm(total=total, unit=" rows", unit_scale=True, disable=not progress, mininterval=0.5) as bar:  # fmt: skip
        reader = csv.DictReader(source)
        missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} has no column {', '.join(missing)} (its header: {reader.fieldnames})")
        refused = csv.writer(refused_file)
        fieldnames = list(reader.fieldnames or [])
        refused.writerow(["line", *fieldnames, "error_sqlstate", "error_name"])
        chunk: list[tuple[int, dict]] = []
        for row in reader:
            chunk.append((reader.line_num, row))
            if len(chunk) == rows_per_call:
                post_chunk(conn, chunk, fieldnames, refused, summary)
                bar.update(len(chunk))
                chunk = []
        if chunk:
            post_chunk(conn, chunk, fieldnames, refused, summary)
            bar.update(len(chunk))
    return summary


def post_chunk(conn, chunk, fieldnames, refused, summary: Summary) -> None:
    items = Jsonb([as_item(row) for _, row in chunk], dumps=orjson.dumps)
    outcomes = conn.execute("SELECT item, replayed, error_sqlstate, error_name FROM wallet_import(%s)", (items,))
    for item, replayed, sqlstate, name in outcomes:
        line, row = chunk[item - 1]
        if sqlstate:
            summary.refused[name] += 1
            refused.writerow([line, *(row.get(f) for f in fieldnames), sqlstate, name])
        elif replayed:
            summary.replayed += 1
        else:
            summary.posted += 1
    summary.rows += len(chunk)


def main(argv: list[str]) -> int:
    conninfo = CommandSettings.from_env().database_url
    rows_per_call = ROWS_PER_CALL
    if len(argv) == 3 and argv[1] == "--rows-per-call" and argv[2].isdigit():
        argv, rows_per_call = argv[:1], int(argv[2])
    if len(argv) != 1 or not conninfo or not 1 <= rows_per_call <= ROWS_PER_CALL:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    started = time.monotonic()
    summary = Summary()
    try:
        summary = import_file(conninfo, path, rows_per_call, progress=True)
    except (OSError, ValueError, csv.Error) as exc:
        print(f"importer: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        print(f"importer: the database failed part way ({exc}); run the same command again to go on:"
              " rows already posted answer as replays", file=sys.stderr)  # fmt: skip
        return 3
    print(f"importer: {path}: {summary.line(time.monotonic() - started, path.with_suffix('.refused.csv'))}")
    return 1 if summary.refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
