-- Previews (Version 3): wallet_spend and wallet_hold take p_dry_run last, as
-- wallet_transfer and wallet_exchange do (sql/functions makes them again with it). A
-- new parameter changes a function's identity, so the old ones go first.
DROP FUNCTION IF EXISTS public.wallet_spend(uuid, integer, bigint, text, jsonb);
DROP FUNCTION IF EXISTS public.wallet_hold(uuid, integer, bigint, text, interval, jsonb);
