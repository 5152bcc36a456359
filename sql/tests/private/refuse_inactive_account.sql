-- wallet.refuse_inactive_account: account_not_active, the status in DETAIL.
BEGIN;
SELECT plan(2);
SELECT throws_ok($$SELECT wallet.refuse_inactive_account('frozen', 'spends')$$, 'WA011',
                 'account_not_active: the account is frozen, which refuses spends', 'the stable name and why');
CREATE FUNCTION pg_temp.detail_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_detail text;
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
    RETURN v_detail;
END $$;
SELECT is(pg_temp.detail_of($$SELECT wallet.refuse_inactive_account('closed', 'credits')$$), 'status: closed',
          'DETAIL carries the status');
SELECT * FROM finish();
ROLLBACK;
