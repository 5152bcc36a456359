-- Applied after sql/router/functions: callers reach the router's helpers only through
-- the public twins, except the hash functions that PL/Proxy evaluates as the caller.
GRANT USAGE ON SCHEMA router TO PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA router FROM PUBLIC;
GRANT EXECUTE ON FUNCTION router.user_hash(uuid), router.key_hash(text), router.item_hash(jsonb),
                          router.event_hash(bigint) TO PUBLIC;
