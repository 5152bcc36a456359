-- wallet.take_in_spend_order: the lots a take of an amount would use, in the asset's
-- spend order, with the split; less than the amount when the lots hold less; writes nothing.
BEGIN;
SELECT plan(8);
SELECT wallet_open_account('b1000000-0000-4000-8000-000000000001', 'Plan');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'b1000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('b1000000-0000-4000-8000-000000000001', 1, 100, 'p');
SELECT * FROM wallet_bonus('b1000000-0000-4000-8000-000000000001', 1, 30, 'f-never');
SELECT * FROM wallet_bonus('b1000000-0000-4000-8000-000000000001', 1, 10, 'f-soon', '{}', now() + interval '1 hour');
CREATE TEMP TABLE lot AS
    SELECT e.idempotency_key AS credit, l.lot_id FROM wallet.lots l
    JOIN wallet.ledger_entries e ON e.account_id = l.account_id AND e.entry_id = l.entry_id
    WHERE l.account_id = (SELECT account_id FROM acct);

SELECT results_eq($$SELECT lot_amounts, paid, free FROM wallet.take_in_spend_order((SELECT account_id FROM acct), 1, 50, now())$$,
                  $$VALUES (ARRAY[10, 30, 10]::bigint[], 10::bigint, 40::bigint)$$,
                  'free first, soonest expiry first, then paid');
SELECT results_eq($$SELECT lot_ids FROM wallet.take_in_spend_order((SELECT account_id FROM acct), 1, 50, now())$$,
                  $$SELECT ARRAY[(SELECT lot_id FROM lot WHERE credit = 'f-soon'), (SELECT lot_id FROM lot WHERE credit = 'f-never'),
                                 (SELECT lot_id FROM lot WHERE credit = 'p')]$$, 'naming the lots in that order');
SELECT results_eq($$SELECT paid + free FROM wallet.take_in_spend_order((SELECT account_id FROM acct), 1, 1000, now())$$,
                  $$VALUES (140::bigint)$$, 'all there is when the lots hold less');
SELECT results_eq($$SELECT sum(remaining) FROM wallet.lots WHERE account_id = (SELECT account_id FROM acct)$$,
                  $$VALUES (140::numeric)$$, 'and nothing is taken');
SELECT results_eq($$SELECT paid, free FROM wallet.take_in_spend_order((SELECT account_id FROM acct), 1, 50, now(), 100, 0)$$,
                  $$VALUES (50::bigint, 0::bigint)$$, 'a class the caller says the wallet holds none of is not searched');
SELECT results_eq($$SELECT paid, free FROM wallet.take_in_spend_order((SELECT account_id FROM acct), 1, 50, now(), 100, 40)$$,
                  $$VALUES (10::bigint, 40::bigint)$$, 'the same take as without the totals when both are held');
SELECT results_eq($$SELECT lot_ids, lot_amounts, paid, free FROM wallet.take_in_spend_order((SELECT account_id FROM acct), 1, 8, now())$$,
                  $$SELECT ARRAY[(SELECT lot_id FROM lot WHERE credit = 'f-soon')], ARRAY[8]::bigint[], 0::bigint, 8::bigint$$,
                  'a take the first lot covers: that lot alone');
SELECT results_eq($$SELECT cardinality(lot_ids), paid, free FROM wallet.take_in_spend_order((SELECT account_id FROM acct), 1, 8, now(), 0, 0)$$,
                  $$VALUES (0, 0::bigint, 0::bigint)$$, 'nothing when the caller says neither class may be searched');
SELECT * FROM finish();
ROLLBACK;
