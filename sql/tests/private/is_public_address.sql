-- wallet.is_public_address: only addresses the public internet routes to.
BEGIN;
SELECT plan(2);
SELECT is(array_agg(a ORDER BY a) FILTER (WHERE wallet.is_public_address(a::inet)),
          ARRAY['2606:4700::1111', '8.8.8.8', '::ffff:8.8.8.8'], 'public: these')
FROM unnest(ARRAY['8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '127.0.0.1', '10.1.2.3', '172.16.0.1',
                  '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1',
                  '::ffff:127.0.0.1', '::ffff:169.254.169.254', '224.0.0.1']) a;
SELECT is(wallet.is_public_address('::ffff:10.0.0.1'), false, 'a private IPv4 address mapped into IPv6 is private');
SELECT * FROM finish();
ROLLBACK;
