-- The batch engine reads at most the first lots of a wallet in spend order, not every
-- open lot it has; `complete` says whether they reach as far as its spends may need
-- (sql/functions/private/post_batch.sql). When they may not, the account goes item by
-- item, as for any other unusual case.
ALTER TYPE wallet.lot_reach ADD ATTRIBUTE complete boolean;
