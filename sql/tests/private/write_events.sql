-- wallet.write_events: the events of a call: its entries after the given id, in entry
-- order, then hold.expired per released hold, then the call's own hold event, each with
-- the wallet as the call left it.
BEGIN;
SELECT plan(2);
SELECT wallet_open_account('b8000000-0000-4000-8000-000000000001', 'Write events');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'b8000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('b8000000-0000-4000-8000-000000000001', 1, 100, 'p');
CREATE TEMP TABLE h AS SELECT hold_id FROM wallet_hold('b8000000-0000-4000-8000-000000000001', 1, 10, 'h1')
    UNION ALL SELECT hold_id FROM wallet_hold('b8000000-0000-4000-8000-000000000001', 1, 20, 'h2');
CREATE TEMP TABLE mark AS SELECT coalesce(max(seq), 0) AS seq FROM wallet.events;

SELECT wallet.write_events((SELECT account_id FROM acct), 1, 0, ARRAY[(SELECT min(hold_id) FROM h)], (SELECT max(hold_id) FROM h), 'opened');
SELECT results_eq($$SELECT type, amount, balance, held, available FROM wallet.events
                    WHERE account_id = (SELECT account_id FROM acct) AND seq > (SELECT seq FROM mark) ORDER BY seq$$,
                  $$VALUES ('entry.topup', 100::bigint, 100::bigint, 30::bigint, 70::bigint),
                           ('hold.expired', 10::bigint, 100::bigint, 30::bigint, 70::bigint),
                           ('hold.opened', 20::bigint, 100::bigint, 30::bigint, 70::bigint)$$,
                  'entries, then the expired holds, then the call''s own hold, each with the wallet now');
SELECT wallet.write_events((SELECT account_id FROM acct), 1, (SELECT max(entry_id) FROM wallet.ledger_entries));
SELECT is((SELECT count(*)::int FROM wallet.events WHERE account_id = (SELECT account_id FROM acct) AND seq > (SELECT seq FROM mark)),
          3, 'nothing when the call made no entry and changed no hold');
SELECT * FROM finish();
ROLLBACK;
