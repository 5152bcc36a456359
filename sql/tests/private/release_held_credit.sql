-- wallet.release_held_credit: the hold's amount leaves held; reserved credit goes back
-- into lots that have not expired (and the wallet's next_expiry follows them); into an
-- expired lot it expires at once, as an expire entry naming the hold.
BEGIN;
SELECT plan(5);
SELECT wallet_open_account('b2000000-0000-4000-8000-000000000001', 'Release');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'b2000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('b2000000-0000-4000-8000-000000000001', 1, 100, 'p', '{}', now() + interval '1 day');
SELECT * FROM wallet_bonus('b2000000-0000-4000-8000-000000000001', 1, 30, 'f', '{}', now() + interval '1 hour');
CREATE TEMP TABLE h AS SELECT * FROM wallet_hold('b2000000-0000-4000-8000-000000000001', 1, 50, 'h');  -- 30 free, 20 paid
-- the free lot expires meanwhile; the wallet's next_expiry was moved on by a sweep
UPDATE wallet.lots SET expires_at = now() - interval '1 minute'
WHERE account_id = (SELECT account_id FROM acct) AND class = 'free';
UPDATE wallet.wallets SET next_expiry = NULL WHERE account_id = (SELECT account_id FROM acct);

SELECT is(wallet.release_held_credit((SELECT account_id FROM acct), 1, (SELECT hold_id FROM h), 50,
                                     (SELECT lot_ids FROM wallet.holds WHERE hold_id = (SELECT hold_id FROM h)),
                                     ARRAY[30, 20]::bigint[], now()),
          30::bigint, 'answers what expired');
SELECT results_eq($$SELECT class, remaining FROM wallet.lots WHERE account_id = (SELECT account_id FROM acct) ORDER BY class$$,
                  $$VALUES ('free', 0::bigint), ('paid', 100::bigint)$$, 'the paid 20 is back in its lot, not the expired 30');
SELECT results_eq($$SELECT kind, amount, free_amount, balance_after, metadata ->> 'hold_id' = (SELECT hold_id::text FROM h)
                    FROM wallet.ledger_entries WHERE account_id = (SELECT account_id FROM acct) ORDER BY entry_id DESC LIMIT 1$$,
                  $$VALUES ('expire', 30::bigint, 30::bigint, 100::bigint, true)$$, 'the expired 30 is an expire entry naming the hold');
SELECT is((SELECT held FROM wallet.wallets WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1),
          0::bigint, 'the hold no longer counts as held');
SELECT is((SELECT next_expiry FROM wallet.wallets WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1),
          (SELECT expires_at FROM wallet.lots WHERE account_id = (SELECT account_id FROM acct) AND class = 'paid'),
          'the wallet''s next expiry is no later than the lot given credit again');
SELECT * FROM finish();
ROLLBACK;
