#!/usr/bin/env python3
"""Register a host as the seed's script does, with dnspython: replace the
host's A record in the forward zone and its PTR in the reverse zone.

usage: register.py SERVER PORT ZONE REVERSE-ZONE HOST IP udp|tcp [KEYNAME SECRET]
"""
import sys

import dns.query
import dns.rcode
import dns.reversename
import dns.tsigkeyring
import dns.update


def send(msg, server, port, transport):
    if transport == "tcp":
        return dns.query.tcp(msg, server, port=port, timeout=5)
    return dns.query.udp(msg, server, port=port, timeout=5)


def main():
    server, port, zone, rzone, host, ip, transport = sys.argv[1:8]
    port = int(port)
    keyring, keyname = None, None
    if len(sys.argv) > 8:
        keyname = sys.argv[8]
        keyring = dns.tsigkeyring.from_text({keyname: sys.argv[9]})
    fqdn = host + "." + zone + "."

    up = dns.update.Update(zone, keyring=keyring, keyname=keyname, keyalgorithm="hmac-sha256")
    up.replace(host, 60, "A", ip)
    answers = [send(up, server, port, transport)]

    rev = dns.update.Update(rzone, keyring=keyring, keyname=keyname, keyalgorithm="hmac-sha256")
    rev.replace(dns.reversename.from_address(ip), 60, "PTR", fqdn)
    answers.append(send(rev, server, port, transport))

    for a in answers:
        if a.rcode() != dns.rcode.NOERROR:
            print("update failed:", dns.rcode.to_text(a.rcode()))
            return 1
    print("registered", fqdn, ip)
    return 0


if __name__ == "__main__":
    sys.exit(main())
