-- wallet_reverse_spend: gives a spend back into the lots it took from, most recently
-- taken first, across partial reversals; a reversal of a spend over three lots; credit
-- given back to a lot that expired meanwhile is not counted and is posted by
-- wallet_expire(); replay and key reuse; beyond the spend; unknown spend.
BEGIN;
SELECT plan(16);

SELECT wallet_open_account('e0000000-0000-4000-8000-000000000001', 'Reverse');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'e0000000-0000-4000-8000-000000000001';
CREATE TEMP TABLE lot AS
SELECT e.idempotency_key AS credit, l.lot_id
FROM wallet.lots l JOIN wallet.ledger_entries e ON e.account_id = l.account_id AND e.entry_id = l.entry_id
WHERE false;
SELECT * FROM wallet_topup('e0000000-0000-4000-8000-000000000001', 1, 100, 'paid');
SELECT * FROM wallet_bonus('e0000000-0000-4000-8000-000000000001', 1, 30, 'free');
SELECT * FROM wallet_bonus('e0000000-0000-4000-8000-000000000001', 1, 20, 'free-exp', '{}', now() + interval '1 day');
INSERT INTO lot
SELECT e.idempotency_key, l.lot_id
FROM wallet.lots l JOIN wallet.ledger_entries e ON e.account_id = l.account_id AND e.entry_id = l.entry_id
WHERE l.account_id = (SELECT account_id FROM acct);

-- free first, expiring first: 20 from free-exp, 30 from free, 10 from paid
SELECT results_eq($$SELECT balance, paid_amount, free_amount FROM wallet_spend('e0000000-0000-4000-8000-000000000001', 1, 60, 'sp-1')$$,
                  $$VALUES (90::bigint, 10::bigint, 50::bigint)$$, 'the spend took from three lots');

SELECT results_eq($$SELECT balance, replayed, paid_amount, free_amount
                    FROM wallet_reverse_spend('e0000000-0000-4000-8000-000000000001', 'sp-1', 15, 'rv-1', '{"order": 7}')$$,
                  $$VALUES (105::bigint, false, 10::bigint, 5::bigint)$$,
                  'a partial reversal gives back the most recently taken first: 10 paid, then 5 free');
SELECT results_eq($$SELECT l.credit, x.remaining FROM lot l JOIN wallet.lots x ON x.lot_id = l.lot_id ORDER BY 1$$,
                  $$VALUES ('free', 5::bigint), ('free-exp', 0::bigint), ('paid', 100::bigint)$$,
                  'into the lots it came from');
SELECT results_eq($$SELECT kind, amount, original_entry_id = (SELECT entry_id FROM wallet.ledger_entries WHERE idempotency_key = 'sp-1')
                    FROM wallet_history('e0000000-0000-4000-8000-000000000001', 1, NULL, 1)$$,
                  $$VALUES ('reversal', 15::bigint, true)$$, 'history shows it, linked to the spend');

SELECT results_eq($$SELECT entry_id, balance, replayed FROM wallet_reverse_spend('e0000000-0000-4000-8000-000000000001', 'sp-1', 15, 'rv-1')$$,
                  $$SELECT entry_id, 105::bigint, true FROM wallet.ledger_entries WHERE idempotency_key = 'rv-1'$$,
                  'the same key again is a replay of the first answer');
SELECT throws_ok($$SELECT * FROM wallet_reverse_spend('e0000000-0000-4000-8000-000000000001', 'sp-1', 16, 'rv-1')$$,
                 'WA005', NULL, 'the same key for another amount: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_spend('e0000000-0000-4000-8000-000000000001', 1, 15, 'rv-1')$$,
                 'WA005', NULL, 'or for a spend');
SELECT throws_ok($$SELECT * FROM wallet_reverse_spend('e0000000-0000-4000-8000-000000000001', 'sp-1', 46, 'rv-big')$$,
                 'WA008', NULL, 'reversals beyond the spend: exceeds_original');
SELECT throws_ok($$SELECT * FROM wallet_reverse_spend('e0000000-0000-4000-8000-000000000001', 'no-such-spend', 1, 'rv-x')$$,
                 'WA007', NULL, 'an unknown spend: original_not_found');
SELECT throws_ok($$SELECT * FROM wallet_reverse_spend('e0000000-0000-4000-8000-000000000001', 'paid', 1, 'rv-y')$$,
                 'WA007', NULL, 'a top-up''s key is not a spend''s');

-- the expiring lot expires; the rest of the reversal goes to free (25), then to the
-- expired lot (20), which no balance counts
UPDATE wallet.lots SET expires_at = now() WHERE lot_id = (SELECT lot_id FROM lot WHERE credit = 'free-exp');
UPDATE wallet.wallets SET next_expiry = now() WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1;
SELECT results_eq($$SELECT balance, paid_amount, free_amount FROM wallet_reverse_spend('e0000000-0000-4000-8000-000000000001', 'sp-1', 45, 'rv-2')$$,
                  $$VALUES (130::bigint, 0::bigint, 45::bigint)$$,
                  'the rest of the spend back: 20 of it into the expired lot, not counted');
SELECT results_eq($$SELECT balance, free FROM wallet_balance('e0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (130::bigint, 30::bigint)$$, 'nor by wallet_balance');
SELECT is_empty('SELECT * FROM wallet_verify()', 'the ledger, the lots and the reversals agree');
SELECT results_eq($$SELECT lots_expired FROM wallet_expire(1000)$$, $$VALUES (1)$$,
                  'wallet_expire() posts what went back to the expired lot');
SELECT is_empty('SELECT * FROM wallet_verify()', 'and still agrees');

-- reversals written around the function: one more of the fully reversed spend, one of a top-up
INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount,
                                   balance_after, idempotency_key, free_amount, original_entry_id)
SELECT a.account_id, 1, 'reversal', t.account_id, a.account_id, 1, 131, x.key, 1, e.entry_id
FROM acct a, wallet.accounts t,
     (VALUES ('forged-1', 'sp-1'), ('forged-2', 'paid')) x (key, original)
     JOIN wallet.ledger_entries e ON e.idempotency_key = x.original
WHERE t.system_code = 'treasury' AND e.account_id = (SELECT account_id FROM acct);
SELECT results_eq($$SELECT problem FROM wallet_verify() WHERE problem LIKE 'reversal%' ORDER BY 1$$,
                  ARRAY['reversal_without_spend', 'reversals_exceed_spend'],
                  'wallet_verify() finds a reversal of no spend and reversals beyond a spend');

SELECT * FROM finish();
ROLLBACK;
