package dyndns

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/coredns/coredns/plugin/pkg/dnsutil"
	"github.com/dyndns/dyndns/plugin/check"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// With "ptr", the block's reverse zones follow the hosts of its forward
// zones. What is kept is one invariant, stated on the zones' contents alone
// so that no state beyond them is needed to restore it:
//
//   - a host (a name with explicit A/AAAA records that is not a derived
//     service) has a PTR at the reverse name of each of its addresses, unless
//     that name already has a PTR (an explicit one, or another host's with the
//     same address: the first one stays);
//   - a PTR in a reverse zone that points into a forward zone of the block
//     points at a name that has that address (forward-confirmed reverse DNS).
//
// An UPDATE commits its forward zone, then the PTR changes in the reverse
// zones, each an ordinary commit (journal, serial, IXFR, NOTIFY), and is
// answered after both. A crash between the two commits leaves the forward
// change without its PTR change; the block restores the invariant over all
// names when it starts, before it answers, so no restart serves one without
// the other. The same keeps a retried UPDATE whose PTR commit failed right.

// ptrEdit asks for the PTR at rev (the reverse name of addr) to agree with
// host's addresses.
type ptrEdit struct {
	rev, host string
	addr      netip.Addr
}

// isReverse reports whether origin is a reverse zone.
func isReverse(origin string) bool { return dnsutil.IsReverse(origin) > 0 }

// checkPTR is the Corefile check of "ptr": the block needs zones on both sides.
func (d *DynDNS) checkPTR() error {
	fwd := slices.ContainsFunc(d.origins, func(o string) bool { return !isReverse(o) })
	rev := slices.ContainsFunc(d.origins, isReverse)
	if !fwd || !rev {
		return errors.New("the block must serve a forward zone and a reverse zone (in-addr.arpa or ip6.arpa)")
	}
	return nil
}

// servedZone returns the most specific of the block's zones that name is in,
// on the forward side (reverse false) or the reverse side, or "".
func (d *DynDNS) servedZone(name string, reverse bool) string {
	best := ""
	for _, o := range d.origins {
		if isReverse(o) == reverse && dns.IsSubDomain(o, name) && len(o) > len(best) {
			best = o
		}
	}
	return best
}

// editFor returns the edit of host's address addr, and the reverse zone it
// goes to ("" when the block serves none).
func (d *DynDNS) editFor(host string, addr netip.Addr) (ptrEdit, string) {
	rev, err := dns.ReverseAddr(addr.String())
	if err != nil {
		return ptrEdit{}, ""
	}
	return ptrEdit{rev: rev, host: host, addr: addr}, d.servedZone(rev, true)
}

// followUpdate keeps the PTRs of the hosts an UPDATE of forward zone origin
// touched: those with A/AAAA records in its changeset, and those its update
// section names with A, AAAA or ANY (so a retry redoes a PTR commit that
// failed even when the forward change is already there).
func (d *DynDNS) followUpdate(origin string, r *dns.Msg, cs zone.Changeset) error {
	hosts := addressesOf(cs.Del, cs.Add)
	for _, rr := range r.Ns {
		switch h := rr.Header(); h.Rrtype {
		case dns.TypeA, dns.TypeAAAA, dns.TypeANY:
			name := strings.ToLower(dns.Fqdn(h.Name))
			if dns.IsSubDomain(origin, name) {
				hosts[name] = hosts[name]
			}
		}
	}
	return d.followHosts(origin, hosts)
}

// followHosts keeps the PTRs of hosts of forward zone origin, at the given
// addresses and at those each host has now.
func (d *DynDNS) followHosts(origin string, hosts map[string][]netip.Addr) error {
	cur := d.zones[origin].Current()
	edits := map[string][]ptrEdit{}
	for _, host := range slices.Sorted(maps.Keys(hosts)) { // one message's hosts in a stable order
		addrs := hosts[host]
		if n := cur.Node(host); n != nil {
			addrs = append(addrs, ownAddresses(n)...)
		}
		for _, a := range addrs {
			if e, rz := d.editFor(host, a); rz != "" {
				edits[rz] = append(edits[rz], e)
			}
		}
	}
	return d.commitPTRs(edits)
}

// reconcilePTR restores the invariant over every name of the block's zones.
// It runs when the block starts, before it answers.
func (d *DynDNS) reconcilePTR() error {
	edits := map[string][]ptrEdit{}
	for _, o := range d.origins {
		reverse := isReverse(o)
		d.zones[o].Current().Walk(func(n *zone.Node) bool {
			if !reverse {
				if len(n.Derived()) == 0 {
					for _, a := range ownAddresses(n) {
						if e, rz := d.editFor(n.Name(), a); rz != "" {
							edits[rz] = append(edits[rz], e)
						}
					}
				}
				return true
			}
			addr, err := netip.ParseAddr(dnsutil.ExtractAddressFromReverse(n.Name()))
			if err != nil {
				return true // not an address's reverse name (RFC 2317 and the like)
			}
			for _, rr := range n.Own(dns.TypePTR) {
				if target := strings.ToLower(rr.(*dns.PTR).Ptr); d.servedZone(target, false) != "" {
					edits[o] = append(edits[o], ptrEdit{rev: n.Name(), host: target, addr: addr})
				}
			}
			return true
		})
	}
	return d.commitPTRs(edits)
}

