-- wallet.transfer_receive: a transfer between shards, step 2, on the recipient's shard:
-- Transit -> recipient with the sender's lots, debt repaid first; a refusal answered and
-- recorded, not raised; every later asking answered the same; a dry run raises.
BEGIN;
SELECT plan(15);

SELECT wallet_open_account('e4000000-0000-4000-8000-000000000002', 'Recipient');
SELECT wallet_open_account('e4000000-0000-4000-8000-000000000003', 'Closed');
SELECT wallet_set_account_status('e4000000-0000-4000-8000-000000000003', 'closed', 'left the game');
SELECT wallet_set_limits(1, 1000, NULL, 'e4000000-0000-4000-8000-000000000002');
CREATE TEMP TABLE lots_given (lots jsonb);
INSERT INTO lots_given VALUES ('[{"class": "free", "amount": 40, "expires_at": "2999-01-01T00:00:00+00:00"},
                                 {"class": "paid", "amount": 10, "expires_at": null}]');

SELECT is((SELECT row(to_entry_id, to_balance, replayed)::text
           FROM wallet.transfer_receive(NULL, 'e4000000-0000-4000-8000-000000000001',
                                        'e4000000-0000-4000-8000-000000000002', 1, 50, 0, NULL, NULL, '{}', true)),
          '(,50,f)', 'a dry run answers the balance the recipient would have');
SELECT is((SELECT count(*) FROM wallet.shard_transfers), 0::bigint, 'and records nothing');
SELECT throws_ok($$SELECT * FROM wallet.transfer_receive(NULL, 'e4000000-0000-4000-8000-000000000001',
                                                         'e4000000-0000-4000-8000-0000000000ff', 1, 50, 0, NULL, NULL,
                                                         '{}', true)$$,
                 'WA003', NULL, 'a dry run raises the refusal: no account');
SELECT throws_ok($$SELECT * FROM wallet.transfer_receive(NULL, 'e4000000-0000-4000-8000-000000000001',
                                                         'e4000000-0000-4000-8000-000000000002', 1, 1001, 0, NULL, NULL,
                                                         '{}', true)$$,
                 'WA012', NULL, 'over the recipient''s cap');

CREATE TEMP TABLE r1 AS
    SELECT * FROM wallet.transfer_receive('e4000000-0000-4000-8000-00000000aaaa', 'e4000000-0000-4000-8000-000000000001',
                                          'e4000000-0000-4000-8000-000000000002', 1, 50, 5, 777,
                                          (SELECT lots FROM lots_given), '{"note": "gift"}', false);
SELECT results_eq($$SELECT to_balance, replayed, refusal_code FROM r1$$, $$VALUES (50::bigint, false, NULL::text)$$,
                  'received: the recipient has 50');
SELECT results_eq(
    $$SELECT kind, amount, paid_amount, free_amount, debit_account_id = wallet.transit_account_id(), original_entry_id,
             idempotency_key, metadata
      FROM wallet.ledger_entries WHERE entry_id = (SELECT to_entry_id FROM r1)$$,
    $$VALUES ('transfer_in', 50::bigint, 10::bigint, 40::bigint, true, 777::bigint, NULL::text, '{"note": "gift"}'::jsonb)$$,
    'a transfer_in from Transit, naming the sender''s entry, without a key (the recipient''s key space is untouched)');
SELECT results_eq(
    $$SELECT class, amount, expires_at FROM wallet.lots WHERE entry_id = (SELECT to_entry_id FROM r1) ORDER BY lot_id$$,
    $$VALUES ('free', 40::bigint, '2999-01-01T00:00:00Z'::timestamptz), ('paid', 10::bigint, NULL::timestamptz)$$,
    'one lot per lot taken, class and expiry kept');
SELECT results_eq(
    $$SELECT to_entry_id, to_balance, replayed
      FROM wallet.transfer_receive('e4000000-0000-4000-8000-00000000aaaa', 'e4000000-0000-4000-8000-000000000001',
                                   'e4000000-0000-4000-8000-000000000002', 1, 50, 5, 777,
                                   (SELECT lots FROM lots_given), '{}', false)$$,
    $$SELECT to_entry_id, to_balance, true FROM r1$$,
    'asked again, the same answer: credited once');
SELECT is((SELECT balance FROM wallet.system_balances
           WHERE account_id = wallet.transit_account_id() AND asset_type_id = 1), -50::numeric,
          'Transit gave what it received from the other shard');

SELECT results_eq(
    $$SELECT to_entry_id, replayed, refusal_code
      FROM wallet.transfer_receive('e4000000-0000-4000-8000-00000000bbbb', 'e4000000-0000-4000-8000-000000000001',
                                   'e4000000-0000-4000-8000-000000000003', 1, 5, 0, 778,
                                   '[{"class": "paid", "amount": 5, "expires_at": null}]', '{}', false)$$,
    $$VALUES (NULL::bigint, false, 'WA011')$$,
    'a closed recipient: the refusal is answered, not raised');
SELECT wallet_set_account_status('e4000000-0000-4000-8000-000000000003', 'active', 'came back');
SELECT results_eq(
    $$SELECT to_entry_id, replayed, refusal_code
      FROM wallet.transfer_receive('e4000000-0000-4000-8000-00000000bbbb', 'e4000000-0000-4000-8000-000000000001',
                                   'e4000000-0000-4000-8000-000000000003', 1, 5, 0, 778,
                                   '[{"class": "paid", "amount": 5, "expires_at": null}]', '{}', false)$$,
    $$VALUES (NULL::bigint, true, 'WA011')$$,
    'and given once: reopened since, the transfer is still refused (its sender may have been given it back)');
SELECT results_eq(
    $$SELECT to_entry_id, replayed, refusal_code
      FROM wallet.transfer_receive('e4000000-0000-4000-8000-00000000cccc', 'e4000000-0000-4000-8000-000000000001',
                                   'e4000000-0000-4000-8000-0000000000ff', 1, 5, 0, 779,
                                   '[{"class": "paid", "amount": 5, "expires_at": null}]', '{}', false)$$,
    $$VALUES (NULL::bigint, false, 'WA003')$$,
    'a recipient without an account: refused and recorded');
SELECT throws_ok($$SELECT * FROM wallet.transfer_receive('e4000000-0000-4000-8000-00000000dddd',
                                                         'e4000000-0000-4000-8000-000000000001',
                                                         'e4000000-0000-4000-8000-000000000002', 1, 50, 0, 780,
                                                         '[{"class": "paid", "amount": 49, "expires_at": null}]',
                                                         '{}', false)$$,
                 'XX000', NULL, 'lots that do not add up to the amount are never credited');
SELECT throws_ok($$SELECT * FROM wallet.transfer_receive('e4000000-0000-4000-8000-00000000eeee',
                                                         'e4000000-0000-4000-8000-000000000001',
                                                         'e4000000-0000-4000-8000-000000000002', 1, 0, 0, 781,
                                                         '[]', '{}', false)$$,
                 'WA001', NULL, 'an amount out of range is the caller''s error, raised and not recorded');
SELECT is_empty($$SELECT * FROM wallet_verify()$$, 'wallet_verify() is clean: Transit is what was received');
SELECT * FROM finish();
ROLLBACK;
