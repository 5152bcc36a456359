-- wallet.release_due_holds: a write's opening when holds are past expires_at. It notes
-- the account's newest entry before it, releases the wallet's expired holds (only that
-- wallet's) and answers the wallet row as they left it.
BEGIN;
SELECT plan(5);
SELECT wallet_open_account('b3100000-0000-4000-8000-000000000001', 'Due holds');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'b3100000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('b3100000-0000-4000-8000-000000000001', 1, 100, 'p');
SELECT * FROM wallet_topup('b3100000-0000-4000-8000-000000000001', 2, 50, 'q');
SELECT * FROM wallet_hold('b3100000-0000-4000-8000-000000000001', 1, 10, 'h1');
SELECT * FROM wallet_hold('b3100000-0000-4000-8000-000000000001', 1, 30, 'h2', '1 hour');
SELECT * FROM wallet_hold('b3100000-0000-4000-8000-000000000001', 2, 5, 'h3');
UPDATE wallet.holds SET expires_at = now() - interval '1 minute' WHERE idempotency_key IN ('h1', 'h3');

CREATE TEMP TABLE opened AS
SELECT o.since, o.released, (o.wallet).held, (o.wallet).balance, (o.wallet).asset_type_id
FROM wallet.release_due_holds((SELECT account_id FROM acct), 1, now()) o;

SELECT is((SELECT since FROM opened),
          (SELECT max(entry_id) FROM wallet.ledger_entries WHERE account_id = (SELECT account_id FROM acct)),
          'it notes the newest entry before it');
SELECT is((SELECT released FROM opened),
          (SELECT ARRAY[hold_id] FROM wallet.holds WHERE idempotency_key = 'h1'), 'it releases the expired hold of that wallet');
SELECT results_eq($$SELECT asset_type_id, balance, held FROM opened$$, $$VALUES (1, 100::bigint, 30::bigint)$$,
                  'it answers the wallet as the release left it: only the open hold is held');
SELECT is((SELECT state FROM wallet.holds WHERE idempotency_key = 'h3'), 'open',
          'another asset''s expired hold waits for that wallet''s own write or the sweep');
SELECT is((SELECT o.since FROM wallet.release_due_holds((SELECT account_id FROM acct), 1, now()) o),
          (SELECT since FROM opened), 'nothing due: nothing released, the same newest entry');
SELECT * FROM finish();
ROLLBACK;