// commitPTRs applies the edits of each reverse zone in one commit of that
// zone. Each edit is decided on the forward zones as they are when the
// reverse zone's writer runs it, so concurrent UPDATEs of one host converge
// on its last state whatever order their PTR commits take.
func (d *DynDNS) commitPTRs(edits map[string][]ptrEdit) error {
	var errs []error
	for _, rz := range slices.Sorted(maps.Keys(edits)) {
		cs, v, err := d.zones[rz].Update(func(t *zone.Txn) error {
			// Removals first: a PTR that goes may leave its name to
			// another host of the same batch.
			for _, adding := range []bool{false, true} {
				for _, e := range edits[rz] {
					d.keepPTR(t, e, adding)
				}
			}
			if t.Changed() {
				t.BumpSerial()
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("PTR changes in %s: %w", rz, err))
			continue
		}
		if cs.ChangesRecords() {
			d.observe(rz, v)
			audit(rz, "ptr", "-", cs)
			d.notify(rz)
		}
	}
	return errors.Join(errs...)
}

// keepPTR makes e.rev agree with the invariant for e.host and e.addr: it
// removes a PTR the forward zone does not confirm, or (adding) adds one.
func (d *DynDNS) keepPTR(t *zone.Txn, e ptrEdit, adding bool) {
	var n *zone.Node
	if fz := d.servedZone(e.host, false); fz != "" {
		n = d.zones[fz].Current().Node(e.host)
	}
	ttl, isHost, serves := addressState(n, e.addr)
	ptrs := t.Own(e.rev, dns.TypePTR)
	if !serves {
		if adding {
			return
		}
		for _, rr := range ptrs {
			if strings.EqualFold(rr.(*dns.PTR).Ptr, e.host) {
				t.DeleteRR(rr)
			}
		}
		return
	}
	if !adding || !isHost || len(ptrs) > 0 || len(t.Own(e.rev, dns.TypeCNAME)) > 0 {
		return // explicit wins; a CNAME (RFC 2317) owns the name
	}
	t.AddRR(&dns.PTR{Hdr: dns.RR_Header{Name: e.rev, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: ttl}, Ptr: e.host})
}

// addressState tells of name n and addr: the TTL of the explicit record
// with addr, whether n is a host with it (explicit, not a derived service),
// and whether n serves addr at all (explicit or derived).
func addressState(n *zone.Node, addr netip.Addr) (ttl uint32, isHost, serves bool) {
	if n == nil {
		return 0, false, false
	}
	if rr := n.OwnRecord(addressRecord(n.Name(), addr)); rr != nil {
		return rr.Header().Ttl, len(n.Derived()) == 0, true
	}
	if s := n.RRset(addressType(addr)); s != nil {
		s.Range(func(rr dns.RR) bool {
			a, ok := check.AddrOf(rr)
			serves = ok && a == addr
			return !serves
		})
	}
	return 0, false, serves
}

// addressRecord returns an A or AAAA record of addr at name.
func addressRecord(name string, addr netip.Addr) dns.RR {
	h := dns.RR_Header{Name: name, Rrtype: addressType(addr), Class: dns.ClassINET}
	if addr.Is4() {
		return &dns.A{Hdr: h, A: addr.AsSlice()}
	}
	return &dns.AAAA{Hdr: h, AAAA: addr.AsSlice()}
}

func addressType(a netip.Addr) uint16 {
	if a.Is4() {
		return dns.TypeA
	}
	return dns.TypeAAAA
}

// ownAddresses returns the addresses of n's explicit A and AAAA records.
func ownAddresses(n *zone.Node) []netip.Addr {
	var addrs []netip.Addr
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		for _, rr := range n.Own(t) {
			if a, ok := check.AddrOf(rr); ok {
				addrs = append(addrs, a)
			}
		}
	}
	return addrs
}

// addressesOf groups the addresses of the A and AAAA records of some record
// lists by owner name.
func addressesOf(lists ...[]dns.RR) map[string][]netip.Addr {
	hosts := map[string][]netip.Addr{}
	for _, rrs := range lists {
		for _, rr := range rrs {
			if a, ok := check.AddrOf(rr); ok {
				name := strings.ToLower(rr.Header().Name)
				hosts[name] = append(hosts[name], a)
			}
		}
	}
	return hosts
}

// ptrEnabled reports whether origin's hosts get PTRs.
func (d *DynDNS) ptrEnabled(origin string) bool { return d.ptr && !isReverse(origin) }
