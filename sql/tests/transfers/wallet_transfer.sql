-- wallet_transfer: user -> user under each policy; lots carried with class and expiry;
-- the fee after the amount; debt repaid by a transfer in; every refusal's SQLSTATE in
-- the contract's order; replays answer the first call, even after the policy changed.
BEGIN;
SELECT plan(37);

SELECT wallet_open_account('d3000000-0000-4000-8000-000000000001', 'Sender');
SELECT wallet_open_account('d3000000-0000-4000-8000-000000000002', 'Recipient');
SELECT wallet_open_account('d3000000-0000-4000-8000-000000000003', 'Debtor');
CREATE TEMP TABLE acct AS
    SELECT user_id, account_id FROM wallet.accounts WHERE user_id::text LIKE 'd3000000-%';
SELECT wallet_set_transfer_policy(1, 'all');
SELECT wallet_set_spend_order(1, 'free_first');
-- the sender: 40 free expiring in a day, 30 free never, 100 paid
SELECT * FROM wallet_bonus('d3000000-0000-4000-8000-000000000001', 1, 40, 'b1', '{}', now() + interval '1 day');
SELECT * FROM wallet_bonus('d3000000-0000-4000-8000-000000000001', 1, 30, 'b2');
SELECT * FROM wallet_topup('d3000000-0000-4000-8000-000000000001', 1, 100, 'p1');

CREATE TEMP TABLE t1 AS
    SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001', 'd3000000-0000-4000-8000-000000000002',
                                  1, 50, 'gift-1', 5, '{"note": "happy birthday"}');
SELECT results_eq($$SELECT balance, replayed, paid_amount, free_amount, to_balance FROM t1$$,
                  $$VALUES (115::bigint, false, 0::bigint, 50::bigint, 50::bigint)$$,
                  'the sender pays amount and fee (170 - 55), the split is of the amount, the recipient has 50');
SELECT results_eq(
    $$SELECT kind, amount, balance_after, debit_account_id = account_id, idempotency_key, original_entry_id IS NULL
      FROM wallet.ledger_entries
      WHERE account_id = (SELECT account_id FROM acct WHERE user_id = 'd3000000-0000-4000-8000-000000000001')
        AND entry_id >= (SELECT entry_id FROM t1) ORDER BY entry_id$$,
    $$VALUES ('transfer_out', 50::bigint, 120::bigint, true, 'gift-1', true),
             ('fee', 5::bigint, 115::bigint, true, NULL, false)$$,
    'the sender has a transfer_out with its key, then the fee without one');
SELECT is((SELECT credit_account_id FROM wallet.ledger_entries WHERE entry_id = (SELECT entry_id FROM t1)),
          (SELECT account_id FROM acct WHERE user_id = 'd3000000-0000-4000-8000-000000000002'),
          'the transfer_out credits the recipient');
SELECT results_eq(
    $$SELECT kind, amount, debit_account_id, original_entry_id, idempotency_key, metadata
      FROM wallet.ledger_entries WHERE entry_id = (SELECT to_entry_id FROM t1)$$,
    $$SELECT 'transfer_in', 50::bigint, (SELECT account_id FROM acct WHERE user_id = 'd3000000-0000-4000-8000-000000000001'),
             (SELECT entry_id FROM t1), NULL::text, '{"note": "happy birthday"}'::jsonb$$,
    'the transfer_in debits the sender, names the transfer_out, and claims no key of the recipient');
SELECT results_eq(
    $$SELECT class, amount, remaining, expires_at IS NOT NULL FROM wallet.lots
      WHERE entry_id = (SELECT to_entry_id FROM t1) ORDER BY lot_id$$,
    $$VALUES ('free', 40::bigint, 40::bigint, true), ('free', 10::bigint, 10::bigint, false)$$,
    'the recipient gets one lot per lot taken, of its class and expiry, in spend order');
SELECT is((SELECT expires_at FROM wallet.lots WHERE entry_id = (SELECT to_entry_id FROM t1) ORDER BY lot_id LIMIT 1),
          (SELECT l.expires_at FROM wallet.lots l
           JOIN wallet.ledger_entries e ON e.account_id = l.account_id AND e.entry_id = l.entry_id
           WHERE e.idempotency_key = 'b1'),
          'the promotion still ends on its day in the recipient''s wallet');
