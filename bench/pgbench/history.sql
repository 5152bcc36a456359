-- the newest page (50 entries) of a random bench user's history
\set uid random(1, :users)
SELECT * FROM wallet_history(('00000000-0000-4000-8000-' || lpad(:uid::text, 12, '0'))::uuid, NULL, NULL, 50);
