-- Paid and free credit lots. Every credit makes a lot on the user's wallet (a top-up a
-- paid one, a bonus a free one, each maybe expiring); a spend takes from lots in the
-- asset's spend order and records how much it took from each (lot_allocations), so
-- the ledger can always say how much of a spend was paid and how much free.
--
-- Room for what comes next (refunds, reversals, holds, debt): every kind of entry of
-- version 2 is admitted here, and key-less system entries (expiry, debt repayment).

ALTER TABLE wallet.asset_types
    ADD COLUMN spend_order text NOT NULL DEFAULT 'free_first' CHECK (spend_order IN ('free_first', 'paid_first'));

-- The cached ledger balance split by class, expired-but-not-yet-swept lots included
-- (wallet_expire() posts them); next_expiry is no later than the soonest expiry of an
-- open lot, so a posting looks for expired credit only when there may be some.
ALTER TABLE wallet.wallets
    ADD COLUMN paid bigint NOT NULL DEFAULT 0 CHECK (paid >= 0),
    ADD COLUMN free bigint NOT NULL DEFAULT 0 CHECK (free >= 0),
    ADD COLUMN next_expiry timestamptz;

ALTER TABLE wallet.ledger_entries
    ADD COLUMN paid_amount bigint NOT NULL DEFAULT 0 CHECK (paid_amount >= 0),
    ADD COLUMN free_amount bigint NOT NULL DEFAULT 0 CHECK (free_amount >= 0),
    ADD COLUMN original_entry_id bigint,
    ADD COLUMN hold_id bigint,
    ADD COLUMN unrecovered bigint NOT NULL DEFAULT 0 CHECK (unrecovered >= 0),
    ALTER COLUMN idempotency_key DROP NOT NULL,
    DROP CONSTRAINT ledger_entries_kind_check,
    ADD CONSTRAINT ledger_entries_kind_check
        CHECK (kind IN ('topup', 'bonus', 'spend', 'refund', 'reversal', 'expire', 'debt_repayment')),
    DROP CONSTRAINT ledger_entries_amount_check,
    ADD CONSTRAINT ledger_entries_amount_check
        CHECK (amount BETWEEN 0 AND 9007199254740991 AND (amount > 0 OR kind = 'refund')),
    -- the user is the debit side of what takes credit away, the credit side of the rest
    DROP CONSTRAINT ledger_entries_check2,
    ADD CONSTRAINT ledger_entries_direction_check
        CHECK ((kind IN ('spend', 'refund', 'expire', 'debt_repayment')) = (account_id = debit_account_id)),
    -- system entries carry no key; everything a caller asks for does
    ADD CONSTRAINT ledger_entries_key_check
        CHECK ((idempotency_key IS NULL) = (kind IN ('expire', 'debt_repayment')));

CREATE TABLE wallet.lots (
    account_id    bigint  NOT NULL,
    lot_id        bigint  GENERATED ALWAYS AS IDENTITY,
    asset_type_id integer NOT NULL,
    class         text    NOT NULL CHECK (class IN ('paid', 'free')),
    entry_id      bigint  NOT NULL,  -- the credit that made it
    amount        bigint  NOT NULL CHECK (amount > 0),
    remaining     bigint  NOT NULL,
    -- what the indexes filter on, rather than remaining itself: a spend that leaves
    -- credit in a lot changes no indexed value, so its update stays on the heap page (HOT)
    open          boolean NOT NULL GENERATED ALWAYS AS (remaining > 0) STORED,
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, lot_id),
    CHECK (remaining BETWEEN 0 AND amount),
    -- the only key: the posting holds this wallet row locked already. The lot's credit
    -- entry and the allocations' lots and entries are proven by wallet_verify() instead
    -- of foreign keys, which cost a row lock each on every posting.
    FOREIGN KEY (account_id, asset_type_id) REFERENCES wallet.wallets (account_id, asset_type_id)
) WITH (fillfactor = 80);  -- room on the page for those in-place updates

-- A spend reads exactly the lots it consumes, in spend order within a class: expiring
-- lots soonest first, then the rest, oldest first. Emptied lots leave the index.
CREATE INDEX lots_spend_order ON wallet.lots
    (account_id, asset_type_id, class, (coalesce(expires_at, 'infinity')), lot_id)
    WHERE open;
-- wallet_expire() finds expired remainders across all wallets, oldest expiry first.
CREATE INDEX lots_expiring ON wallet.lots (expires_at) WHERE open AND expires_at IS NOT NULL;

-- How much an entry took from (spend, expire) or gave back to (reversal) each lot, in
-- the order it did.
CREATE TABLE wallet.lot_allocations (
    account_id bigint  NOT NULL,
    entry_id   bigint  NOT NULL,
    seq        integer NOT NULL,
    lot_id     bigint  NOT NULL,
    amount     bigint  NOT NULL CHECK (amount > 0),
    PRIMARY KEY (account_id, entry_id, seq)
);

CREATE TRIGGER lot_allocations_no_update_delete
    BEFORE UPDATE OR DELETE ON wallet.lot_allocations
    FOR EACH ROW EXECUTE FUNCTION wallet.refuse_ledger_change();

