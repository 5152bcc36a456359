-- The public functions that act on one user (their first argument is p_user_id uuid)
-- get a twin here made from the shard's own catalogue: the same arguments, defaults and
-- result, run by PL/Proxy on the user's shard, granted to the roles the shard grants
-- it to. Re-made on every migrate, so a function the shards gain is routed too; the
-- others are written by hand in this folder (tests/shards/test_router.py checks both).
CREATE OR REPLACE FUNCTION router.shard_functions()
RETURNS TABLE (name text, arguments text, identity_arguments text, result text, first_argument text,
               grantees text[])
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON 0;
    SELECT p.proname::text AS name, pg_get_function_arguments(p.oid) AS arguments,
           pg_get_function_identity_arguments(p.oid) AS identity_arguments,
           pg_get_function_result(p.oid) AS result,
           (p.proargnames)[1] || ' ' || format_type(p.proargtypes[0], NULL) AS first_argument,
           ARRAY(SELECT a.grantee::regrole::text FROM aclexplode(p.proacl) a
                 WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner AND a.grantee <> 0
                 ORDER BY 1) AS grantees
    FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'wallet\_%';
$$;

CREATE OR REPLACE FUNCTION router.route_user_functions()
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_fn      record;
    v_grantee text;
    v_count   integer := 0;
BEGIN
    FOR v_fn IN SELECT * FROM router.shard_functions() WHERE first_argument = 'p_user_id uuid' ORDER BY name LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS public.%I(%s)', v_fn.name, v_fn.identity_arguments);
        EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plproxy AS %L',
                       v_fn.name, v_fn.arguments, v_fn.result,
                       'CLUSTER ''wallet_shards''; RUN ON router.user_hash(p_user_id);');
        EXECUTE format('REVOKE ALL ON FUNCTION public.%I(%s) FROM PUBLIC', v_fn.name, v_fn.identity_arguments);
        FOREACH v_grantee IN ARRAY v_fn.grantees LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION public.%I(%s) TO %I', v_fn.name, v_fn.identity_arguments,
                           v_grantee);
        END LOOP;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;
