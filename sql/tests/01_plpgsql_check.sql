-- Static checks of every PL/pgSQL function (plpgsql_check, with extra and performance
-- warnings): wrong names, types or unused variables fail here before any call runs them.
BEGIN;
CREATE EXTENSION IF NOT EXISTS plpgsql_check;
SELECT plan(2);

SELECT cmp_ok((SELECT count(*)::int FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
               WHERE l.lanname = 'plpgsql' AND p.prorettype <> 'trigger'::regtype
                 AND (p.pronamespace = 'wallet'::regnamespace OR p.proname LIKE 'wallet\_%')), '>=', 8, 'the wallet''s PL/pgSQL functions are checked');
SELECT is_empty($$
    SELECT p.oid::regprocedure, c.level, c.message, c.lineno
    FROM pg_proc p
    JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
    CROSS JOIN LATERAL plpgsql_check_function_tb(p.oid, fatal_errors => false, extra_warnings => true,
                                                 performance_warnings => true) c
    WHERE p.prorettype <> 'trigger'::regtype
      AND (p.pronamespace = 'wallet'::regnamespace OR p.proname LIKE 'wallet\_%')$$,
    'plpgsql_check finds no error and no warning');

SELECT * FROM finish();
ROLLBACK;
