-- Whether an address is one the public internet routes to: not loopback, private
-- (RFC 1918, unique local), link-local (the cloud metadata address 169.254.169.254
-- among them), carrier-grade NAT, unspecified, multicast or reserved, and not an IPv4
-- address of those mapped into IPv6. The worker applies the same rule in Python
-- (ipaddress's is_global) to the address it connects to.
CREATE OR REPLACE FUNCTION wallet.is_public_address(p_addr inet) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT NOT (
        CASE WHEN family(p_addr) = 6 AND p_addr << '::ffff:0:0/96'
             THEN ('0.0.0.0'::inet + (p_addr - '::ffff:0.0.0.0'::inet)) ELSE p_addr END
        <<= ANY (ARRAY['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
                       '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24',
                       '203.0.113.0/24', '224.0.0.0/3', '::/128', '::1/128', '64:ff9b:1::/48', '100::/64',
                       '2001::/23', '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'ff00::/8']::inet[]));
$$;

REVOKE ALL ON FUNCTION wallet.is_public_address(inet) FROM PUBLIC;
