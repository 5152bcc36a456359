"""Every group role's rights, compared with the reviewed list in role_rights.txt: a new
grant or membership fails here until the list says it (issue: the worker, which talks
to outside receivers, could post credit through wallet_service). The same list holds for
the database and for the router's twins."""

from pathlib import Path

RIGHTS_FILE = Path(__file__).with_name("role_rights.txt")
ROLES = ("wallet_service", "wallet_auth", "wallet_api", "wallet_worker")

# functions a role can run: public ones it may execute, and any in a schema it may use
# (wallet's helpers are not reachable: no group role has USAGE on that schema; the
# router's hash functions are PUBLIC by design: PL/Proxy runs them as the caller)
RIGHTS = """
SELECT r.rolname || ' runs ' || p.oid::regprocedure::text AS line
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace CROSS JOIN pg_roles r
WHERE r.rolname = ANY(%(roles)s) AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'procrastinate', 'router')
  AND (n.nspname = 'public' OR has_schema_privilege(r.oid, n.oid, 'USAGE'))
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT r.rolname || ' is a member of ' || g.rolname
FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid
WHERE r.rolname = ANY(%(roles)s)
ORDER BY 1
"""


def listed_rights() -> list[str]:
    lines = (line.strip() for line in RIGHTS_FILE.read_text().splitlines())
    return sorted(line for line in lines if line and not line.startswith("#"))


# the router's own function (docs/sharding.md, "Transfers between shards"): no shard has it
ROUTER_ONLY = ["wallet_worker runs wallet_complete_transfers(interval,integer)"]


def test_every_group_role_has_exactly_the_listed_rights(admin, target):
    granted = [row[0] for row in admin.execute(RIGHTS, {"roles": list(ROLES)}).fetchall()]
    expected = sorted(listed_rights() + (ROUTER_ONLY if target == "router" else []))
    assert sorted(granted) == expected, "a grant changed: review it, then update tests/sql/role_rights.txt"


def test_worker_role_cannot_post(admin):
    """The worker's role may sweep and deliver, never mint (migration 017)."""
    admin.execute("SET ROLE wallet_worker")
    try:
        for call in ("wallet_topup", "wallet_bonus", "wallet_spend", "wallet_post_batch", "wallet_refund"):
            (allowed,) = admin.execute(
                "SELECT bool_or(has_function_privilege(oid, 'EXECUTE')) FROM pg_proc"
                " WHERE proname = %s AND pronamespace = 'public'::regnamespace",
                (call,),
            ).fetchone()
            assert allowed is False, call
    finally:
        admin.execute("RESET ROLE")
