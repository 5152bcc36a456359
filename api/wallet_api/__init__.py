"""The wallet service: a thin HTTP layer over the PL/pgSQL ledger in sql/."""