SELECT results_eq(
    $$SELECT lot_amounts FROM wallet.ledger_entries WHERE entry_id > (SELECT entry_id FROM t1)
        AND kind = 'fee' AND original_entry_id = (SELECT entry_id FROM t1)$$,
    $$VALUES (ARRAY[5::bigint])$$, 'the fee is taken after the amount, from the next credit in order');
SELECT results_eq(
    $$SELECT balance, paid, free FROM wallet_balance('d3000000-0000-4000-8000-000000000002') WHERE asset_type_id = 1$$,
    $$VALUES (50::bigint, 0::bigint, 50::bigint)$$, 'the recipient''s wallet: free credit stays free');

SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT results_eq(
    $$SELECT user_id, type, amount, balance, free FROM wallet_events(0)
      WHERE entry_id IN ((SELECT entry_id FROM t1), (SELECT to_entry_id FROM t1))
         OR type = 'entry.fee' AND user_id = 'd3000000-0000-4000-8000-000000000001' ORDER BY event_id$$,
    $$VALUES ('d3000000-0000-4000-8000-000000000001'::uuid, 'entry.transfer_out', -50::bigint, 120::bigint, 20::bigint),
             ('d3000000-0000-4000-8000-000000000001'::uuid, 'entry.fee', -5::bigint, 115::bigint, 15::bigint),
             ('d3000000-0000-4000-8000-000000000002'::uuid, 'entry.transfer_in', 50::bigint, 50::bigint, 50::bigint)$$,
    'events: transfer_out and fee on the sender, transfer_in on the recipient, each with its wallet after it');

-- replays
SELECT results_eq(
    $$SELECT entry_id, balance, replayed, to_entry_id, to_balance
      FROM wallet_transfer('d3000000-0000-4000-8000-000000000001', 'd3000000-0000-4000-8000-000000000002', 1, 50,
                           'gift-1', 5)$$,
    $$SELECT entry_id, 115::bigint, true, to_entry_id, 50::bigint FROM t1$$, 'a replay answers the first call');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000003', 1, 50, 'gift-1', 5)$$,
                 'WA005', NULL, 'the same key to another recipient: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 1, 50, 'gift-1', 6)$$,
                 'WA005', NULL, 'the same key with another fee: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 1, 50, 'p1')$$,
                 'WA005', NULL, 'a top-up''s key: idempotency_key_reused');
SELECT wallet_set_transfer_policy(1, 'none');
SELECT results_eq(
    $$SELECT replayed FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                                           'd3000000-0000-4000-8000-000000000002', 1, 50, 'gift-1', 5)$$,
    $$VALUES (true)$$, 'a replay answers the first call after the policy changed to none');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 1, 1, 'gift-2')$$,
                 'WA014', NULL, 'policy none: operation_not_allowed');

-- free_only: paid credit stays where it is
SELECT wallet_set_transfer_policy(1, 'free_only');
SELECT results_eq(
    $$SELECT paid_amount, free_amount, balance
      FROM wallet_transfer('d3000000-0000-4000-8000-000000000001', 'd3000000-0000-4000-8000-000000000002', 1, 15,
                           'gift-3')$$,
    $$VALUES (0::bigint, 15::bigint, 100::bigint)$$, 'free_only moves the last free credit');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 1, 1, 'gift-4')$$,
                 'WA006', NULL, 'free_only with only paid credit left: insufficient_funds, not operation_not_allowed');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key = 'gift-4'), 0,
          'a refused transfer writes nothing');
SELECT wallet_set_transfer_policy(1, 'all');
CREATE TEMP TABLE outstanding_before AS SELECT paid, free FROM wallet_outstanding() WHERE asset_type_id = 1;
CREATE TEMP TABLE t5 AS
    SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001', 'd3000000-0000-4000-8000-000000000002',
                                  1, 30, 'gift-5');
SELECT set_eq($$SELECT class FROM wallet.lots WHERE entry_id = (SELECT to_entry_id FROM t5)$$,
              $$VALUES ('paid')$$, 'policy all: paid credit moves, and stays paid for the recipient');
