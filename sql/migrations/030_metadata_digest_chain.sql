-- Erasure under the hash chain (Version 3, data life cycle). The chain covered each
-- entry's metadata as text, so emptying the metadata of an erased person's entries would
-- break it. From here on the chain covers metadata through its SHA-256 digest: an
-- entry's metadata_digest is NULL while its metadata is there (the digest is computed
-- from it), and wallet_erase_user sets it to that digest as it empties the metadata, so
-- the entry's hash, and every hash after it, stay valid. wallet_verify() checks the
-- stored digest only where the account is erased and the metadata empty; anywhere else a
-- digest, or metadata that differs from it, is tampering.
ALTER TABLE wallet.ledger_entries ADD COLUMN metadata_digest bytea;

-- The evidence of the chains as they were: each wallet's head in the old form, with the
-- newest entry and the number of entries it covered. The new chain of each wallet starts
-- from that head (its first entry's previous hash), so it commits to the old chain, and
-- wallet_verify() recomputes the old chain over those entries and checks it against the
-- recorded head for every account not erased (an erased account's old chain cannot be
-- recomputed: its metadata is gone, and the new chain covers the entries instead).
CREATE TABLE wallet.chain_checkpoints (
    account_id    bigint      NOT NULL,
    asset_type_id integer     NOT NULL,
    old_head      bytea       NOT NULL,
    last_entry_id bigint      NOT NULL,
    entries       bigint      NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, asset_type_id)
);
REVOKE ALL ON wallet.chain_checkpoints FROM PUBLIC;
INSERT INTO wallet.chain_checkpoints (account_id, asset_type_id, old_head, last_entry_id, entries)
SELECT w.account_id, w.asset_type_id, w.chain_head, e.last_entry_id, e.entries
FROM wallet.wallets w
JOIN (SELECT e.account_id, e.asset_type_id, max(e.entry_id) AS last_entry_id, count(*) AS entries
      FROM wallet.ledger_entries e GROUP BY 1, 2) e
  ON e.account_id = w.account_id AND e.asset_type_id = w.asset_type_id
WHERE w.chain_head IS NOT NULL;

-- The old form, kept as it was (migrations 014, 022), for wallet_verify()'s check of the
-- checkpoints: it must never change, so it lives here rather than in sql/functions.
CREATE FUNCTION wallet.legacy_entry_hash(p_prev bytea, e wallet.ledger_entries) RETURNS bytea
LANGUAGE sql
STABLE
AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.format(
               '%s|%s|%s|%s|%L|%s|%s|%s|%s|%L|%L|%s|%s|%s|%L|%L|%s|%L|%L|%L',
               pg_catalog.encode(coalesce(p_prev, '\x'::bytea), 'hex'),
               e.account_id, e.entry_id, e.asset_type_id, e.kind, e.debit_account_id, e.credit_account_id,
               e.amount, e.balance_after, e.idempotency_key, e.metadata::text,
               (pg_catalog.extract('epoch', e.created_at) * 1000000)::bigint,
               e.paid_amount, e.free_amount, e.original_entry_id, e.hold_id, e.unrecovered, e.refund_policy,
               e.lot_ids::text, e.lot_amounts::text)
           || CASE WHEN (e.paid_after, e.free_after, e.held_after) IS NULL THEN ''
                   ELSE pg_catalog.format('|%L|%L|%L', e.paid_after, e.free_after, e.held_after) END, 'UTF8'))
$$;
REVOKE ALL ON FUNCTION wallet.legacy_entry_hash(bytea, wallet.ledger_entries) FROM PUBLIC;
-- the old chain's head over a wallet's entries, in entry order
CREATE AGGREGATE wallet.legacy_chain_head(wallet.ledger_entries) (
    SFUNC = wallet.legacy_entry_hash,
    STYPE = bytea
);
REVOKE ALL ON FUNCTION wallet.legacy_chain_head(wallet.ledger_entries) FROM PUBLIC;

-- The new form (sql/functions/private/entry_hash.sql is its living copy): the metadata's
-- digest in place of its text.
CREATE OR REPLACE FUNCTION wallet.entry_hash(p_prev bytea, e wallet.ledger_entries) RETURNS bytea
LANGUAGE sql
STABLE
AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.format(
               '%s|%s|%s|%s|%L|%s|%s|%s|%s|%L|%s|%s|%s|%s|%L|%L|%s|%L|%L|%L',
               pg_catalog.encode(coalesce(p_prev, '\x'::bytea), 'hex'),
               e.account_id, e.entry_id, e.asset_type_id, e.kind, e.debit_account_id, e.credit_account_id,
               e.amount, e.balance_after, e.idempotency_key,
               pg_catalog.encode(coalesce(e.metadata_digest,
                                          pg_catalog.sha256(pg_catalog.convert_to(e.metadata::text, 'UTF8'))), 'hex'),
               (pg_catalog.extract('epoch', e.created_at) * 1000000)::bigint,
               e.paid_amount, e.free_amount, e.original_entry_id, e.hold_id, e.unrecovered, e.refund_policy,
               e.lot_ids::text, e.lot_amounts::text)
           || CASE WHEN (e.paid_after, e.free_after, e.held_after) IS NULL THEN ''
                   ELSE pg_catalog.format('|%L|%L|%L', e.paid_after, e.free_after, e.held_after) END, 'UTF8'))
