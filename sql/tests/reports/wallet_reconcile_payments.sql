-- wallet_reconcile_payments: each kind of difference between a provider's records and the
-- top-ups with their refunds, nothing for what agrees, the window for unknown top-ups,
-- the parts adding up to the whole, and bad records refused.
BEGIN;
SELECT plan(9);

SELECT wallet_open_account('5e000000-0000-4000-8000-000000000001', 'Payer');  -- uuid's last byte 1
SELECT wallet_open_account('5e000000-0000-4000-8000-000000000002', 'Other');  -- last byte 2
SELECT wallet_topup('5e000000-0000-4000-8000-000000000001', 1, 100, 'p1');
SELECT wallet_topup('5e000000-0000-4000-8000-000000000001', 1, 50, 'p2');
SELECT wallet_topup('5e000000-0000-4000-8000-000000000001', 1, 40, 'p3');
SELECT wallet_refund('5e000000-0000-4000-8000-000000000001', 'p3', 10, 'r-1');
SELECT wallet_topup('5e000000-0000-4000-8000-000000000001', 1, 30, 'p4');
SELECT wallet_topup('5e000000-0000-4000-8000-000000000002', 1, 20, 'q1');
SELECT wallet_refund('5e000000-0000-4000-8000-000000000002', 'q1', 5, 'r-2');

CREATE TEMP TABLE records AS SELECT $$[
    {"payment_id": "p1", "user_id": "5e000000-0000-4000-8000-000000000001", "amount": 100},
    {"payment_id": "p2", "user_id": "5e000000-0000-4000-8000-000000000001", "amount": 60},
    {"payment_id": "p3", "user_id": "5e000000-0000-4000-8000-000000000001", "amount": 40},
    {"payment_id": "p5", "user_id": "5e000000-0000-4000-8000-000000000001", "amount": 70, "refunded": 0},
    {"payment_id": "q1", "user_id": "5e000000-0000-4000-8000-000000000002", "amount": 20, "refunded": 5},
    {"payment_id": "z1", "user_id": "5e000000-0000-4000-8000-0000000000ff", "amount": 9}
]$$::jsonb AS payments;

SELECT results_eq($$SELECT payment_id, user_id, issue, expected, found
                    FROM wallet_reconcile_payments(now() - interval '1 hour', now() + interval '1 hour',
                                                   (SELECT payments FROM records))
                    WHERE user_id::text LIKE '5e000000-%'  -- whatever else the database holds
                    ORDER BY payment_id, issue$$,
                  $$VALUES ('p2', '5e000000-0000-4000-8000-000000000001'::uuid, 'amount_differs', 60::bigint, 50::bigint),
                           ('p3', '5e000000-0000-4000-8000-000000000001', 'refund_differs', 0, 10),
                           ('p4', '5e000000-0000-4000-8000-000000000001', 'unknown_topup', NULL, 30),
                           ('p5', '5e000000-0000-4000-8000-000000000001', 'missing_topup', 70, NULL),
                           ('z1', '5e000000-0000-4000-8000-0000000000ff', 'missing_topup', 9, NULL)$$,
                  'each difference once; what agrees (p1, and q1 with its refund) is not reported');
SELECT is_empty($$SELECT * FROM wallet_reconcile_payments(now() + interval '1 hour', now() + interval '2 hours',
                                                          (SELECT payments FROM records))
                  WHERE issue = 'unknown_topup' AND user_id::text LIKE '5e000000-%'$$,
                'a top-up outside the window is not unknown');
SELECT is_empty($$SELECT * FROM wallet_reconcile_payments(now() - interval '1 hour', now() + interval '1 hour',
                    (SELECT jsonb_agg(p) FROM jsonb_array_elements((SELECT payments FROM records)) p
                     WHERE get_byte(uuid_send((p ->> 'user_id')::uuid), 15) % 2 = 0), 0, 2)
                  WHERE user_id::text LIKE '5e000000-%'$$,
                'part 0 of 2 (the user whose uuid ends in 02): its one payment agrees, with its refund');
SELECT results_eq($$SELECT issue, payment_id FROM wallet_reconcile_payments(now() - interval '1 hour', now() + interval '1 hour',
                      (SELECT jsonb_agg(p) FROM jsonb_array_elements((SELECT payments FROM records)) p
                       WHERE get_byte(uuid_send((p ->> 'user_id')::uuid), 15) % 2 = 1), 1, 2)
                    WHERE user_id::text LIKE '5e000000-%'
                    ORDER BY 1, 2$$,
                  $$VALUES ('amount_differs', 'p2'), ('missing_topup', 'p5'), ('missing_topup', 'z1'), ('refund_differs', 'p3'),
                           ('unknown_topup', 'p4')$$,
                  'part 1 of 2: the rest, so the parts add up to the whole');
SELECT is_empty($$SELECT * FROM wallet_reconcile_payments(now() - interval '1 hour', now() + interval '1 hour', '[]')
                  WHERE user_id::text LIKE '5e000000-%' AND issue <> 'unknown_topup'$$, 'no records: only unknown top-ups');
SELECT throws_ok($$SELECT * FROM wallet_reconcile_payments(now(), now(), '[{"payment_id": "p1", "user_id": "x", "amount": 1}]')$$,
                 'WA002', NULL, 'a record without a user id is refused');
SELECT throws_ok($$SELECT * FROM wallet_reconcile_payments(now(), now(),
                     '[{"payment_id": "p1", "user_id": "5e000000-0000-4000-8000-000000000001", "amount": 1}]', 0, 2)$$,
                 'WA002', NULL, 'a record of another part is refused');
SELECT throws_ok($$SELECT * FROM wallet_reconcile_payments(now(), now(), (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 100001)))$$,
                 'WA002', 'invalid_request: payments must be a JSON array of at most 100000 items', 'more than 100,000: refused');
SELECT is(provolatile, 's', 'read only (STABLE)') FROM pg_proc WHERE proname = 'wallet_reconcile_payments';
SELECT * FROM finish();
ROLLBACK;
