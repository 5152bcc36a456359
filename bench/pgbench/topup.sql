-- a top-up of 1 GOLD to a random bench user, with a fresh idempotency key
\set uid random(1, :users)
SELECT * FROM wallet_topup(('00000000-0000-4000-8000-' || lpad(:uid::text, 12, '0'))::uuid, 1, 1, gen_random_uuid()::text);
