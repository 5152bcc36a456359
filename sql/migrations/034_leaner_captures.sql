-- wallet.locked_hold takes the user rather than the account, and answers the account and
-- the hold's paid and free split too: a capture of the whole hold reads no lot
-- (sql/functions/private/locked_hold.sql, wallet_capture.sql).
DROP FUNCTION IF EXISTS wallet.locked_hold(bigint, bigint);
