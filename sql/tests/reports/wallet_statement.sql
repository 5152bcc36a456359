-- wallet_statement: opening and closing balances per asset and the entries in between,
-- oldest first, as one document; periods refused when empty, too long or too heavy.
BEGIN;
SELECT plan(9);

SELECT wallet_open_account('e3000000-0000-4000-8000-000000000004', 'Stated');
SELECT * FROM wallet_topup('e3000000-0000-4000-8000-000000000004', 1, 100, 'st-1');
SELECT * FROM wallet_spend('e3000000-0000-4000-8000-000000000004', 1, 30, 'st-2', '{"item": "shield"}');
CREATE TEMP TABLE doc AS
SELECT wallet_statement('e3000000-0000-4000-8000-000000000004', now() - interval '1 day', now()) AS d;

SELECT is((SELECT d -> 'opening' -> 0 FROM doc),
          '{"asset_type_id": 1, "asset_code": "GOLD", "balance": 0, "paid": 0, "free": 0}', 'opening per asset');
SELECT is((SELECT d -> 'closing' -> 0 FROM doc),
          '{"asset_type_id": 1, "asset_code": "GOLD", "balance": 70, "paid": 70, "free": 0}', 'closing per asset');
SELECT is((SELECT jsonb_agg(jsonb_build_array(e ->> 'kind', e -> 'amount', e -> 'balance_after', e -> 'metadata'))
           FROM doc, jsonb_array_elements(d -> 'entries') e),
          '[["topup", 100, 100, {}], ["spend", -30, 70, {"item": "shield"}]]', 'the entries, oldest first, signed');
SELECT is((SELECT d ->> 'user_id' FROM doc), 'e3000000-0000-4000-8000-000000000004', 'whose');
SELECT is((SELECT jsonb_array_length(wallet_statement('e3000000-0000-4000-8000-000000000004', now(), now() + interval '1 day') -> 'entries')),
          0, 'entries made at `from` belong to the period before');
SELECT throws_ok($$SELECT wallet_statement('e3000000-0000-4000-8000-000000000004', now(), now())$$, 'WA002',
                 'invalid_request: from and to must be points in time, from before to', 'an empty period');
SELECT throws_ok($$SELECT wallet_statement('e3000000-0000-4000-8000-0000000000ff', now() - interval '1 day', now())$$,
                 'WA003', NULL, 'an unknown user');

-- 1,100 entries of about 3.9 KiB of metadata each: over 4 MiB, refused
SELECT wallet_open_account('e3000000-0000-4000-8000-000000000005', 'Heavy');
SELECT * FROM wallet_topup('e3000000-0000-4000-8000-000000000005', 1, 5000, 'heavy-pay');
SELECT count(*) FROM generate_series(1, 1100) n,
    LATERAL wallet_spend('e3000000-0000-4000-8000-000000000005', 1, 1, 'heavy-' || n,
                         jsonb_build_object('pad', repeat('x', 3900)));
SELECT throws_ok($$SELECT wallet_statement('e3000000-0000-4000-8000-000000000005', now() - interval '1 day', now())$$,
                 'WA002', 'invalid_request: the entries of the period carry more than 4194304 bytes of metadata and keys; ask for a shorter one',
                 'a period whose metadata passes 4 MiB');
SELECT is((SELECT jsonb_array_length(wallet_statement('e3000000-0000-4000-8000-000000000004', now() - interval '1 day', now()) -> 'entries')),
          2, 'a light wallet''s statement of the same period is answered');

SELECT * FROM finish();
ROLLBACK;
