-- wallet.lot_credit_at: each lot's credit at a moment, from the ledger: its amount less
-- what entries took, plus what reversals gave back; an expired lot only what open holds
-- reserved from it.
BEGIN;
SELECT plan(4);

SELECT wallet_open_account('e4000000-0000-4000-8000-000000000002', 'Lots then');
SELECT wallet.user_account_id('e4000000-0000-4000-8000-000000000002') AS account \gset
SELECT * FROM wallet_topup('e4000000-0000-4000-8000-000000000002', 1, 50, 'lc-1');
SELECT * FROM wallet_bonus('e4000000-0000-4000-8000-000000000002', 1, 20, 'lc-2', '{}', now() + interval '1 hour');
SELECT * FROM wallet_spend('e4000000-0000-4000-8000-000000000002', 1, 25, 'lc-3');  -- 20 free, 5 paid
SELECT * FROM wallet_reverse_spend('e4000000-0000-4000-8000-000000000002', 'lc-3', 8, 'lc-4');  -- 5 paid, 3 free back

SELECT results_eq(format('SELECT class, credit FROM wallet.lot_credit_at(now()) WHERE account_id = %s ORDER BY lot_id', :account),
                  $$VALUES ('paid', 50::bigint), ('free', 3::bigint)$$, 'takes and gives back, per lot');
SELECT results_eq(format('SELECT class, credit FROM wallet.lot_credit_at(now() + interval ''2 hours'') WHERE account_id = %s ORDER BY lot_id', :account),
                  $$VALUES ('paid', 50::bigint), ('free', 0::bigint)$$, 'an expired lot counts nothing');
SELECT * FROM wallet_hold('e4000000-0000-4000-8000-000000000002', 1, 4, 'lc-5', '3 hours');  -- 3 free, 1 paid
SELECT results_eq(format('SELECT class, credit FROM wallet.lot_credit_at(now() + interval ''2 hours'') WHERE account_id = %s ORDER BY lot_id', :account),
                  $$VALUES ('paid', 50::bigint), ('free', 3::bigint)$$, 'but what an open hold reserves from it');
SELECT is((SELECT count(*)::int FROM wallet.lot_credit_at(now() - interval '1 microsecond') WHERE account_id = :account),
          0, 'no lot before its credit');

SELECT * FROM finish();
ROLLBACK;