-- Version-1 data becomes lots by replaying each wallet's history in entry order: each
-- top-up a paid lot and each bonus a free lot of its amount, each spend taking from
-- them free first, oldest first (the default order; version 1 had no expiry). The
-- replay also records each old entry's paid/free split; those columns are new, so the
-- ledger's update guard is lifted for this one transaction.
ALTER TABLE wallet.ledger_entries DISABLE TRIGGER ledger_entries_no_update_delete;
DO $$
DECLARE
    v_entry record;
    v_lot   record;
    v_left  bigint;
    v_take  bigint;
    v_seq   integer;
    v_paid  bigint;
    v_free  bigint;
BEGIN
    FOR v_entry IN
        SELECT e.account_id, e.entry_id, e.asset_type_id, e.kind, e.amount, e.created_at
        FROM wallet.ledger_entries e ORDER BY e.account_id, e.asset_type_id, e.entry_id
    LOOP
        IF v_entry.kind IN ('topup', 'bonus') THEN
            INSERT INTO wallet.lots (account_id, asset_type_id, class, entry_id, amount, remaining, created_at)
            VALUES (v_entry.account_id, v_entry.asset_type_id,
                    CASE v_entry.kind WHEN 'topup' THEN 'paid' ELSE 'free' END,
                    v_entry.entry_id, v_entry.amount, v_entry.amount, v_entry.created_at);
            UPDATE wallet.ledger_entries e
            SET paid_amount = CASE v_entry.kind WHEN 'topup' THEN v_entry.amount ELSE 0 END,
                free_amount = CASE v_entry.kind WHEN 'bonus' THEN v_entry.amount ELSE 0 END
            WHERE e.account_id = v_entry.account_id AND e.entry_id = v_entry.entry_id;
        ELSE  -- a spend
            v_left := v_entry.amount; v_seq := 0; v_paid := 0; v_free := 0;
            FOR v_lot IN
                SELECT l.lot_id, l.class, l.remaining FROM wallet.lots l
                WHERE l.account_id = v_entry.account_id AND l.asset_type_id = v_entry.asset_type_id
                  AND l.open
                ORDER BY l.class = 'paid', l.lot_id
            LOOP
                EXIT WHEN v_left = 0;
                v_take := least(v_left, v_lot.remaining);
                v_left := v_left - v_take;
                v_seq := v_seq + 1;
                UPDATE wallet.lots l SET remaining = remaining - v_take
                WHERE l.account_id = v_entry.account_id AND l.lot_id = v_lot.lot_id;
                INSERT INTO wallet.lot_allocations (account_id, entry_id, seq, lot_id, amount)
                VALUES (v_entry.account_id, v_entry.entry_id, v_seq, v_lot.lot_id, v_take);
                IF v_lot.class = 'paid' THEN v_paid := v_paid + v_take; ELSE v_free := v_free + v_take; END IF;
            END LOOP;
            IF v_left <> 0 THEN
                RAISE EXCEPTION 'entry % spends more than its wallet held', v_entry.entry_id;
            END IF;
            UPDATE wallet.ledger_entries e SET paid_amount = v_paid, free_amount = v_free
            WHERE e.account_id = v_entry.account_id AND e.entry_id = v_entry.entry_id;
        END IF;
    END LOOP;
END
$$;
ALTER TABLE wallet.ledger_entries ENABLE TRIGGER ledger_entries_no_update_delete;

UPDATE wallet.wallets w
SET paid = coalesce(s.paid, 0), free = coalesce(s.free, 0)
FROM (SELECT l.account_id, l.asset_type_id,
             sum(l.remaining) FILTER (WHERE l.class = 'paid') AS paid,
             sum(l.remaining) FILTER (WHERE l.class = 'free') AS free
      FROM wallet.lots l GROUP BY 1, 2) s
WHERE s.account_id = w.account_id AND s.asset_type_id = w.asset_type_id;

ALTER TABLE wallet.wallets ADD CONSTRAINT wallets_balance_is_paid_and_free CHECK (balance = paid + free);
ALTER TABLE wallet.ledger_entries
    ADD CONSTRAINT ledger_entries_split_check CHECK (paid_amount + free_amount = amount);

-- The writers, balance and history change their signatures: the old ones go first, so
-- that the new ones are not overloads (sql/functions re-creates them).
DROP FUNCTION IF EXISTS public.wallet_topup(uuid, integer, bigint, text, jsonb);
DROP FUNCTION IF EXISTS public.wallet_bonus(uuid, integer, bigint, text, jsonb);
DROP FUNCTION IF EXISTS public.wallet_spend(uuid, integer, bigint, text, jsonb);
DROP FUNCTION IF EXISTS public.wallet_balance(uuid);
DROP FUNCTION IF EXISTS public.wallet_history(uuid, integer, bigint, integer);
DROP FUNCTION IF EXISTS public.wallet_post_batch(jsonb);
DROP FUNCTION IF EXISTS wallet.post_entry(text, uuid, integer, bigint, text, jsonb);