$$;

-- Every entry chained again in the new form, wallet by wallet in entry order, from its
-- wallet's checkpoint: a running aggregate whose state is the previous hash. The
-- ledger's update guard is lifted for this one transaction, as in 014.
CREATE FUNCTION wallet.rechain_step(p_prev bytea, e wallet.ledger_entries, p_start bytea) RETURNS bytea
LANGUAGE sql STABLE
AS 'SELECT wallet.entry_hash(coalesce(p_prev, p_start), e)';
CREATE AGGREGATE wallet.rechained(wallet.ledger_entries, bytea) (SFUNC = wallet.rechain_step, STYPE = bytea);
ALTER TABLE wallet.ledger_entries DISABLE TRIGGER ledger_entries_no_update_delete;
UPDATE wallet.ledger_entries e SET hash = c.hash
FROM (SELECT e.account_id, e.entry_id,
             wallet.rechained(e, k.old_head) OVER (PARTITION BY e.account_id, e.asset_type_id ORDER BY e.entry_id
                                                   ROWS UNBOUNDED PRECEDING) AS hash
      FROM wallet.ledger_entries e
      LEFT JOIN wallet.chain_checkpoints k ON k.account_id = e.account_id AND k.asset_type_id = e.asset_type_id) c
WHERE e.account_id = c.account_id AND e.entry_id = c.entry_id;
ALTER TABLE wallet.ledger_entries ENABLE TRIGGER ledger_entries_no_update_delete;
UPDATE wallet.wallets w SET chain_head = e.hash
FROM wallet.chain_checkpoints k
JOIN wallet.ledger_entries e ON e.account_id = k.account_id AND e.entry_id = k.last_entry_id
WHERE w.account_id = k.account_id AND w.asset_type_id = k.asset_type_id;
DROP AGGREGATE wallet.rechained(wallet.ledger_entries, bytea);
DROP FUNCTION wallet.rechain_step(bytea, wallet.ledger_entries, bytea);

-- The ledger and the events stay append-only, but for the one change an erasure makes:
-- the metadata of an erased account's row emptied (an entry's digest set to what it was),
-- nothing else touched.
CREATE FUNCTION wallet.refuse_ledger_change_but_erasure() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.metadata = '{}'::jsonb
       AND EXISTS (SELECT FROM wallet.accounts a WHERE a.account_id = NEW.account_id AND a.status = 'erased') THEN
        IF TG_TABLE_NAME = 'events' THEN
            IF pg_catalog.to_jsonb(NEW) - 'metadata' = pg_catalog.to_jsonb(OLD) - 'metadata' THEN
                RETURN NEW;
            END IF;
        ELSIF pg_catalog.to_jsonb(NEW) - 'metadata' - 'metadata_digest'
              = pg_catalog.to_jsonb(OLD) - 'metadata' - 'metadata_digest'
              AND OLD.metadata_digest IS NULL
              AND NEW.metadata_digest = pg_catalog.sha256(pg_catalog.convert_to(OLD.metadata::text, 'UTF8')) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'ledger_immutable: ledger entries cannot be %d', lower(TG_OP)
        USING ERRCODE = 'WA900', HINT = 'Post a correcting entry instead.';
END
$$;
DROP TRIGGER ledger_entries_no_update_delete ON wallet.ledger_entries;
CREATE TRIGGER ledger_entries_no_update_delete
    BEFORE UPDATE OR DELETE ON wallet.ledger_entries
    FOR EACH ROW EXECUTE FUNCTION wallet.refuse_ledger_change_but_erasure();
DROP TRIGGER events_no_update_delete ON wallet.events;
CREATE TRIGGER events_no_update_delete
    BEFORE UPDATE OR DELETE ON wallet.events
    FOR EACH ROW EXECUTE FUNCTION wallet.refuse_ledger_change_but_erasure();

-- An erased account keeps no name.
ALTER TABLE wallet.accounts DROP CONSTRAINT accounts_name_check;
ALTER TABLE wallet.accounts ADD CONSTRAINT accounts_name_check
    CHECK (length(name) BETWEEN 1 AND 200 OR (status = 'erased' AND name = ''));
