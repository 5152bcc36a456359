-- The lots a batch's spends may reach on one wallet, in spend order: the batch engine
-- reads them as one value, in a sub-select it runs only for a wallet it spends from
-- (sql/functions/private/post_batch.sql).
CREATE TYPE wallet.lot_reach AS (
    lot_ids       bigint[],
    lot_remaining bigint[],
    lot_classes   text[],
    lot_expiries  timestamptz[]
);
