-- wallet_spend over lots: free first by default and paid first when the asset says so;
-- within a class expiring lots soonest first, then the rest oldest first; a spend
-- spanning several lots records each take; a lot stops counting at exactly its
-- expires_at; a replay answers the first call's split. Time passing is played by
-- moving expires_at into the past as the owner (now() is fixed inside this test).
BEGIN;
SELECT plan(16);

SELECT wallet_open_account('d0000000-0000-4000-8000-000000000001', 'Lots');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'd0000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('d0000000-0000-4000-8000-000000000001', 1, 100, 'paid-old');
SELECT * FROM wallet_bonus('d0000000-0000-4000-8000-000000000001', 1, 30, 'free-never');
SELECT * FROM wallet_bonus('d0000000-0000-4000-8000-000000000001', 1, 20, 'free-late', '{}', now() + interval '2 days');
SELECT * FROM wallet_bonus('d0000000-0000-4000-8000-000000000001', 1, 10, 'free-soon', '{}', now() + interval '1 day');
SELECT * FROM wallet_topup('d0000000-0000-4000-8000-000000000001', 1, 50, 'paid-soon', '{}', now() + interval '1 hour');

CREATE TEMP TABLE first_spend AS
    SELECT * FROM wallet_spend('d0000000-0000-4000-8000-000000000001', 1, 35, 'buy-1');
SELECT results_eq($$SELECT balance, paid_amount, free_amount FROM first_spend$$,
                  $$VALUES (175::bigint, 0::bigint, 35::bigint)$$, 'free first: 35 of free credit');
SELECT results_eq($$SELECT x.idempotency_key, a.amount
                    FROM wallet.ledger_entries e
                    CROSS JOIN LATERAL unnest(e.lot_ids, e.lot_amounts) WITH ORDINALITY AS a (lot_id, amount, seq)
                    JOIN wallet.lots l ON l.account_id = e.account_id AND l.lot_id = a.lot_id
                    JOIN wallet.ledger_entries x ON x.account_id = l.account_id AND x.entry_id = l.entry_id
                    WHERE e.entry_id = (SELECT entry_id FROM first_spend) ORDER BY a.seq$$,
                  $$VALUES ('free-soon', 10::bigint), ('free-late', 20::bigint), ('free-never', 5::bigint)$$,
                  'soonest expiry first, then later, then the never-expiring lot');
SELECT results_eq($$SELECT paid_amount, free_amount FROM wallet_spend('d0000000-0000-4000-8000-000000000001', 1, 60, 'buy-2')$$,
                  $$VALUES (35::bigint, 25::bigint)$$, 'a spend spanning the classes: the rest of free, then paid');
SELECT results_eq($$SELECT x.idempotency_key, a.amount
                    FROM wallet.ledger_entries e
                    CROSS JOIN LATERAL unnest(e.lot_ids, e.lot_amounts) WITH ORDINALITY AS a (lot_id, amount, seq)
                    JOIN wallet.lots l ON l.account_id = e.account_id AND l.lot_id = a.lot_id
                    JOIN wallet.ledger_entries x ON x.account_id = l.account_id AND x.entry_id = l.entry_id
                    WHERE e.idempotency_key = 'buy-2' ORDER BY a.seq$$,
                  $$VALUES ('free-never', 25::bigint), ('paid-soon', 35::bigint)$$,
                  'within paid credit the expiring lot goes before the older one');
SELECT results_eq($$SELECT entry_id, balance, replayed, paid_amount, free_amount
                    FROM wallet_spend('d0000000-0000-4000-8000-000000000001', 1, 35, 'buy-1')$$,
                  $$SELECT entry_id, 175::bigint, true, 0::bigint, 35::bigint FROM first_spend$$,
                  'a replay answers the first call''s split and balance');

-- paid first, set by the owner
SELECT wallet_set_spend_order(1, 'paid_first');
SELECT * FROM wallet_bonus('d0000000-0000-4000-8000-000000000001', 1, 40, 'free-2');
SELECT results_eq($$SELECT paid_amount, free_amount FROM wallet_spend('d0000000-0000-4000-8000-000000000001', 1, 20, 'buy-3')$$,
                  $$VALUES (20::bigint, 0::bigint)$$, 'paid first: paid credit goes before free');
SELECT results_eq($$SELECT balance, paid, free FROM wallet_balance('d0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (135::bigint, 95::bigint, 40::bigint)$$, 'the balance splits what is left');

-- expiry at exactly expires_at, before any sweep
SELECT * FROM wallet_topup('d0000000-0000-4000-8000-000000000001', 1, 5, 'paid-exp', '{}', now() + interval '1 day');
UPDATE wallet.lots SET expires_at = now()
WHERE account_id = (SELECT account_id FROM acct) AND entry_id = (SELECT entry_id FROM wallet.ledger_entries WHERE idempotency_key = 'paid-exp');
UPDATE wallet.wallets SET next_expiry = now() WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1;
SELECT results_eq($$SELECT balance, paid, free FROM wallet_balance('d0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (135::bigint, 95::bigint, 40::bigint)$$, 'from its expires_at on, a lot''s remainder is not counted');
SELECT throws_ok($$SELECT * FROM wallet_spend('d0000000-0000-4000-8000-000000000001', 1, 136, 'buy-4')$$,
                 'WA006', NULL, 'nor spent');
SELECT results_eq($$SELECT balance, paid_amount, free_amount FROM wallet_spend('d0000000-0000-4000-8000-000000000001', 1, 135, 'buy-5')$$,
                  $$VALUES (0::bigint, 95::bigint, 40::bigint)$$, 'everything else is, the expired lot untouched');
SELECT is((SELECT remaining FROM wallet.lots WHERE account_id = (SELECT account_id FROM acct)
           AND entry_id = (SELECT entry_id FROM wallet.ledger_entries WHERE idempotency_key = 'paid-exp')), 5::bigint,
          'the expired remainder waits in its lot for wallet_expire()');
SELECT is_empty('SELECT * FROM wallet_verify()', 'the ledger and the lots agree, expired remainder included');

-- the first class in order holds only expired credit (paid first now): the spend
-- passes over it to the other class
SELECT * FROM wallet_topup('d0000000-0000-4000-8000-000000000001', 1, 7, 'paid-exp-2', '{}', now() + interval '1 day');
SELECT * FROM wallet_bonus('d0000000-0000-4000-8000-000000000001', 1, 9, 'free-9');
UPDATE wallet.lots SET expires_at = now()
WHERE account_id = (SELECT account_id FROM acct) AND entry_id = (SELECT entry_id FROM wallet.ledger_entries WHERE idempotency_key = 'paid-exp-2');
UPDATE wallet.wallets SET next_expiry = now() WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1;
SELECT results_eq($$SELECT balance, paid_amount, free_amount FROM wallet_spend('d0000000-0000-4000-8000-000000000001', 1, 4, 'buy-6')$$,
                  $$VALUES (5::bigint, 0::bigint, 4::bigint)$$, 'expired paid credit is passed over for free credit');
SELECT is_empty('SELECT * FROM wallet_verify()', 'and the lots still agree');

SELECT throws_ok($$SELECT * FROM wallet_topup('d0000000-0000-4000-8000-000000000001', 1, 5, 'past', '{}', now())$$,
                 'WA002', NULL, 'a credit that expires now or earlier: invalid_request');
SELECT throws_ok($$SELECT wallet_set_spend_order(1, 'newest_first')$$, 'WA002', NULL, 'an unknown spend order: invalid_request');

SELECT * FROM finish();
ROLLBACK;
