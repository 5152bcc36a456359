-- wallet.transfers_in_flight: the sent transfers no answer has settled, old enough,
-- oldest first, with what the recipient's shard needs.
BEGIN;
SELECT plan(4);
SELECT wallet_open_account('e6000000-0000-4000-8000-000000000001', 'Sender');
SELECT wallet_set_transfer_policy(1, 'all');
SELECT * FROM wallet_topup('e6000000-0000-4000-8000-000000000001', 1, 100, 'p1');
CREATE TEMP TABLE sent AS
    SELECT * FROM wallet.transfer_send('e6000000-0000-4000-8000-000000000001', 'e6000000-0000-4000-8000-0000000000ff',
                                       1, 30, 'far-1', 0, '{"n": 1}', false);
SELECT results_eq(
    $$SELECT transfer_id, to_user_id, amount, lots, metadata FROM wallet.transfers_in_flight('0', 10)$$,
    $$SELECT transfer_id, 'e6000000-0000-4000-8000-0000000000ff'::uuid, 30::bigint, lots, '{"n": 1}'::jsonb FROM sent$$,
    'a sent transfer, with its lots and metadata');
SELECT is_empty($$SELECT * FROM wallet.transfers_in_flight('1 hour', 10)$$, 'not one sent in the last p_older_than');
SELECT is_empty($$SELECT * FROM wallet.transfers_in_flight('0', 0)$$, 'at most p_limit');
SELECT wallet.transfer_settle('e6000000-0000-4000-8000-000000000001', (SELECT transfer_id FROM sent), 1, 30, NULL, NULL);
SELECT is_empty($$SELECT * FROM wallet.transfers_in_flight('0', 10)$$, 'settled: no longer in flight');
SELECT * FROM finish();
ROLLBACK;
