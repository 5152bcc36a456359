-- The chain's link: SHA-256 over the hex of the wallet's previous entry's hash and a
-- canonical text of the entry's stored fields (fixed order, text quoted, NULL kept apart
-- from empty, created_at as its exact count of microseconds, so no session setting
-- changes it). Metadata enters through its SHA-256 digest (of jsonb's normalised text),
-- the stored metadata_digest once an erasure has emptied it (migration 030), so erasing
-- leaves the chain whole. The wallet after the call (paid_after, free_after, held_after,
-- migration 022) is appended only when set. A SQL function so that the planner inlines
-- it into the statement that writes the entry.
CREATE OR REPLACE FUNCTION wallet.entry_hash(p_prev bytea, e wallet.ledger_entries) RETURNS bytea
LANGUAGE sql
STABLE  -- as format() is: declared IMMUTABLE, the planner would not inline it
AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.format(
               '%s|%s|%s|%s|%L|%s|%s|%s|%s|%L|%s|%s|%s|%s|%L|%L|%s|%L|%L|%L',
               pg_catalog.encode(coalesce(p_prev, '\x'::bytea), 'hex'),
               e.account_id, e.entry_id, e.asset_type_id, e.kind, e.debit_account_id, e.credit_account_id,
               e.amount, e.balance_after, e.idempotency_key,
               coalesce(pg_catalog.encode(e.metadata_digest, 'hex'),
                        CASE WHEN e.metadata = '{}'::jsonb  -- most postings': its digest, as a constant
                             THEN '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'
                             ELSE pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(e.metadata::text, 'UTF8')),
                                                    'hex') END),
               (pg_catalog.extract('epoch', e.created_at) * 1000000)::bigint,
               e.paid_amount, e.free_amount, e.original_entry_id, e.hold_id, e.unrecovered, e.refund_policy,
               e.lot_ids::text, e.lot_amounts::text)
           || CASE WHEN (e.paid_after, e.free_after, e.held_after) IS NULL THEN ''
                   ELSE pg_catalog.format('|%L|%L|%L', e.paid_after, e.free_after, e.held_after) END, 'UTF8'))
$$;

REVOKE ALL ON FUNCTION wallet.entry_hash(bytea, wallet.ledger_entries) FROM PUBLIC;
