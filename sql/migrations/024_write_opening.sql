-- What wallet.release_due_holds answers a writer whose wallet has holds past expires_at
-- (sql/functions/private/release_due_holds.sql): the account's newest entry before the
-- call (its events follow it), the holds released, and the wallet row they left.
CREATE TYPE wallet.opening AS (
    since    bigint,
    released bigint[],
    wallet   wallet.wallets
);
