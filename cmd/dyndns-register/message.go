package main

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// The UPDATE messages the client sends (RFC 2136 §2.5). Each is one atomic
// change on the server.

// addressUpdate replaces NAME's A and AAAA RRsets with addrs: delete both
// RRsets, then add the records, in one UPDATE, with the update lease.
func addressUpdate(zone, name string, addrs []netip.Addr, ttl, lease time.Duration) *dns.Msg {
	m := addressDelete(zone, name)
	for _, a := range addrs {
		m.Insert([]dns.RR{addressRR(name, a, ttl)})
	}
	setLease(m, lease)
	return m
}

// addressDelete deletes NAME's A and AAAA RRsets: the shape of addressUpdate,
// without the additions (and without a lease: nothing is left to lease).
func addressDelete(zone, name string) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(zone)
	m.RemoveRRset([]dns.RR{
		&dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA}},
		&dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA}},
	})
	return m
}

func addressRR(name string, a netip.Addr, ttl time.Duration) dns.RR {
	h := dns.RR_Header{Name: name, Class: dns.ClassINET, Ttl: uint32(ttl / time.Second)}
	if a.Is4() {
		h.Rrtype = dns.TypeA
		return &dns.A{Hdr: h, A: a.AsSlice()}
	}
	h.Rrtype = dns.TypeAAAA
	return &dns.AAAA{Hdr: h, AAAA: a.AsSlice()}
}

// ptrUpdate points the reverse name of each address in addrs at target,
// replacing the PTR RRset there, and deletes the PTR records that point at
// target from the reverse names of gone (addresses this client registered
// before and no longer has). All addresses must be in zone.
func ptrUpdate(zone, target string, addrs, gone []netip.Addr, ttl, lease time.Duration) *dns.Msg {
	m := ptrDelete(zone, target, gone)
	for _, a := range addrs {
		rr := ptrRR(a, target, ttl)
		m.RemoveRRset([]dns.RR{rr})
		m.Insert([]dns.RR{rr})
	}
	setLease(m, lease)
	return m
}

// ptrDelete deletes the PTR records that point at target from the reverse
// names of addrs. Only those records: if the address has moved on to another
// host meanwhile, its PTR stays.
func ptrDelete(zone, target string, addrs []netip.Addr) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(zone)
	for _, a := range addrs {
		m.Remove([]dns.RR{ptrRR(a, target, 0)})
	}
	return m
}

func ptrRR(a netip.Addr, target string, ttl time.Duration) *dns.PTR {
	return &dns.PTR{
		Hdr: dns.RR_Header{Name: reverseName(a), Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: uint32(ttl / time.Second)},
		Ptr: target,
	}
}

func reverseName(a netip.Addr) string {
	n, _ := dns.ReverseAddr(a.String()) // never fails for a valid address
	return n
}

// reverseZone is the longest of zones that holds a's reverse name, or "".
func reverseZone(a netip.Addr, zones []string) string {
	n, best := reverseName(a), ""
	for _, z := range zones {
		if dns.IsSubDomain(z, n) && dns.CountLabel(z) > dns.CountLabel(best) {
			best = z
		}
	}
	return best
}

// setLease adds the EDNS(0) Update Lease option (RFC 9664 §4, option code 2)
// in its 4-byte form: LEASE only, KEY-LEASE omitted (0), so the records'
// lease applies to everything the update adds.
func setLease(m *dns.Msg, lease time.Duration) {
	opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	opt.SetUDPSize(dns.DefaultMsgSize)
	opt.Option = append(opt.Option, &dns.EDNS0_UL{Code: dns.EDNS0UL, Lease: uint32(lease / time.Second)})
	m.Extra = append(m.Extra, opt)
}

// grantedLease is the lease the server granted in its reply's Update Lease
// option; ok is false when the reply has none (the server does not do leases).
func grantedLease(r *dns.Msg) (lease time.Duration, ok bool) {
	opt := r.IsEdns0()
	if opt == nil {
		return 0, false
	}
	for _, o := range opt.Option {
		if ul, isUL := o.(*dns.EDNS0_UL); isUL {
			return time.Duration(ul.Lease) * time.Second, true
		}
	}
	return 0, false
}
