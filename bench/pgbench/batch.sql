-- one wallet_post_batch call of :batch postings (half top-ups, half spends of 1 GOLD)
-- for random bench users, each with a fresh idempotency key
SELECT count(*) FROM wallet_post_batch((
    SELECT jsonb_agg(jsonb_build_object(
        'kind', CASE WHEN random() < 0.5 THEN 'topup' ELSE 'spend' END,
        'user_id', '00000000-0000-4000-8000-' || lpad((1 + floor(random() * :users))::int::text, 12, '0'),
        'asset_type_id', 1, 'amount', 1, 'idempotency_key', gen_random_uuid()::text))
    FROM generate_series(1, :batch)));
