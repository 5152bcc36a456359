-- wallet_set_account_status: active, frozen, closed in any direction with a reason, who
-- and when kept, the previous status answered, an account.status_changed event; and
-- what each status lets every writer do (frozen: nothing leaves by the user's action,
-- credits, refunds, voids still land; closed: only refunds and voids), a replay of an
-- old key answering whatever the status.
BEGIN;
SELECT plan(31);
SELECT wallet_open_account('d6000000-0000-4000-8000-000000000001', 'Controlled');
SELECT wallet_open_account('d6000000-0000-4000-8000-000000000002', 'Other');
SELECT wallet_set_transfer_policy(1, 'all');
SELECT wallet_set_exchange_rate(1, 2, 1, 1);
SELECT * FROM wallet_topup('d6000000-0000-4000-8000-000000000001', 1, 100, 'pay-1');
SELECT * FROM wallet_topup('d6000000-0000-4000-8000-000000000002', 1, 100, 'pay-2');
CREATE TEMP TABLE spent AS SELECT * FROM wallet_spend('d6000000-0000-4000-8000-000000000001', 1, 10, 'buy-1');
CREATE TEMP TABLE held AS SELECT * FROM wallet_hold('d6000000-0000-4000-8000-000000000001', 1, 5, 'hold-1');
CREATE TEMP TABLE held2 AS SELECT * FROM wallet_hold('d6000000-0000-4000-8000-000000000001', 1, 5, 'hold-2');

SELECT is(wallet_set_account_status('d6000000-0000-4000-8000-000000000001', 'frozen', 'chargeback wave'), 'active',
          'it answers the previous status');
SELECT results_eq($$SELECT status, status_reason, status_changed_at IS NOT NULL, status_changed_by = session_user
                    FROM wallet.accounts WHERE user_id = 'd6000000-0000-4000-8000-000000000001'$$,
                  $$VALUES ('frozen', 'chargeback wave', true, true)$$, 'the reason, who and when are kept');
SELECT is((SELECT count(*)::int FROM wallet.wallets w JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = 'd6000000-0000-4000-8000-000000000001' AND w.account_status <> 'frozen'), 0,
          'every wallet of the account carries the status');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT results_eq($$SELECT type, asset_type_id, balance, metadata FROM wallet_events(0)
                    WHERE user_id = 'd6000000-0000-4000-8000-000000000001' AND type LIKE 'account.%'$$,
                  $$VALUES ('account.status_changed', NULL::integer, NULL::bigint,
                            '{"status": "frozen", "previous_status": "active", "reason": "chargeback wave"}'::jsonb)$$,
                  'an account.status_changed event on no asset');

-- frozen: nothing leaves by the user's action
SELECT throws_ok($$SELECT * FROM wallet_spend('d6000000-0000-4000-8000-000000000001', 1, 1, 'f-1')$$, 'WA011', NULL,
                 'frozen: a spend is account_not_active');
SELECT throws_ok($$SELECT * FROM wallet_hold('d6000000-0000-4000-8000-000000000001', 1, 1, 'f-2')$$, 'WA011', NULL,
                 'frozen: a hold');
SELECT throws_ok(format($$SELECT * FROM wallet_capture('d6000000-0000-4000-8000-000000000001', %s, 'f-3')$$,
                        (SELECT hold_id FROM held)), 'WA011', NULL, 'frozen: a capture');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d6000000-0000-4000-8000-000000000001',
                   'd6000000-0000-4000-8000-000000000002', 1, 1, 'f-4')$$, 'WA011', NULL, 'frozen: a transfer out');
SELECT throws_ok($$SELECT * FROM wallet_exchange('d6000000-0000-4000-8000-000000000001', 1, 2, 1, 'f-5')$$, 'WA011', NULL,
                 'frozen: an exchange');
SELECT throws_ok($$SELECT * FROM wallet_spend('d6000000-0000-4000-8000-000000000001', 1, 1, 'f-1', '{}', true)$$,
                 'WA011', NULL, 'frozen: a spend''s preview answers the same refusal');
SELECT is((SELECT replayed FROM wallet_spend('d6000000-0000-4000-8000-000000000001', 1, 10, 'buy-1')), true,
          'a replay of an old key still answers its first answer');
-- frozen: credits, refunds and voids still land
SELECT is((SELECT replayed FROM wallet_topup('d6000000-0000-4000-8000-000000000001', 1, 5, 'pay-3')), false,
          'frozen: a top-up lands');
