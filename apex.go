package dyndns

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// nameserver is a block's name server for the apex of zones that start
// without a zone file: its name (relative names are taken in each zone)
// and the addresses its glue gives.
type nameserver struct {
	name  string // "" for ns1 in each zone
	addrs []netip.Addr
}

// parseNameserver reads "nameserver NAME [ADDRESS...]".
func parseNameserver(args []string) (nameserver, error) {
	if len(args) == 0 {
		return nameserver{}, errors.New("wants NAME [ADDRESS...]")
	}
	ns := nameserver{name: strings.ToLower(args[0])}
	if _, ok := dns.IsDomainName(ns.name); !ok {
		return ns, fmt.Errorf("%q is not a name", args[0])
	}
	for _, a := range args[1:] {
		addr, err := netip.ParseAddr(a)
		if err != nil || addr.IsUnspecified() {
			return ns, fmt.Errorf("%q is not an address", a)
		}
		ns.addrs = append(ns.addrs, addr.Unmap())
	}
	return ns, nil
}

// boundAddresses are the specific addresses of the server block's bind
// plugin: where the server surely answers.
func boundAddresses(hosts []string) []netip.Addr {
	var out []netip.Addr
	for _, h := range hosts {
		if a, err := netip.ParseAddr(h); err == nil && !a.IsUnspecified() {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// apex is what zone origin starts with when it has no zone file: an SOA and
// NS naming the block's name server, with its addresses as glue when the
// name is inside the zone, so that resolvers can follow a delegation.
func (d *DynDNS) apex(origin string) []dns.RR {
	name := "ns1." + origin
	if d.nameserver.name != "" {
		name = d.nameserver.name
		if !dns.IsFqdn(name) {
			name += "." + origin
		}
	}
	addrs := d.nameserver.addrs
	if len(addrs) == 0 {
		addrs = d.bound
	}
	return zone.Apex(origin, name, addrs)
}
