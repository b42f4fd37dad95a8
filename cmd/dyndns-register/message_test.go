package main

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func addrs(s ...string) []netip.Addr {
	var as []netip.Addr
	for _, a := range s {
		as = append(as, netip.MustParseAddr(a))
	}
	return as
}

// rrs renders records one per string, fields separated by single spaces.
func rrs(rs []dns.RR) []string {
	var out []string
	for _, r := range rs {
		out = append(out, strings.Join(strings.Fields(r.String()), " "))
	}
	return out
}

func TestMessages(t *testing.T) {
	const (
		zone = "example.org."
		name = "cyberdyne-web-sfo-prod.example.org."
		rev  = "37.13.in-addr.arpa."
	)
	for _, tc := range []struct {
		name   string
		msg    *dns.Msg
		zone   string
		update []string
		lease  uint32 // 0: no lease option
	}{
		{
			name: "replace with one IPv4 address",
			msg:  addressUpdate(zone, name, addrs("13.37.1.1"), time.Minute, time.Hour),
			zone: zone,
			update: []string{
				name + " 0 CLASS255 A",
				name + " 0 CLASS255 AAAA",
				name + " 60 IN A 13.37.1.1",
			},
			lease: 3600,
		},
		{
			name: "replace with IPv4 and IPv6",
			msg:  addressUpdate(zone, name, addrs("13.37.1.1", "2001:db8::1"), 30*time.Second, 2*time.Second),
			zone: zone,
			update: []string{
				name + " 0 CLASS255 A",
				name + " 0 CLASS255 AAAA",
				name + " 30 IN A 13.37.1.1",
				name + " 30 IN AAAA 2001:db8::1",
			},
			lease: 2,
		},
		{
			name: "replace with nothing deletes",
			msg:  addressUpdate(zone, name, nil, time.Minute, time.Hour),
			zone: zone,
			update: []string{
				name + " 0 CLASS255 A",
				name + " 0 CLASS255 AAAA",
			},
			lease: 3600,
		},
		{
			name: "delete: the same shape without additions or lease",
			msg:  addressDelete(zone, name),
			zone: zone,
			update: []string{
				name + " 0 CLASS255 A",
				name + " 0 CLASS255 AAAA",
			},
		},
		{
			name: "PTR replace, and the PTR of an address gone",
			msg:  ptrUpdate(rev, name, addrs("13.37.1.2"), addrs("13.37.1.1"), time.Minute, time.Hour),
			zone: rev,
			update: []string{
				"1.1.37.13.in-addr.arpa. 0 NONE PTR " + name,
				"2.1.37.13.in-addr.arpa. 0 CLASS255 PTR",
				"2.1.37.13.in-addr.arpa. 60 IN PTR " + name,
			},
			lease: 3600,
		},
		{
			name: "IPv6 PTR replace",
			msg:  ptrUpdate("8.b.d.0.1.0.0.2.ip6.arpa.", name, addrs("2001:db8::1"), nil, time.Minute, time.Hour),
			zone: "8.b.d.0.1.0.0.2.ip6.arpa.",
			update: []string{
				"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 0 CLASS255 PTR",
				"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 60 IN PTR " + name,
			},
			lease: 3600,
		},
		{
			name: "PTR delete removes only the records pointing at the host",
			msg:  ptrDelete(rev, name, addrs("13.37.1.1", "13.37.1.2")),
			zone: rev,
			update: []string{
				"1.1.37.13.in-addr.arpa. 0 NONE PTR " + name,
				"2.1.37.13.in-addr.arpa. 0 NONE PTR " + name,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wire, err := tc.msg.Pack()
			if err != nil {
				t.Fatal(err)
			}
			m := new(dns.Msg)
			if err := m.Unpack(wire); err != nil {
				t.Fatal(err)
			}
			if m.Opcode != dns.OpcodeUpdate || len(m.Question) != 1 || m.Question[0].Name != tc.zone || m.Question[0].Qtype != dns.TypeSOA {
				t.Errorf("zone section: opcode %d, %v", m.Opcode, m.Question)
			}
			if len(m.Answer) != 0 {
				t.Errorf("prerequisites: %v", m.Answer)
			}
			if got := rrs(m.Ns); !slices.Equal(got, tc.update) {
				t.Errorf("update section:\n got %q\nwant %q", got, tc.update)
			}
			lease, ok := grantedLease(m)
			if tc.lease == 0 {
				if len(m.Extra) != 0 {
					t.Errorf("additional section: %v", m.Extra)
				}
				return
			}
			if !ok || lease != time.Duration(tc.lease)*time.Second {
				t.Errorf("lease option: %v %v, want %d s", lease, ok, tc.lease)
			}
			// The 4-byte form: code 2, length 4, LEASE.
			opt := []byte{0, 2, 0, 4, byte(tc.lease >> 24), byte(tc.lease >> 16), byte(tc.lease >> 8), byte(tc.lease)}
			if !bytes.HasSuffix(wire, opt) {
				t.Errorf("wire form does not end with the 4-byte Update Lease option %x:\n%x", opt, wire)
			}
		})
	}
}

func TestGrantedLease(t *testing.T) {
	none := new(dns.Msg)
	noUL := new(dns.Msg).SetEdns0(1232, false)
	granted := new(dns.Msg)
	setLease(granted, 90*time.Second)
	keyLease := new(dns.Msg).SetEdns0(1232, false)
	keyLease.IsEdns0().Option = append(keyLease.IsEdns0().Option, &dns.EDNS0_UL{Code: dns.EDNS0UL, Lease: 30, KeyLease: 600})
	for _, tc := range []struct {
		name string
		msg  *dns.Msg
		want time.Duration
		ok   bool
	}{
		{"no OPT", none, 0, false},
		{"OPT without the option", noUL, 0, false},
		{"4-byte option", granted, 90 * time.Second, true},
		{"8-byte option: the lease, not the key lease", keyLease, 30 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := grantedLease(tc.msg); got != tc.want || ok != tc.ok {
				t.Errorf("got %v %v, want %v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestReverseZone(t *testing.T) {
	zones := []string{"13.in-addr.arpa.", "37.13.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."}
	for _, tc := range []struct{ addr, want string }{
		{"37.13.1.1", ""},
		{"13.37.1.1", "37.13.in-addr.arpa."}, // the longest match
		{"13.38.1.1", "13.in-addr.arpa."},
		{"2001:db8::1", "8.b.d.0.1.0.0.2.ip6.arpa."},
		{"2001:db9::1", ""},
	} {
		if got := reverseZone(netip.MustParseAddr(tc.addr), zones); got != tc.want {
			t.Errorf("reverseZone(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
