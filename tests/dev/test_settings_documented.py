"""Every environment variable the service reads is in docs/operations.md's tables."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# os.environ.get("X", os.environ["X"], _int(environ, "X", the worker's env("X"; not a WSGI request's environ
READS = re.compile(
    r"""(?:(?<!request\.)environ(?:\.get)?\(|(?<!request\.)environ\[|_int\(environ,\s*|\benv\()"""
    r"""\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def test_every_setting_the_service_reads_is_documented():
    read = set()
    for path in (ROOT / "api" / "wallet_api").rglob("*.py"):
        read |= set(READS.findall(path.read_text()))
    assert {"DATABASE_URL", "WALLET_WEBHOOK_TIMEOUT_SECONDS", "WALLET_POOL_MIN_SIZE"} <= read  # the scan finds them
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "docs" / "operations.md").read_text()))
    assert sorted(read - documented) == [], "read from the environment but not in docs/operations.md"


def test_only_config_reads_the_environment():
    """Settings are read in api/wallet_api/config.py only; other modules may set a variable
    for a process they start, never read one."""
    read_elsewhere = re.compile(r"""os\.environ(?:\.get\(|\[[^\]]+\](?!\s*=)|\.setdefault\()|os\.getenv\(""")
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "api").rglob("*.py")
        if path.name != "config.py" and read_elsewhere.search(path.read_text())
    )
    assert readers == [], "read the environment outside config.py"
