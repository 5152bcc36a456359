-- a hold of 1 GOLD by a random bench user, then its capture: two transactions, one posting
\set uid random(1, :users)
SELECT hold_id FROM wallet_hold(('00000000-0000-4000-8000-' || lpad(:uid::text, 12, '0'))::uuid, 1, 1, gen_random_uuid()::text) \gset
SELECT * FROM wallet_capture(('00000000-0000-4000-8000-' || lpad(:uid::text, 12, '0'))::uuid, :hold_id, gen_random_uuid()::text);
