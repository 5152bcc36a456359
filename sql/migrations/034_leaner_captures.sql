-- wallet.locked_hold takes the user rather than the account (and a capture's key), and
-- answers the account, the hold's paid and free split, and whether the key is one of the
-- account's holds': a capture of the whole hold reads no lot and looks its key up among
-- holds in the read it makes anyway (sql/functions/private/locked_hold.sql, wallet_capture.sql).
DROP FUNCTION IF EXISTS wallet.locked_hold(bigint, bigint);
