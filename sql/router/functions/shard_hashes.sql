-- The hash values PL/Proxy routes by: a shard is hash & (shards - 1). A user goes by
-- the text of their uuid (as stored, so every spelling of one uuid lands on one shard);
-- a credential by its subject (a user's uuid, or a client id); a batch item by its
-- user_id, however spelled; an event by its id, which the shard's feed sequence steps
-- by 64 from 64 + the shard's number (wallet_dev.shards), so id % 64 is the shard.
-- A value that is no uuid hashes as text: the shard it reaches refuses it as usual.
CREATE OR REPLACE FUNCTION router.user_hash(p_user_id uuid)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.hashtext(coalesce(p_user_id::text, '')) $$;

CREATE OR REPLACE FUNCTION router.key_hash(p_key text)
RETURNS integer LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    IF p_key ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN pg_catalog.hashtext(p_key);  -- already as stored
    END IF;
    RETURN pg_catalog.hashtext(p_key::uuid::text);
EXCEPTION WHEN invalid_text_representation THEN
    RETURN pg_catalog.hashtext(coalesce(p_key, ''));
END
$$;

CREATE OR REPLACE FUNCTION router.item_hash(p_item jsonb)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT router.key_hash(p_item ->> 'user_id') $$;

CREATE OR REPLACE FUNCTION router.event_hash(p_event_id bigint)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (coalesce(p_event_id, 0) % 64)::integer $$;

-- How many shards the foreign server names (options p0 .. pN-1).
CREATE OR REPLACE FUNCTION router.shard_count()
RETURNS integer LANGUAGE sql STABLE
AS $$
    SELECT count(*)::integer FROM pg_catalog.pg_foreign_server s, unnest(s.srvoptions) o
    WHERE s.srvname = 'wallet_shards' AND o ~ '^p[0-9]+='
$$;