SELECT is((SELECT replayed FROM wallet_bonus('d6000000-0000-4000-8000-000000000001', 1, 5, 'bonus-1')), false,
          'frozen: a bonus lands');
SELECT is((SELECT replayed FROM wallet_transfer('d6000000-0000-4000-8000-000000000002',
                                                'd6000000-0000-4000-8000-000000000001', 1, 5, 't-in')), false,
          'frozen: a transfer in lands');
SELECT is((SELECT replayed FROM wallet_reverse_spend('d6000000-0000-4000-8000-000000000001', 'buy-1', 2, 'rev-1')), false,
          'frozen: a reversal lands');
SELECT is((SELECT replayed FROM wallet_refund('d6000000-0000-4000-8000-000000000001', 'pay-1', 3, 'ref-1')), false,
          'frozen: a refund lands');
SELECT is((SELECT state FROM wallet_void('d6000000-0000-4000-8000-000000000001', (SELECT hold_id FROM held))), 'voided',
          'frozen: a void lands');
SELECT results_eq($$SELECT item, error_sqlstate FROM wallet_post_batch(jsonb_build_array(
                      jsonb_build_object('kind', 'spend', 'user_id', 'd6000000-0000-4000-8000-000000000001',
                                         'asset_type_id', 1, 'amount', 1, 'idempotency_key', 'b-1'),
                      jsonb_build_object('kind', 'topup', 'user_id', 'd6000000-0000-4000-8000-000000000001',
                                         'asset_type_id', 1, 'amount', 1, 'idempotency_key', 'b-2')))$$,
                  $$VALUES (1, 'WA011'), (2, NULL)$$, 'frozen, in a batch: the spend refused, the top-up posted');

-- closed: only refunds and voids
SELECT is(wallet_set_account_status('d6000000-0000-4000-8000-000000000001', 'closed', 'account closed'), 'frozen',
          'frozen to closed');
SELECT throws_ok($$SELECT * FROM wallet_topup('d6000000-0000-4000-8000-000000000001', 1, 5, 'c-1')$$, 'WA011', NULL,
                 'closed: a top-up is account_not_active');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d6000000-0000-4000-8000-000000000002',
                   'd6000000-0000-4000-8000-000000000001', 1, 1, 'c-2')$$, 'WA011', NULL, 'closed: a transfer in');
SELECT throws_ok($$SELECT * FROM wallet_reverse_spend('d6000000-0000-4000-8000-000000000001', 'buy-1', 1, 'c-3')$$,
                 'WA011', NULL, 'closed: a reversal');
SELECT is((SELECT replayed FROM wallet_refund('d6000000-0000-4000-8000-000000000001', 'pay-1', 1, 'ref-2')), false,
          'closed: a refund lands');
SELECT is((SELECT state FROM wallet_void('d6000000-0000-4000-8000-000000000001', (SELECT hold_id FROM held2))), 'voided',
          'closed: a void lands');
SELECT is(wallet_set_account_status('d6000000-0000-4000-8000-000000000001', 'active', 'reopened after review'), 'closed',
          'any direction: closed to active');
SELECT is((SELECT replayed FROM wallet_spend('d6000000-0000-4000-8000-000000000001', 1, 1, 'a-1')), false,
          'active again: a spend posts');

-- refusals of the call itself
SELECT throws_ok($$SELECT wallet_set_account_status('d6000000-0000-4000-8000-000000000001', 'erased', 'x')$$, 'WA002',
                 NULL, 'erased is not set here: invalid_request');
SELECT throws_ok($$SELECT wallet_set_account_status('d6000000-0000-4000-8000-000000000001', 'frozen', '')$$, 'WA002',
                 NULL, 'an empty reason: invalid_request');
SELECT throws_ok(format($$SELECT wallet_set_account_status('d6000000-0000-4000-8000-000000000001', 'frozen', %L)$$,
                        repeat('x', 501)), 'WA002', NULL, 'a reason over 500 characters: invalid_request');
SELECT throws_ok($$SELECT wallet_set_account_status('d6000000-0000-4000-8000-0000000000ff', 'frozen', 'x')$$, 'WA003',
                 NULL, 'an unknown user: account_not_found');
SELECT is((SELECT count(*)::int FROM wallet_verify()), 0, 'wallet_verify() is clean');
SELECT * FROM finish();
ROLLBACK;
