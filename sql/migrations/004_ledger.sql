-- The append-only double-entry ledger. Each row moves `amount` of one asset from the
-- debit account to the credit account; one side is always the user account that
-- `account_id` names (the shard key), the other a system account.
CREATE TABLE wallet.ledger_entries (
    entry_id          bigint GENERATED ALWAYS AS IDENTITY,
    account_id        bigint  NOT NULL,
    asset_type_id     integer NOT NULL,
    kind              text    NOT NULL CHECK (kind IN ('topup', 'bonus', 'spend')),
    debit_account_id  bigint  NOT NULL,
    credit_account_id bigint  NOT NULL,
    amount            bigint  NOT NULL CHECK (amount BETWEEN 1 AND 9007199254740991),
    balance_after     bigint  NOT NULL CHECK (balance_after >= 0),
    idempotency_key   text    NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    metadata          jsonb   NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, entry_id),
    -- the idempotency claim: one entry per (user account, key)
    UNIQUE (account_id, idempotency_key),
    CHECK (debit_account_id <> credit_account_id),
    CHECK (account_id IN (debit_account_id, credit_account_id)),
    CHECK ((kind = 'spend') = (account_id = debit_account_id)),
    -- Only the user's own wallet row is referenced: the posting already holds its lock,
    -- so the check costs nothing. Keys to the Treasury or asset_types rows would take a
    -- share lock on the same few rows in every transaction.
    FOREIGN KEY (account_id, asset_type_id) REFERENCES wallet.wallets (account_id, asset_type_id)
);

CREATE FUNCTION wallet.refuse_ledger_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_immutable: ledger entries cannot be %d', lower(TG_OP)
        USING ERRCODE = 'WA900',
              HINT = 'Post a correcting entry instead.';
END
$$;

CREATE TRIGGER ledger_entries_no_update_delete
    BEFORE UPDATE OR DELETE ON wallet.ledger_entries
    FOR EACH ROW EXECUTE FUNCTION wallet.refuse_ledger_change();

CREATE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON wallet.ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION wallet.refuse_ledger_change();

-- Balances of system accounts, derived from the ledger rather than cached: the other
-- side of every entry is a system account, so each entry moves the same amount there.
CREATE VIEW wallet.system_balances AS
SELECT CASE WHEN e.debit_account_id = e.account_id THEN e.credit_account_id
            ELSE e.debit_account_id END AS account_id,
       e.asset_type_id,
       sum(CASE WHEN e.debit_account_id = e.account_id THEN e.amount ELSE -e.amount END) AS balance
FROM wallet.ledger_entries e
GROUP BY 1, 2;
