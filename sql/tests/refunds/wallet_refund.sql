-- wallet_refund: a partial refund from the top-up's own lot; after part of the lot was
-- spent, from the other paid lots; under the debt policy, debt repaid by the next top-up
-- and by a bonus, with their splits in full; under clamp, a refund that recovers
-- nothing is still an entry; beyond the top-up; unknown payment id; replay and key
-- reuse; wallet_verify() clean after each step.
BEGIN;
SELECT plan(28);

SELECT wallet_open_account('f0000000-0000-4000-8000-000000000001', 'Refund');
SELECT * FROM wallet_topup('f0000000-0000-4000-8000-000000000001', 1, 100, 'pay-1');
SELECT * FROM wallet_bonus('f0000000-0000-4000-8000-000000000001', 1, 50, 'gift-1');
SELECT * FROM wallet_topup('f0000000-0000-4000-8000-000000000001', 1, 40, 'pay-2');

SELECT results_eq($$SELECT balance, replayed, recovered, unrecovered
                    FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-1', 30, 'rf-1')$$,
                  $$VALUES (160::bigint, false, 30::bigint, 0::bigint)$$, 'a partial refund takes back what it asks for');
SELECT is((SELECT l.remaining FROM wallet.lots l JOIN wallet.ledger_entries e ON e.account_id = l.account_id AND e.entry_id = l.entry_id
           WHERE e.idempotency_key = 'pay-1'), 70::bigint, 'from the top-up''s own lot');
SELECT results_eq($$SELECT entry_id, balance, replayed, recovered FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-1', 30, 'rf-1')$$,
                  $$SELECT entry_id, 160::bigint, true, 30::bigint FROM wallet.ledger_entries WHERE idempotency_key = 'rf-1'$$,
                  'the same key again is a replay');
SELECT throws_ok($$SELECT * FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-1', 30, 'rf-1', 'debt')$$,
                 'WA005', NULL, 'the same key with another policy: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-2', 30, 'rf-1')$$,
                 'WA005', NULL, 'or for another payment');

-- free first: the spend takes gift-1's 50, then 50 of pay-1's lot
SELECT * FROM wallet_spend('f0000000-0000-4000-8000-000000000001', 1, 100, 'sp-1');
SELECT results_eq($$SELECT balance, recovered, unrecovered FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-1', 50, 'rf-2')$$,
                  $$VALUES (10::bigint, 50::bigint, 0::bigint)$$,
                  'after part of the lot was spent: its rest (20), then the other paid lot (30)');
SELECT results_eq($$SELECT paid_amount, unrecovered, refund_policy FROM wallet.ledger_entries WHERE idempotency_key = 'rf-2'$$,
                  $$VALUES (50::bigint, 0::bigint, 'clamp')$$, 'all of it paid credit, clamp by default');
SELECT results_eq($$SELECT balance, recovered, unrecovered FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-1', 20, 'rf-3', 'debt')$$,
                  $$VALUES (0::bigint, 10::bigint, 10::bigint)$$, 'what is left is taken, the rest kept as debt');