SELECT results_eq($$SELECT paid, free FROM wallet_outstanding() WHERE asset_type_id = 1$$,
                  $$SELECT paid, free FROM outstanding_before$$,
                  'paid credit moved to another user is still outstanding paid credit, counted once');
SELECT results_eq(
    $$SELECT kind, amount, paid_amount FROM wallet_history('d3000000-0000-4000-8000-000000000002', 1) LIMIT 1$$,
    $$VALUES ('transfer_in', 30::bigint, 30::bigint)$$, 'the recipient''s history shows the transfer in, paid');
SELECT results_eq(
    $$SELECT balance, paid FROM wallet_balance_at('d3000000-0000-4000-8000-000000000002', clock_timestamp())
      WHERE asset_type_id = 1$$,
    $$SELECT balance, paid FROM wallet_balance('d3000000-0000-4000-8000-000000000002') WHERE asset_type_id = 1$$,
    'wallet_balance_at rebuilds the recipient''s carried lots from the ledger');

-- debt: a transfer in repays it first, like a top-up
SELECT * FROM wallet_topup('d3000000-0000-4000-8000-000000000003', 1, 20, 'd-pay');
SELECT * FROM wallet_spend('d3000000-0000-4000-8000-000000000003', 1, 20, 'd-spend');
SELECT * FROM wallet_refund('d3000000-0000-4000-8000-000000000003', 'd-pay', 20, 'd-refund', 'debt');
SELECT results_eq(
    $$SELECT to_balance FROM wallet_transfer('d3000000-0000-4000-8000-000000000002',
                                             'd3000000-0000-4000-8000-000000000003', 1, 25, 'gift-6')$$,
    $$VALUES (5::bigint)$$, 'a transfer in repays the recipient''s debt first');
SELECT results_eq(
    $$SELECT to_balance, replayed FROM wallet_transfer('d3000000-0000-4000-8000-000000000002',
                                                       'd3000000-0000-4000-8000-000000000003', 1, 25, 'gift-6')$$,
    $$VALUES (5::bigint, true)$$, 'its replay answers the balance after the repayment');

-- refusals, in the contract's order
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000001', 1, 0, 'x', -1)$$,
                 'WA002', NULL, 'the same user on both sides comes first: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 1, 0, 'x')$$, 'WA001', NULL, 'amount 0: invalid_amount');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 1, 5, 'x', -1)$$, 'WA001', NULL, 'a negative fee: invalid_amount');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 1, 9007199254740991, 'x', 1)$$,
                 'WA001', NULL, 'amount plus fee above 2^53-1: invalid_amount');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-0000000000ff', 1, 5, 'x')$$, 'WA003', NULL,
                 'a recipient without an account: account_not_found');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-0000000000ff',
                   'd3000000-0000-4000-8000-000000000002', 1, 5, 'x')$$, 'WA003', NULL,
                 'a sender without an account: account_not_found');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 99, 5, 'x')$$, 'WA004', NULL, 'an unknown asset: asset_not_found');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 1, 1000, 'x')$$, 'WA006', NULL,
                 'more than is available: insufficient_funds');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                   'd3000000-0000-4000-8000-000000000002', 1, 5, 'two words')$$, 'WA002', NULL,
                 'a malformed key: invalid_request');

SELECT is((SELECT count(*)::int FROM wallet_verify()), 0, 'wallet_verify() is clean: lots carried, pairs whole, sums kept');

-- previews
SELECT results_eq(
    $$SELECT entry_id IS NULL, to_entry_id IS NULL, replayed
      FROM wallet_transfer('d3000000-0000-4000-8000-000000000002', 'd3000000-0000-4000-8000-000000000001', 1, 5,
                           'preview-t', 1, '{}', true)$$,
    $$VALUES (true, true, false)$$, 'a dry run answers without the ids the entries would get');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key = 'preview-t'), 0,
          'and writes nothing');
SELECT results_eq(
    $$SELECT entry_id, replayed FROM wallet_transfer('d3000000-0000-4000-8000-000000000001',
                                                     'd3000000-0000-4000-8000-000000000002', 1, 50, 'gift-1', 5, '{}', true)$$,
    $$SELECT entry_id, true FROM t1$$, 'a dry run with a used key answers the replay');
SELECT * FROM finish();
ROLLBACK;
