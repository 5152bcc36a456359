-- A hash chain per wallet (user, asset): each entry stores SHA-256 over the previous
-- entry's hash and its own content (every stored field, metadata and created_at
-- included), and the wallet row keeps the head, the newest entry's hash. A change to any
-- entry behind the functions' backs breaks the chain from there on, which
-- wallet_verify() reports.
ALTER TABLE wallet.ledger_entries ADD COLUMN hash bytea;
ALTER TABLE wallet.wallets ADD COLUMN chain_head bytea;

-- The content, canonically: fields in a fixed order, text quoted (NULL stays NULL),
-- created_at as its exact count of microseconds (no time zone or format in play).
CREATE FUNCTION wallet.entry_hash(p_prev bytea, e wallet.ledger_entries) RETURNS bytea
LANGUAGE plpgsql  -- not sql: called per entry, a SQL function that is not inlined is planned on every call
IMMUTABLE
AS $$
BEGIN
    RETURN pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.format(
               '%s|%s|%s|%s|%L|%s|%s|%s|%s|%L|%L|%s|%s|%s|%L|%L|%s|%L|%L|%L',
               pg_catalog.encode(coalesce(p_prev, '\x'::bytea), 'hex'),
               e.account_id, e.entry_id, e.asset_type_id, e.kind, e.debit_account_id, e.credit_account_id,
               e.amount, e.balance_after, e.idempotency_key, e.metadata::text,
               (pg_catalog.extract('epoch', e.created_at) * 1000000)::bigint,
               e.paid_amount, e.free_amount, e.original_entry_id, e.hold_id, e.unrecovered, e.refund_policy,
               e.lot_ids::text, e.lot_amounts::text), 'UTF8'));
END
$$;

-- Every insert into the ledger is chained here, whichever function writes it: the
-- previous hash is the wallet's head as the inserting statement sees it (the statement
-- that writes an entry also moves the head to it, under the wallet lock it holds).
-- Qualified names, no SET search_path (see place_event in 013).
CREATE FUNCTION wallet.chain_entry() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
AS $$
DECLARE
    v_prev bytea;
BEGIN
    SELECT w.chain_head INTO v_prev
    FROM wallet.wallets w WHERE w.account_id = NEW.account_id AND w.asset_type_id = NEW.asset_type_id;
    NEW.hash := wallet.entry_hash(v_prev, NEW);
    RETURN NEW;
END
$$;

-- Existing entries are chained in entry order, wallet by wallet; the ledger's update
-- guard is lifted for this one transaction, as in 007 and 010.
ALTER TABLE wallet.ledger_entries DISABLE TRIGGER ledger_entries_no_update_delete;
DO $$
DECLARE
    v_entry wallet.ledger_entries;
    v_prev  bytea;
    v_key   text := '';
BEGIN
    FOR v_entry IN
        SELECT e.* FROM wallet.ledger_entries e ORDER BY e.account_id, e.asset_type_id, e.entry_id
    LOOP
        IF v_key <> v_entry.account_id || '/' || v_entry.asset_type_id THEN
            v_key := v_entry.account_id || '/' || v_entry.asset_type_id;
            v_prev := NULL;
        END IF;
        v_prev := wallet.entry_hash(v_prev, v_entry);
        UPDATE wallet.ledger_entries e SET hash = v_prev
        WHERE e.account_id = v_entry.account_id AND e.entry_id = v_entry.entry_id;
    END LOOP;
END
$$;
ALTER TABLE wallet.ledger_entries ENABLE TRIGGER ledger_entries_no_update_delete;
UPDATE wallet.wallets w
SET chain_head = (SELECT e.hash FROM wallet.ledger_entries e
                  WHERE e.account_id = w.account_id AND e.asset_type_id = w.asset_type_id
                  ORDER BY e.entry_id DESC LIMIT 1);

CREATE TRIGGER ledger_entries_chained
    BEFORE INSERT ON wallet.ledger_entries
    FOR EACH ROW EXECUTE FUNCTION wallet.chain_entry();