SELECT results_eq($$SELECT balance, available, debt FROM wallet_balance('f0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (0::bigint, 0::bigint, 10::bigint)$$, 'wallet_balance shows the debt');
SELECT throws_ok($$SELECT * FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-1', 1, 'rf-too-much')$$,
                 'WA008', NULL, 'refunds beyond the top-up (30 + 50 + 20 asked already): exceeds_original');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent with debt');

SELECT results_eq($$SELECT balance, paid_amount, free_amount FROM wallet_topup('f0000000-0000-4000-8000-000000000001', 1, 25, 'pay-3')$$,
                  $$VALUES (15::bigint, 25::bigint, 0::bigint)$$,
                  'the next top-up repays the debt first; it answers the balance after, and its own split in full');
SELECT results_eq($$SELECT kind, amount, paid_amount, original_entry_id = (SELECT entry_id FROM wallet.ledger_entries WHERE idempotency_key = 'pay-3')
                    FROM wallet_history('f0000000-0000-4000-8000-000000000001', 1, NULL, 1)$$,
                  $$VALUES ('debt_repayment', -10::bigint, -10::bigint, true)$$, 'as a debt_repayment entry linked to it');
SELECT results_eq($$SELECT balance, replayed FROM wallet_topup('f0000000-0000-4000-8000-000000000001', 1, 25, 'pay-3')$$,
                  $$VALUES (15::bigint, true)$$, 'its replay answers the same balance');
SELECT is((SELECT debt FROM wallet_balance('f0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1), 0::bigint, 'no debt left');

SELECT results_eq($$SELECT balance, recovered, unrecovered FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-2', 40, 'rf-4', 'debt')$$,
                  $$VALUES (0::bigint, 15::bigint, 25::bigint)$$, 'a refund of the other top-up takes pay-3''s credit, the rest is debt');
SELECT results_eq($$SELECT balance, paid_amount, free_amount FROM wallet_bonus('f0000000-0000-4000-8000-000000000001', 1, 30, 'gift-2')$$,
                  $$VALUES (5::bigint, 0::bigint, 30::bigint)$$, 'a bonus repays it too');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after the repayments');

SELECT * FROM wallet_spend('f0000000-0000-4000-8000-000000000001', 1, 5, 'sp-2');
SELECT results_eq($$SELECT balance, recovered, unrecovered FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-3', 10, 'rf-5')$$,
                  $$VALUES (0::bigint, 0::bigint, 10::bigint)$$, 'clamp with nothing to take: written off');
SELECT results_eq($$SELECT kind, amount, unrecovered, debt FROM wallet.ledger_entries e, wallet.wallets w
                    WHERE e.idempotency_key = 'rf-5' AND w.account_id = e.account_id AND w.asset_type_id = 1$$,
                  $$VALUES ('refund', 0::bigint, 10::bigint, 0::bigint)$$, 'still a refund entry, of amount 0, and no debt');

SELECT throws_ok($$SELECT * FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'no-such-payment', 1, 'rf-x')$$,
                 'WA007', NULL, 'an unknown payment id: original_not_found');
SELECT throws_ok($$SELECT * FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-3', 1, 'rf-y', 'maybe')$$,
                 'WA002', NULL, 'an unknown policy: invalid_request');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent at the end');

-- a reversal into an unexpired lot repays debt too
SELECT * FROM wallet_refund('f0000000-0000-4000-8000-000000000001', 'pay-3', 15, 'rf-6', 'debt');
SELECT results_eq($$SELECT balance, paid_amount, free_amount FROM wallet_reverse_spend('f0000000-0000-4000-8000-000000000001', 'sp-2', 5, 'rv-1')$$,
                  $$VALUES (0::bigint, 0::bigint, 5::bigint)$$, 'a reversal repays debt before its credit is spendable');
SELECT results_eq($$SELECT balance, debt FROM wallet_balance('f0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (0::bigint, 10::bigint)$$, 'what is left of the debt');
SELECT results_eq($$SELECT balance, replayed FROM wallet_reverse_spend('f0000000-0000-4000-8000-000000000001', 'sp-2', 5, 'rv-1')$$,
                  $$VALUES (0::bigint, true)$$, 'its replay answers the balance after the repayment');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after the reversal''s repayment');

-- the top-up's own lot has expired: the other paid lots, then free ones
SELECT wallet_open_account('f0000000-0000-4000-8000-000000000002', 'Order');
SELECT * FROM wallet_topup('f0000000-0000-4000-8000-000000000002', 1, 10, 'o-pay', '{}', now() + interval '1 day');
SELECT * FROM wallet_bonus('f0000000-0000-4000-8000-000000000002', 1, 10, 'o-gift');
SELECT * FROM wallet_topup('f0000000-0000-4000-8000-000000000002', 1, 10, 'o-pay-2');
UPDATE wallet.lots SET expires_at = now()
WHERE entry_id = (SELECT entry_id FROM wallet.ledger_entries WHERE idempotency_key = 'o-pay');
UPDATE wallet.wallets SET next_expiry = now()
WHERE account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'f0000000-0000-4000-8000-000000000002');
SELECT * FROM wallet_refund('f0000000-0000-4000-8000-000000000002', 'o-pay', 10, 'o-rf');
SELECT results_eq($$SELECT amount, paid_amount, free_amount FROM wallet.ledger_entries WHERE idempotency_key = 'o-rf'$$,
                  $$VALUES (10::bigint, 10::bigint, 0::bigint)$$, 'paid credit before free credit');

SELECT * FROM finish();
ROLLBACK;
