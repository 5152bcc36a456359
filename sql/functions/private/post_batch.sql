-- Two implementations of the posting rules: this set-at-a-time engine and the single
-- posting routine (private/post_entry.sql), kept apart because one engine measured slower
-- for one of the two (docs/benchmarks.md, "Batches"). They must agree on every answer:
-- tests/sql/test_batch_equivalence.py posts the same items both ways and compares them.
--
-- Many postings in one call and one commit, behind wallet_post_batch and wallet_import
-- (which check the array's size): each item is {"kind", "user_id", "asset_type_id",
-- "amount", "idempotency_key", "metadata"?, "expires_at"? (credits)}, of kind topup,
-- bonus or spend, or, when p_import, of kind import only, with its "class" (paid or
-- free), and gets its own outcome row, in item order: the posting (entry_id, balance,
-- replayed, paid_amount, free_amount) or the SQLSTATE and name of its refusal. A refused
-- item writes nothing and does not stop the others.
--
-- Wallets are locked first, all in one statement, in (user_id, asset_type_id) order of
-- their values, so concurrent batches cannot deadlock however a caller spells a uuid;
-- items of one wallet keep their order. Then set-at-a-time: one statement reads every
-- item, its wallet, its key's earlier entry and the first lots its wallet's spends will
-- take (at most 64, so a wallet of many lots costs no more);
-- a loop of arithmetic alone decides each item's outcome, split and lots; one statement
-- per round writes the entries (each its own event; round k holds each wallet's k-th
-- posting, since an entry's hash chains to the one before it) and keeps their hashes;
-- then one statement each writes the new lots, takes from the lots spent, and moves
-- each wallet to where its last posting leaves it.
--
-- An account goes through wallet.post_entry item by item instead (one subtransaction
-- each) when any of its items is malformed or unusual: a second use of one key in the
-- batch, a wallet to open, expired credit or holds to release, debt to repay, an account
-- not active, a cap or a daily limit in force. A key that a concurrent call takes
-- between the read and the insert, or that is one of the account's holds', and spends
-- of one wallet that need more lots than were read send the whole batch that way.
--
-- Callable only by those SECURITY DEFINER functions, whose pinned settings it runs under
-- (every name here is schema-qualified), as wallet.post_entry.
CREATE OR REPLACE FUNCTION wallet.post_batch(p_postings jsonb, p_import boolean)
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_now      timestamptz := now();
    v_kinds    text[] := CASE WHEN p_import THEN '{import}'::text[] ELSE '{topup,bonus,spend}'::text[] END;
    v_today    date := wallet.utc_day(now());  -- the day a daily limit counts on
    v_count    integer;
    v_treasury bigint;
    v_items    jsonb[];
    v_users    uuid[];
    v_assets   integer[];
    v_it       record;
    v_result   wallet.posting;
    -- outcomes, by item number
    v_entry    bigint[];
    v_balance  bigint[];
    v_replayed boolean[];
    v_sqlstate text[];
    v_name     text[];
    v_paid     bigint[];
    v_free     bigint[];
    -- items left to wallet.post_entry, in lock order
    v_slow     integer[] := '{}'::integer[];
    v_order    integer[] := '{}'::integer[];
    -- the wallet being simulated
    v_wallet   bigint;
    v_asset    integer;
    v_bal      bigint;
    v_held     bigint;
    v_wpaid    bigint;
    v_wfree    bigint;
    v_spent    bigint;    -- its spending today (counted with a limit or not), as the batch moves it
    v_first    text;      -- the class its asset spends first
    w_lot      bigint[];  -- its lots in spend order, as far as its spends may reach, and
    w_left     bigint[];  -- this batch's new lots among them: what each has left,
    w_class    text[];
    w_expires  timestamptz[];
    v_lot      integer;   -- the next one to take from
    v_new      bigint;
    v_at       integer;
    v_round    integer;   -- postings so far on it
    v_need     bigint;
    v_take     bigint;
    -- postings to write, in lock order (n of them)
    v_n        integer := 0;
    v_rounds   integer := 0;
    p_item     integer[] := '{}'::integer[];
    p_entry    bigint[];
    p_account  bigint[] := '{}'::bigint[];
    p_asset    integer[] := '{}'::integer[];
    p_kind     text[] := '{}'::text[];
    p_amount   bigint[] := '{}'::bigint[];
    p_key      text[] := '{}'::text[];
    p_meta     jsonb[] := '{}'::jsonb[];
    p_expires  timestamptz[] := '{}'::timestamptz[];
    p_bal      bigint[] := '{}'::bigint[];
    p_paid     bigint[] := '{}'::bigint[];
    p_free     bigint[] := '{}'::bigint[];
    p_wpaid    bigint[] := '{}'::bigint[];
    p_wfree    bigint[] := '{}'::bigint[];
    p_held     bigint[] := '{}'::bigint[];
    p_round    integer[] := '{}'::integer[];
    p_from     integer[] := '{}'::integer[];
    p_to       integer[] := '{}'::integer[];
    p_lot      bigint[] := '{}'::bigint[];  -- a credit's new lot
    p_head     bytea[] := '{}'::bytea[];    -- a wallet's first posting: its chain head before the batch
    p_hash     bytea[];  -- each posting's entry's hash
    v_hashes   bytea[];  -- a round's, in entry id order
    p_soonest  timestamptz[] := '{}'::timestamptz[];  -- the soonest expiry of its wallet's credits up to it
    p_spent    bigint[];  -- a wallet's last posting: its spending today after the batch (set from 1 on, below)
    v_soonest  timestamptz;
    -- what spends take from lots, posting by posting
    t_lot      bigint[] := '{}'::bigint[];
    t_amount   bigint[] := '{}'::bigint[];
    t_account  bigint[] := '{}'::bigint[];
    v_i        integer;
    v_holds    boolean := false;  -- some of the wallets' accounts have made holds
    w_complete boolean;  -- the wallet's lots read are all its spends may need
    v_redo     boolean := false;  -- every item goes one at a time, as if none had been judged
BEGIN
    v_count := jsonb_array_length(p_postings);
    -- outcomes are set by item number, in any order: the arrays hold every number from 1 on
    v_entry := array_fill(NULL::bigint, ARRAY[v_count]); v_balance := v_entry; v_paid := v_entry; v_free := v_entry;
    v_replayed := array_fill(NULL::boolean, ARRAY[v_count]);
    v_sqlstate := array_fill(NULL::text, ARRAY[v_count]); v_name := v_sqlstate;
    p_spent := v_entry;

    -- by value, not text: '{0f6d...}' and '0f6d...' are one wallet and must sort as one. Cast
    -- directly; when an item spells no uuid or integer, read each one on its own (NULL then).
    -- (Aggregated in the subquery's order, which its ordinality gives without a sort.)
    BEGIN
        SELECT array_agg(p.value), array_agg((p.value ->> 'user_id')::uuid),
               array_agg((p.value ->> 'asset_type_id')::integer)
        INTO v_items, v_users, v_assets
        FROM (SELECT p.value FROM jsonb_array_elements(p_postings) WITH ORDINALITY p ORDER BY p.ordinality) p;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        SELECT array_agg(p.value), array_agg(wallet.uuid_or_null(p.value ->> 'user_id')),
               array_agg(wallet.integer_or_null(p.value ->> 'asset_type_id'))
        INTO v_items, v_users, v_assets
        FROM (SELECT p.value FROM jsonb_array_elements(p_postings) WITH ORDINALITY p ORDER BY p.ordinality) p;
    END;

    PERFORM FROM (SELECT DISTINCT i.u, i.t FROM unnest(v_users, v_assets) i(u, t)) i
    JOIN wallet.accounts a ON a.user_id = i.u
    JOIN wallet.wallets w ON w.account_id = a.account_id AND w.asset_type_id = i.t
    ORDER BY a.user_id, w.asset_type_id
    FOR UPDATE OF w;

    v_treasury := wallet.treasury_account_id();

    -- Read after the locks, so that it sees what earlier holders of them committed.
    FOR v_it IN
        WITH item AS (
            SELECT i.idx::integer AS idx, i.posting, i.user_id, i.asset_type_id, i.posting ->> 'kind' AS kind,
                   CASE WHEN jsonb_typeof(i.posting -> 'amount') = 'number'  -- 1 to 16 digits (a bounded
                             AND octet_length(i.posting ->> 'amount') <= 16        -- repetition costs ~100 times more)
                             AND i.posting ->> 'amount' ~ '^[0-9]+$'
                        THEN (i.posting ->> 'amount')::bigint END AS amount,
                   i.posting ->> 'idempotency_key' AS idempotency_key,
                   CASE i.posting ->> 'kind' WHEN 'topup' THEN 'paid' WHEN 'bonus' THEN 'free'
                                             WHEN 'import' THEN i.posting ->> 'class' END AS credit_class,
                   coalesce(i.posting -> 'metadata', '{}') AS metadata,
                   wallet.timestamptz_or_null(i.posting ->> 'expires_at') AS expires_at,
                   a.account_id, w.balance, w.paid, w.free, w.held, w.has_holds, w.chain_head,
                   wallet.spent_today(w.spent_day, w.spent_today, v_now) AS spent_today,
                   CASE t.spend_order WHEN 'paid_first' THEN 'paid' ELSE 'free' END AS first_class,
                   -- what wallet.post_entry would accept, on a wallet it would post to in one pass
                   coalesce(jsonb_typeof(i.posting) = 'object' AND w.account_id IS NOT NULL
                            AND w.debt = 0 AND w.account_status = 'active'
                            AND coalesce(w.max_balance, t.max_balance, w.daily_spend_limit, t.daily_spend_limit) IS NULL
                            -- expired credit read only where some may be (next_expiry is no later than the
                            -- soonest expiry, and may be earlier; a CASE runs its sub-select only then)
                            AND CASE WHEN w.next_expiry <= v_now
                                     THEN (SELECT c.paid + c.free FROM wallet.expired_credit(w.account_id, w.asset_type_id, v_now) c) = 0
                                     ELSE true END
                            AND coalesce(w.next_hold_expiry > v_now, true),
                            false) AS usual_wallet
            FROM unnest(v_items, v_users, v_assets) WITH ORDINALITY i(posting, user_id, asset_type_id, idx)
            LEFT JOIN wallet.accounts a ON a.user_id = i.user_id
            LEFT JOIN LATERAL (SELECT * FROM wallet.wallets w  -- by both keys (OFFSET 0: not a filter on the account's)
                               WHERE w.account_id = a.account_id AND w.asset_type_id = i.asset_type_id OFFSET 0) w ON true
            LEFT JOIN wallet.asset_types t ON t.asset_type_id = w.asset_type_id
        ), judged AS (
            SELECT item.*,
                   coalesce(usual_wallet AND kind = ANY (v_kinds) AND (kind <> 'import' OR credit_class IN ('paid', 'free'))
                            AND amount BETWEEN 1 AND 9007199254740991
                            AND octet_length(idempotency_key) BETWEEN 1 AND 255 AND idempotency_key !~ '[^!-~]'
                            AND jsonb_typeof(metadata) = 'object' AND octet_length(metadata::text) <= 4096
                            AND (posting ->> 'expires_at' IS NULL OR (kind <> 'spend' AND expires_at > v_now)), false)
                   -- a key used twice in a user's items, found by hashing (a window would sort for it)
                   AND NOT coalesce(user_id IN (SELECT d.user_id FROM item d WHERE d.user_id IS NOT NULL
                                                GROUP BY d.user_id, d.idempotency_key HAVING count(*) > 1), false) AS usual
            FROM item
        ), sorted AS (  -- by user (one account each), so these windows and the ORDER BY share one sort
            SELECT judged.*, bool_and(usual) OVER (PARTITION BY user_id) AND account_id IS NOT NULL AS fast,
                   sum(amount) FILTER (WHERE kind = 'spend') OVER (PARTITION BY user_id, asset_type_id) AS need,
                   row_number() OVER (PARTITION BY user_id, asset_type_id ORDER BY idx) = 1 AS first_of_wallet
            FROM judged
        )
        SELECT s.idx, s.fast, s.kind, s.credit_class, s.account_id, s.asset_type_id, s.amount, s.idempotency_key, s.metadata,
               s.expires_at, s.balance, s.paid, s.free, s.held, s.has_holds, s.chain_head, s.spent_today,
               s.first_class,
               -- on a wallet's first item, if the batch spends from it: its first 64 lots in spend
               -- order at most (each class read in its index's order, so a wallet of many lots costs
               -- no more than one of a few), those its spends may reach, and whether they are all
               -- its spends may need (a CASE runs its sub-select, and starts its sorts, only then)
               CASE WHEN s.fast AND s.first_of_wallet AND s.need > 0 THEN (
                   SELECT ROW(array_agg(l.lot_id) FILTER (WHERE l.upto - l.remaining < s.need),
                              array_agg(l.remaining) FILTER (WHERE l.upto - l.remaining < s.need),
                              array_agg(l.class) FILTER (WHERE l.upto - l.remaining < s.need),
                              array_agg(l.expires_at) FILTER (WHERE l.upto - l.remaining < s.need),
                              coalesce(max(l.upto) >= s.need, false) OR count(*) < 64)::wallet.lot_reach
                   FROM (SELECT l.lot_id, l.remaining, l.class, l.expires_at,  -- aggregated in this order
                                sum(l.remaining) OVER (ORDER BY l.rank, l.expiry, l.lot_id) AS upto
                         FROM ((SELECT 0 AS rank, l.lot_id, l.remaining, l.class, l.expires_at,
                                       coalesce(l.expires_at, 'infinity') AS expiry
                                FROM wallet.lots l
                                WHERE l.account_id = s.account_id AND l.asset_type_id = s.asset_type_id
                                  AND l.class = s.first_class
                                  AND CASE s.first_class WHEN 'paid' THEN s.paid ELSE s.free END > 0  -- none held: not searched
                                  AND l.open AND coalesce(l.expires_at, 'infinity') > v_now
                                ORDER BY coalesce(l.expires_at, 'infinity'), l.lot_id LIMIT 64)
                               UNION ALL
                               (SELECT 1, l.lot_id, l.remaining, l.class, l.expires_at, coalesce(l.expires_at, 'infinity')
                                FROM wallet.lots l
                                WHERE l.account_id = s.account_id AND l.asset_type_id = s.asset_type_id
                                  AND l.class = CASE s.first_class WHEN 'paid' THEN 'free' ELSE 'paid' END
                                  AND CASE s.first_class WHEN 'paid' THEN s.free ELSE s.paid END > 0
                                  AND l.open AND coalesce(l.expires_at, 'infinity') > v_now
                                ORDER BY coalesce(l.expires_at, 'infinity'), l.lot_id LIMIT 64)
                               ORDER BY 1, 6, 2 LIMIT 64) l
                         ORDER BY l.rank, l.expiry, l.lot_id) l) END AS lots,
               p.entry_id AS prior_entry_id, p.kind AS prior_kind, p.asset_type_id AS prior_asset_type_id,
               p.amount AS prior_amount, p.balance_after AS prior_balance, p.paid_amount AS prior_paid,
               p.free_amount AS prior_free
        FROM sorted s
        LEFT JOIN wallet.ledger_entries p ON s.fast AND p.account_id = s.account_id
                                         AND p.idempotency_key = s.idempotency_key
        ORDER BY s.user_id, s.asset_type_id, s.idx
    LOOP
        v_order := v_order || v_it.idx;
        IF v_redo THEN
            CONTINUE;
        END IF;
        IF NOT v_it.fast THEN
            v_slow := v_slow || v_it.idx;
            CONTINUE;
        END IF;
        IF v_wallet IS DISTINCT FROM v_it.account_id OR v_asset IS DISTINCT FROM v_it.asset_type_id THEN
            IF v_round > 0 THEN  -- the wallet before: where its last posting leaves the day's spending
                p_spent[v_n] := v_spent;
            END IF;
            v_wallet := v_it.account_id; v_asset := v_it.asset_type_id;
            v_bal := v_it.balance; v_wpaid := v_it.paid; v_wfree := v_it.free; v_held := v_it.held;
            v_spent := v_it.spent_today;
            v_soonest := NULL;
            v_holds := v_holds OR v_it.has_holds;
            v_first := v_it.first_class; v_round := 0; v_lot := 1;
            w_lot := coalesce((v_it.lots).lot_ids, '{}'); w_left := coalesce((v_it.lots).lot_remaining, '{}');
            w_class := coalesce((v_it.lots).lot_classes, '{}'); w_expires := coalesce((v_it.lots).lot_expiries, '{}');
            w_complete := coalesce((v_it.lots).complete, true);
        END IF;

        IF v_it.prior_entry_id IS NOT NULL THEN  -- the key is taken: a replay, or another request's key
            IF (v_it.prior_kind, v_it.prior_asset_type_id, v_it.prior_amount)
               IS DISTINCT FROM (v_it.kind, v_it.asset_type_id, v_it.amount) THEN
                v_sqlstate[v_it.idx] := 'WA005'; v_name[v_it.idx] := 'idempotency_key_reused';
            ELSE
                v_entry[v_it.idx] := v_it.prior_entry_id; v_replayed[v_it.idx] := true;
                v_paid[v_it.idx] := v_it.prior_paid; v_free[v_it.idx] := v_it.prior_free;
                v_balance[v_it.idx] := CASE WHEN v_it.kind = 'spend' THEN v_it.prior_balance
                    ELSE wallet.answered_balance(v_it.account_id, v_it.prior_entry_id, v_it.prior_balance) END;
            END IF;
            CONTINUE;
        END IF;

        v_n := v_n + 1;
        IF v_it.kind = 'spend' THEN
            IF v_bal - v_held < v_it.amount THEN  -- what holds reserve is not available
                v_sqlstate[v_it.idx] := 'WA006'; v_name[v_it.idx] := 'insufficient_funds';
                v_n := v_n - 1;
                CONTINUE;
            END IF;
            p_paid[v_n] := 0; p_free[v_n] := 0; p_from[v_n] := cardinality(t_lot) + 1;
            v_need := v_it.amount;
            WHILE v_need > 0 LOOP
                IF v_lot > cardinality(w_lot) AND NOT w_complete THEN  -- its spends need more lots than were read
                    v_redo := true;
                    EXIT;
                END IF;
                IF v_lot > cardinality(w_lot) THEN  -- the cache promised credit the lots do not hold: never post on it
                    RAISE EXCEPTION 'lots of account % asset % hold less than its balance', v_wallet, v_asset
                        USING ERRCODE = 'XX000', HINT = 'Run wallet_verify().';
                END IF;
                v_take := least(v_need, w_left[v_lot]);
                t_lot := t_lot || w_lot[v_lot]; t_amount := t_amount || v_take;
                t_account := t_account || v_wallet;
                IF w_class[v_lot] = 'paid' THEN p_paid[v_n] := p_paid[v_n] + v_take;
                ELSE p_free[v_n] := p_free[v_n] + v_take; END IF;
                v_need := v_need - v_take; w_left[v_lot] := w_left[v_lot] - v_take;
                IF w_left[v_lot] = 0 THEN
                    v_lot := v_lot + 1;
                END IF;
            END LOOP;
            IF v_redo THEN
                CONTINUE;
            END IF;
            p_to[v_n] := cardinality(t_lot); p_lot[v_n] := NULL;
            v_bal := v_bal - v_it.amount; v_wpaid := v_wpaid - p_paid[v_n]; v_wfree := v_wfree - p_free[v_n];
            v_spent := v_spent + v_it.amount;
        ELSE
            IF v_bal > 9223372036854775807 - v_it.amount THEN
                v_sqlstate[v_it.idx] := 'WA001'; v_name[v_it.idx] := 'invalid_amount';
                v_n := v_n - 1;
                CONTINUE;
            END IF;
            p_from[v_n] := NULL; p_to[v_n] := NULL;  -- every array keeps its items from 1 on
            p_paid[v_n] := CASE WHEN v_it.credit_class = 'paid' THEN v_it.amount ELSE 0 END;
            p_free[v_n] := v_it.amount - p_paid[v_n];
            -- its lot joins the wallet's in spend order, for the spends after it
            v_new := nextval('wallet.lots_lot_id_seq');
            v_at := v_lot;
            WHILE v_at <= cardinality(w_lot)
                  AND (w_class[v_at] <> v_first, coalesce(w_expires[v_at], 'infinity'), w_lot[v_at])
                      < (v_it.credit_class <> v_first,
                         coalesce(v_it.expires_at, 'infinity'), v_new) LOOP
                v_at := v_at + 1;
            END LOOP;
            w_lot := w_lot[1:v_at - 1] || v_new || w_lot[v_at:];
            w_left := w_left[1:v_at - 1] || v_it.amount || w_left[v_at:];
            w_class := w_class[1:v_at - 1] || v_it.credit_class || w_class[v_at:];
            w_expires := w_expires[1:v_at - 1] || v_it.expires_at || w_expires[v_at:];
            p_lot[v_n] := v_new;
            v_bal := v_bal + v_it.amount; v_wpaid := v_wpaid + p_paid[v_n]; v_wfree := v_wfree + p_free[v_n];
        END IF;
        v_round := v_round + 1; v_rounds := greatest(v_rounds, v_round);
        p_item[v_n] := v_it.idx; p_account[v_n] := v_wallet; p_asset[v_n] := v_asset; p_kind[v_n] := v_it.kind;
        p_amount[v_n] := v_it.amount; p_key[v_n] := v_it.idempotency_key; p_meta[v_n] := v_it.metadata;
        p_expires[v_n] := v_it.expires_at; p_bal[v_n] := v_bal; p_wpaid[v_n] := v_wpaid; p_wfree[v_n] := v_wfree;
        p_held[v_n] := v_held;
        p_round[v_n] := v_round;
        p_head[v_n] := CASE WHEN v_round = 1 THEN v_it.chain_head END;
        v_soonest := least(v_soonest, v_it.expires_at);  -- the wallet's credits' soonest expiry so far
        p_soonest[v_n] := v_soonest;
    END LOOP;
    IF v_round > 0 THEN
        p_spent[v_n] := v_spent;
    END IF;

    IF v_n > 0 AND NOT v_redo THEN
        -- entry ids in lock order, so that each wallet's entries follow its items' order
        SELECT array_agg(s.id ORDER BY s.id) INTO p_entry
        FROM (SELECT nextval('wallet.ledger_entries_entry_id_seq') AS id FROM generate_series(1, v_n)) s;
        BEGIN
            -- the entries, a round at a time (a wallet's k-th posting is in round k): each chained
            -- to its wallet's head as read under the lock, or to the hash the round before gave
            -- the wallet's posting before it; the row is built only inside the hash, where the
            -- planner folds its fields
            FOR v_r IN 1..v_rounds LOOP
                WITH entry AS (
                    INSERT INTO wallet.ledger_entries AS e OVERRIDING SYSTEM VALUE
                    SELECT r.entry_id, r.account_id, r.asset_type_id, r.kind, r.debit_account_id, r.credit_account_id,
                           r.amount, r.balance, r.idempotency_key, r.metadata, v_now, r.paid, r.free, NULL, NULL, 0,
                           r.lot_ids, r.lot_amounts, NULL,
                           wallet.entry_hash(r.head,
                               ROW(r.entry_id, r.account_id, r.asset_type_id, r.kind, r.debit_account_id,
                                   r.credit_account_id, r.amount, r.balance, r.idempotency_key, r.metadata, v_now,
                                   r.paid, r.free, NULL, NULL, 0, r.lot_ids, r.lot_amounts, NULL, NULL, r.wallet_paid,
                                   r.wallet_free, r.held, NULL)::wallet.ledger_entries),
                           r.wallet_paid, r.wallet_free, r.held
                    FROM (SELECT p.entry_id, p.account_id, p.asset_type_id, p.kind, p.amount, p.idempotency_key,
                                 p.metadata, p.balance, p.paid, p.free, p.wallet_paid, p.wallet_free, p.held,
                                 CASE p.kind WHEN 'spend' THEN p.account_id ELSE v_treasury END AS debit_account_id,
                                 CASE p.kind WHEN 'spend' THEN v_treasury ELSE p.account_id END AS credit_account_id,
                                 CASE p.kind WHEN 'spend' THEN t_lot[p.take_from:p.take_to] END AS lot_ids,
                                 CASE p.kind WHEN 'spend' THEN t_amount[p.take_from:p.take_to] END AS lot_amounts,
                                 CASE WHEN v_r = 1 THEN p.head ELSE p_hash[(p.n - 1)::integer] END AS head
                          FROM unnest(p_entry, p_account, p_asset, p_kind, p_amount, p_key, p_meta, p_bal, p_paid,
                                      p_free, p_wpaid, p_wfree, p_held, p_round, p_from, p_to, p_head)
                               WITH ORDINALITY
                               AS p(entry_id, account_id, asset_type_id, kind, amount, idempotency_key, metadata,
                                    balance, paid, free, wallet_paid, wallet_free, held, round, take_from, take_to,
                                    head, n)
                          WHERE p.round = v_r
                          OFFSET 0) r
                    RETURNING e.entry_id, e.hash
                )
                SELECT array_agg(entry.hash ORDER BY entry.entry_id) INTO v_hashes FROM entry;
                IF v_rounds = 1 THEN
                    p_hash := v_hashes;
                ELSE  -- each hash to its posting: the round's postings, in entry id order
                    p_hash := coalesce(p_hash, array_fill(NULL::bytea, ARRAY[v_n]));
                    v_at := 0;
                    FOR v_i IN 1..v_n LOOP
                        IF p_round[v_i] = v_r THEN
                            v_at := v_at + 1; p_hash[v_i] := v_hashes[v_at];
                        END IF;
                    END LOOP;
                END IF;
            END LOOP;
            INSERT INTO wallet.lots (lot_id, account_id, asset_type_id, class, entry_id, amount, remaining, expires_at)
            OVERRIDING SYSTEM VALUE
            SELECT p.lot_id, p.account_id, p.asset_type_id, CASE WHEN p.paid > 0 THEN 'paid' ELSE 'free' END,
                   p.entry_id, p.amount, p.amount, p.expires_at
            FROM unnest(p_lot, p_account, p_asset, p_paid, p_entry, p_amount, p_expires)
                 AS p(lot_id, account_id, asset_type_id, paid, entry_id, amount, expires_at)
            WHERE p.lot_id IS NOT NULL;
            UPDATE wallet.lots l SET remaining = l.remaining - t.amount
            FROM (SELECT t.account_id, t.lot_id, sum(t.amount)::bigint AS amount  -- a lot taken from in several rounds
                  FROM unnest(t_account, t_lot, t_amount) t(account_id, lot_id, amount)
                  GROUP BY t.account_id, t.lot_id) t
            WHERE l.account_id = t.account_id AND l.lot_id = t.lot_id;
            -- each wallet once, moved to where its last posting (the one p_spent is set on) leaves it:
            -- a row updated twice in one transaction has its foreign keys checked again
            UPDATE wallet.wallets w
            SET balance = p.balance, paid = p.wallet_paid, free = p.wallet_free, chain_head = p.hash,
                next_expiry = least(w.next_expiry, p.soonest), spent_day = v_today, spent_today = p.spent
            FROM unnest(p_account, p_asset, p_bal, p_wpaid, p_wfree, p_hash, p_soonest, p_spent[1:v_n])
                 AS p(account_id, asset_type_id, balance, wallet_paid, wallet_free, hash, soonest, spent)
            WHERE p.spent IS NOT NULL AND w.account_id = p.account_id AND w.asset_type_id = p.asset_type_id;
            IF v_holds THEN  -- holds and entries share the key space: a hold's key is no new request
                PERFORM FROM unnest(p_account, p_key) p(account_id, idempotency_key)
                JOIN wallet.holds h ON h.account_id = p.account_id AND h.idempotency_key = p.idempotency_key;
                IF FOUND THEN
                    RAISE unique_violation USING MESSAGE = 'an item''s key is one of its account''s holds''';
                END IF;
            END IF;
            FOR v_i IN 1..v_n LOOP
                v_entry[p_item[v_i]] := p_entry[v_i]; v_balance[p_item[v_i]] := p_bal[v_i];
                v_replayed[p_item[v_i]] := false; v_paid[p_item[v_i]] := p_paid[v_i]; v_free[p_item[v_i]] := p_free[v_i];
            END LOOP;
        EXCEPTION WHEN unique_violation THEN
            -- a concurrent call claimed one of these keys after they were read, or a hold has one
            v_redo := true;
        END;
    END IF;
    IF v_redo THEN  -- post every item one at a time instead, as if none had been judged
        v_slow := v_order;
        v_entry := array_fill(NULL::bigint, ARRAY[v_count]); v_balance := v_entry; v_paid := v_entry;
        v_free := v_entry; v_replayed := array_fill(NULL::boolean, ARRAY[v_count]);
        v_sqlstate := array_fill(NULL::text, ARRAY[v_count]); v_name := v_sqlstate;
    END IF;

    FOREACH v_i IN ARRAY v_slow LOOP
        BEGIN
            IF jsonb_typeof(v_items[v_i]) <> 'object' OR NOT coalesce(v_items[v_i] ->> 'kind' = ANY (v_kinds), false) THEN
                RAISE EXCEPTION 'invalid_request: kind must be %', array_to_string(v_kinds, ', ') USING ERRCODE = 'WA002';
            END IF;
            IF p_import AND coalesce(v_items[v_i] ->> 'class' NOT IN ('paid', 'free'), true) THEN
                RAISE EXCEPTION 'invalid_request: class must be paid or free' USING ERRCODE = 'WA002';
            END IF;
            IF jsonb_typeof(v_items[v_i] -> 'amount') IS DISTINCT FROM 'number'
               OR v_items[v_i] ->> 'amount' !~ '^-?[0-9]{1,19}$' THEN
                RAISE EXCEPTION 'invalid_amount: amount must be a JSON integer' USING ERRCODE = 'WA001';
            END IF;
            v_result := wallet.post_entry(
                v_items[v_i] ->> 'kind',
                (v_items[v_i] ->> 'user_id')::uuid,
                (v_items[v_i] ->> 'asset_type_id')::integer,
                (v_items[v_i] ->> 'amount')::bigint,
                v_items[v_i] ->> 'idempotency_key',
                coalesce(v_items[v_i] -> 'metadata', '{}'),
                (v_items[v_i] ->> 'expires_at')::timestamptz,
                v_items[v_i] ->> 'class');
            v_entry[v_i] := v_result.entry_id;
            v_balance[v_i] := v_result.balance;
            v_replayed[v_i] := v_result.replayed;
            v_paid[v_i] := v_result.paid_amount;
            v_free[v_i] := v_result.free_amount;
        EXCEPTION
            WHEN SQLSTATE 'WA001' OR SQLSTATE 'WA002' OR SQLSTATE 'WA003' OR SQLSTATE 'WA004'
                 OR SQLSTATE 'WA005' OR SQLSTATE 'WA006' OR SQLSTATE 'WA011' OR SQLSTATE 'WA012'
                 OR SQLSTATE 'WA013' THEN
                v_sqlstate[v_i] := SQLSTATE;
                v_name[v_i] := split_part(SQLERRM, ':', 1);
            WHEN numeric_value_out_of_range THEN
                v_sqlstate[v_i] := 'WA001';
                v_name[v_i] := 'invalid_amount';
            WHEN data_exception THEN  -- a user_id, asset_type_id or expires_at of the wrong form
                v_sqlstate[v_i] := 'WA002';
                v_name[v_i] := 'invalid_request';
        END;
    END LOOP;

    RETURN QUERY
    SELECT o.i::integer, o.entry_id, o.balance, o.replayed, o.error_sqlstate, o.error_name, o.paid, o.free
    FROM unnest(v_entry, v_balance, v_replayed, v_sqlstate, v_name, v_paid, v_free)
         WITH ORDINALITY o(entry_id, balance, replayed, error_sqlstate, error_name, paid, free, i);
END
$$;

REVOKE ALL ON FUNCTION wallet.post_batch(jsonb, boolean) FROM PUBLIC;
