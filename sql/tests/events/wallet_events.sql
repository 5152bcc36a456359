-- wallet_events: every change writes its events in the same transaction, one per entry
-- and one per hold opened, captured, voided or expired, with the wallet as the call left
-- it; positions are given by the placer (wallet.place_events, here in the test's own
-- transaction, then counted as committed), in the order the events were written;
-- p_after and p_limit page through them; a replay writes none; bad arguments are
-- invalid_request.
BEGIN;
SELECT plan(12);

SELECT wallet_open_account('e0000000-0000-4000-8000-000000000001', 'Events');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'e0000000-0000-4000-8000-000000000001';
CREATE TEMP TABLE mark AS SELECT coalesce(max(event_id), 0) AS after FROM wallet.event_feed;
SELECT * FROM wallet_topup('e0000000-0000-4000-8000-000000000001', 1, 100, 'pay-1', '{"order": 7}');
SELECT * FROM wallet_topup('e0000000-0000-4000-8000-000000000001', 1, 100, 'pay-1', '{"order": 7}');  -- a replay
SELECT * FROM wallet_spend('e0000000-0000-4000-8000-000000000001', 1, 30, 'buy-1');
CREATE TEMP TABLE h AS SELECT * FROM wallet_hold('e0000000-0000-4000-8000-000000000001', 1, 20, 'hold-1');
SELECT * FROM wallet_capture('e0000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h), 'cap-1', 15);
CREATE TEMP TABLE h2 AS SELECT * FROM wallet_hold('e0000000-0000-4000-8000-000000000001', 1, 5, 'hold-2');
SELECT * FROM wallet_void('e0000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h2));
SELECT * FROM wallet_refund('e0000000-0000-4000-8000-000000000001', 'pay-1', 60, 'refund-1', 'debt');
SELECT * FROM wallet_bonus('e0000000-0000-4000-8000-000000000001', 1, 40, 'gift-1');

SELECT is((SELECT count(*)::int FROM wallet.event_feed f JOIN acct USING (account_id)), 0,
          'no event has a feed position before its transaction commits');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction

SELECT results_eq($$SELECT type, amount, balance, available, held, idempotency_key FROM wallet_events((SELECT after FROM mark))
                    WHERE user_id = 'e0000000-0000-4000-8000-000000000001'$$,
                  $$VALUES ('entry.topup', 100::bigint, 100::bigint, 100::bigint, 0::bigint, 'pay-1'),
                           ('entry.spend', -30::bigint, 70::bigint, 70::bigint, 0::bigint, 'buy-1'),
                           ('hold.opened', 20::bigint, 70::bigint, 50::bigint, 20::bigint, 'hold-1'),
                           ('entry.spend', -15::bigint, 55::bigint, 55::bigint, 0::bigint, 'cap-1'),
                           ('hold.captured', 15::bigint, 55::bigint, 55::bigint, 0::bigint, 'hold-1'),
                           ('hold.opened', 5::bigint, 55::bigint, 50::bigint, 5::bigint, 'hold-2'),
                           ('hold.voided', 5::bigint, 55::bigint, 55::bigint, 0::bigint, 'hold-2'),
                           ('entry.refund', -55::bigint, 0::bigint, 0::bigint, 0::bigint, 'refund-1'),
                           ('entry.bonus', 40::bigint, 35::bigint, 35::bigint, 0::bigint, 'gift-1'),
                           ('entry.debt_repayment', -5::bigint, 35::bigint, 35::bigint, 0::bigint, NULL)$$,
                  'one event per entry and per hold change, in the order made, each with the wallet as its call left it; none for the replay');
SELECT results_eq($$SELECT e.entry_id = c.entry_id, e.hold_id = (SELECT hold_id FROM h)
                    FROM wallet_events((SELECT after FROM mark)) e
                    JOIN wallet.ledger_entries c ON c.idempotency_key = 'cap-1' AND c.account_id = (SELECT account_id FROM acct)
                    WHERE e.type = 'hold.captured' AND e.user_id = 'e0000000-0000-4000-8000-000000000001'$$,
                  $$VALUES (true, true)$$, 'hold.captured names its hold and its capture''s entry');
SELECT results_eq($$SELECT metadata FROM wallet_events((SELECT after FROM mark), 1)$$,
                  $$VALUES ('{"order": 7}'::jsonb)$$, 'an event carries its entry''s metadata; p_limit pages');
SELECT is((SELECT count(*)::int FROM wallet_events((SELECT after FROM mark))
           WHERE event_id <= (SELECT min(event_id) + 2 FROM wallet_events((SELECT after FROM mark)))), 3,
          'positions count up with no gap within a transaction');
SELECT is((SELECT count(*)::int FROM wallet_events((SELECT max(event_id) FROM wallet.event_feed))), 0,
          'nothing after the last position');

-- expiry: a hold past its expires_at, released by a spend on the same wallet
CREATE TEMP TABLE h3 AS SELECT * FROM wallet_hold('e0000000-0000-4000-8000-000000000001', 1, 10, 'hold-3');
UPDATE wallet.holds SET expires_at = now() - interval '1 second' WHERE hold_id = (SELECT hold_id FROM h3);
UPDATE wallet.wallets SET next_hold_expiry = now() - interval '1 second' WHERE account_id = (SELECT account_id FROM acct);
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
CREATE TEMP TABLE mark2 AS SELECT max(event_id) AS after FROM wallet.event_feed;
SELECT * FROM wallet_spend('e0000000-0000-4000-8000-000000000001', 1, 35, 'buy-2');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT results_eq($$SELECT type, amount, balance, held FROM wallet_events((SELECT after FROM mark2))$$,
                  $$VALUES ('entry.spend', -35::bigint, 0::bigint, 0::bigint),
                           ('hold.expired', 10::bigint, 0::bigint, 0::bigint)$$,
                  'a spend that released an expired hold writes hold.expired beside its entry');

SELECT throws_ok('SELECT * FROM wallet_events(0, 0)', 'WA002', NULL, 'limit 0: invalid_request');
SELECT throws_ok('SELECT * FROM wallet_events(0, 1001)', 'WA002', NULL, 'limit over 1000');
SELECT throws_ok('SELECT * FROM wallet_events(-1)', 'WA002', NULL, 'a negative position');
SELECT throws_ok($$UPDATE wallet.events SET amount = 0 WHERE account_id = (SELECT account_id FROM acct)$$,
                 'WA900', NULL, 'events never change');
SELECT throws_ok($$DELETE FROM wallet.event_feed$$, 'WA900', NULL, 'nor do their positions');

SELECT * FROM finish();
ROLLBACK;
