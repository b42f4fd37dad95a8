package update

import (
	"slices"
	"testing"

	"github.com/miekg/dns"
)

type want struct {
	name string
	typ  uint16
	rrs  []string
}

func TestRFC2136(t *testing.T) {
	www := []string{"www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.2"}
	tests := []struct {
		name    string
		zone    string
		prereqs []string
		updates []string
		rcode   int
		serial  uint32 // 0: unchanged (10)
		want    []want
	}{
		// §3.2 prerequisites
		{name: "prereq TTL not zero", prereqs: []string{"www.example.org. 60 ANY A"}, rcode: dns.RcodeFormatError},
		{name: "prereq outside zone", prereqs: []string{"www.example.net. 0 ANY ANY"}, rcode: dns.RcodeNotZone},
		{name: "prereq ANY with rdata", prereqs: []string{"www.example.org. 0 ANY A 192.0.2.1"}, rcode: dns.RcodeFormatError},
		{name: "name in use", prereqs: []string{"www.example.org. 0 ANY ANY"}, updates: []string{"new.example.org. 60 IN A 192.0.2.7"}, serial: 11},
		{name: "name not in use", prereqs: []string{"nope.example.org. 0 ANY ANY"}, rcode: dns.RcodeNameError},
		{name: "empty non-terminal is not in use", prereqs: []string{"b.example.org. 0 ANY ANY"}, rcode: dns.RcodeNameError},
		{name: "wildcard does not match", prereqs: []string{"x.wild.example.org. 0 ANY ANY"}, rcode: dns.RcodeNameError},
		{name: "rrset exists", prereqs: []string{"www.example.org. 0 ANY A"}},
		{name: "rrset missing", prereqs: []string{"www.example.org. 0 ANY MX"}, rcode: dns.RcodeNXRrset},
		{name: "cname not followed", prereqs: []string{"alias.example.org. 0 ANY A"}, rcode: dns.RcodeNXRrset},
		{name: "name unused holds", prereqs: []string{"nope.example.org. 0 NONE ANY"}},
		{name: "empty non-terminal counts as unused", prereqs: []string{"b.example.org. 0 NONE ANY"}},
		{name: "name used", prereqs: []string{"www.example.org. 0 NONE ANY"}, rcode: dns.RcodeYXDomain},
		{name: "rrset absent holds", prereqs: []string{"www.example.org. 0 NONE MX"}},
		{name: "rrset present", prereqs: []string{"www.example.org. 0 NONE A"}, rcode: dns.RcodeYXRrset},
		{name: "NONE with rdata", prereqs: []string{"www.example.org. 0 NONE A 192.0.2.1"}, rcode: dns.RcodeFormatError},
		{name: "value: exact set, any order", prereqs: []string{"www.example.org. 0 IN A 192.0.2.2", "www.example.org. 0 IN A 192.0.2.1"}},
		{name: "value: subset fails", prereqs: []string{"www.example.org. 0 IN A 192.0.2.1"}, rcode: dns.RcodeNXRrset},
		{name: "value: superset fails", prereqs: []string{"www.example.org. 0 IN A 192.0.2.1", "www.example.org. 0 IN A 192.0.2.2", "www.example.org. 0 IN A 192.0.2.3"}, rcode: dns.RcodeNXRrset},
		{name: "value: names in rdata case-insensitive", prereqs: []string{"MX.example.org. 0 IN MX 10 mail.EXAMPLE.org."}},
		{name: "value: interleaved names", prereqs: []string{"www.example.org. 0 IN A 192.0.2.1", "mx.example.org. 0 IN MX 10 mail.example.org.", "www.example.org. 0 IN A 192.0.2.2"}},
		{name: "value: missing rrset", prereqs: []string{"nope.example.org. 0 IN A 192.0.2.1"}, rcode: dns.RcodeNXRrset},
		{name: "prereq other class", prereqs: []string{"www.example.org. 0 CH A 192.0.2.1"}, rcode: dns.RcodeFormatError},
		{name: "prereqs checked before the prescan", prereqs: []string{"nope.example.org. 0 ANY ANY"}, updates: []string{"x.example.net. 60 IN A 192.0.2.1"}, rcode: dns.RcodeNameError},

		// §3.4.1 prescan
		{name: "update outside zone", updates: []string{"x.example.net. 60 IN A 192.0.2.1"}, rcode: dns.RcodeNotZone},
		{name: "update above zone", updates: []string{"org. 60 IN A 192.0.2.1"}, rcode: dns.RcodeNotZone},
		{name: "add meta type", updates: []string{"x.example.org. 60 IN ANY"}, rcode: dns.RcodeFormatError},
		{name: "add TKEY", updates: []string{"x.example.org. 60 IN TKEY"}, rcode: dns.RcodeFormatError},
		{name: "add without rdata", updates: []string{"x.example.org. 60 IN A"}, rcode: dns.RcodeFormatError},
		{name: "delete rrset with TTL", updates: []string{"www.example.org. 60 ANY A"}, rcode: dns.RcodeFormatError},
		{name: "delete rrset with rdata", updates: []string{"www.example.org. 0 ANY A 192.0.2.1"}, rcode: dns.RcodeFormatError},
		{name: "delete rrset of meta type", updates: []string{"www.example.org. 0 ANY AXFR"}, rcode: dns.RcodeFormatError},
		{name: "delete rr with TTL", updates: []string{"www.example.org. 60 NONE A 192.0.2.1"}, rcode: dns.RcodeFormatError},
		{name: "delete rr of meta type", updates: []string{"www.example.org. 0 NONE ANY"}, rcode: dns.RcodeFormatError},
		{name: "other class", updates: []string{"www.example.org. 60 CH A 192.0.2.1"}, rcode: dns.RcodeFormatError},
		{name: "signer-only type refused", updates: []string{"www.example.org. 60 IN NSEC next.example.org. A"}, rcode: dns.RcodeRefused},
		{name: "a bad record anywhere changes nothing", updates: []string{"new.example.org. 60 IN A 192.0.2.7", "x.example.net. 60 IN A 192.0.2.1"}, rcode: dns.RcodeNotZone,
			want: []want{{"new.example.org.", dns.TypeA, nil}}},

		// §3.4.2 changes
		{name: "add joins the rrset", updates: []string{"www.example.org. 300 IN A 192.0.2.3"}, serial: 11,
			want: []want{{"www.example.org.", dns.TypeA, append(slices.Clone(www), "www.example.org. 300 IN A 192.0.2.3")}}},
		{name: "duplicate add is a no-op", updates: []string{"www.example.org. 300 IN A 192.0.2.1"},
			want: []want{{"www.example.org.", dns.TypeA, www}}},
		{name: "add with a new TTL sets the rrset TTL", updates: []string{"www.example.org. 30 IN A 192.0.2.1"}, serial: 11,
			want: []want{{"www.example.org.", dns.TypeA, []string{"www.example.org. 30 IN A 192.0.2.1", "www.example.org. 30 IN A 192.0.2.2"}}}},
		{name: "owner names are case-insensitive", updates: []string{"WWW.Example.ORG. 300 IN A 192.0.2.3"}, serial: 11,
			want: []want{{"www.example.org.", dns.TypeA, append(slices.Clone(www), "www.example.org. 300 IN A 192.0.2.3")}}},
		{name: "cname beside data ignored", updates: []string{"www.example.org. 300 IN CNAME other.example.org."},
			want: []want{{"www.example.org.", dns.TypeA, www}}},
		{name: "data beside cname ignored", updates: []string{"alias.example.org. 300 IN TXT \"x\""},
			want: []want{{"alias.example.org.", dns.TypeTXT, nil}}},
		{name: "cname replaces cname", updates: []string{"alias.example.org. 300 IN CNAME mx.example.org."}, serial: 11,
			want: []want{{"alias.example.org.", dns.TypeCNAME, []string{"alias.example.org. 300 IN CNAME mx.example.org."}}}},
		{name: "order matters: data then cname", updates: []string{"n.example.org. 60 IN TXT \"t\"", "n.example.org. 60 IN CNAME www.example.org."}, serial: 11,
			want: []want{{"n.example.org.", dns.TypeTXT, []string{"n.example.org. 60 IN TXT \"t\""}}, {"n.example.org.", dns.TypeCNAME, nil}}},
		{name: "order matters: cname then data", updates: []string{"n.example.org. 60 IN CNAME www.example.org.", "n.example.org. 60 IN TXT \"t\""}, serial: 11,
			want: []want{{"n.example.org.", dns.TypeCNAME, []string{"n.example.org. 60 IN CNAME www.example.org."}}}},
		{name: "newer SOA replaces", updates: []string{"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 20 1 1 1 1"}, serial: 20},
		{name: "older SOA ignored", updates: []string{"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 9 1 1 1 1"}},
		{name: "equal SOA ignored", updates: []string{"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 10 1 1 1 1"}},
		{name: "SOAs in one message cannot walk the serial back", updates: []string{
			"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 2147483657 1 1 1 1",
			"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 0 1 1 1 1"}, serial: 2147483657},
		{name: "SOA with serial 0 ignored", updates: []string{"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 0 1 1 1 1"}},
		{name: "delete and re-add keeps order", updates: []string{"www.example.org. 0 NONE A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.1"},
			want: []want{{"www.example.org.", dns.TypeA, www}}},
		{name: "SOA below apex ignored", updates: []string{"www.example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 99 1 1 1 1"},
			want: []want{{"www.example.org.", dns.TypeSOA, nil}}},
		{name: "delete rrset", updates: []string{"www.example.org. 0 ANY A"}, serial: 11,
			want: []want{{"www.example.org.", dns.TypeA, nil}}},
		{name: "delete name", updates: []string{"mx.example.org. 0 ANY ANY"}, serial: 11,
			want: []want{{"mx.example.org.", dns.TypeMX, nil}}},
		{name: "delete apex name keeps SOA and NS", updates: []string{"example.org. 0 ANY ANY"},
			want: []want{{"example.org.", dns.TypeNS, []string{"example.org. 300 IN NS ns1.example.org.", "example.org. 300 IN NS ns2.example.org."}}}},
		{name: "delete apex NS rrset ignored", updates: []string{"example.org. 0 ANY NS"},
			want: []want{{"example.org.", dns.TypeNS, []string{"example.org. 300 IN NS ns1.example.org.", "example.org. 300 IN NS ns2.example.org."}}}},
		{name: "delete apex SOA ignored", updates: []string{"example.org. 0 ANY SOA", "example.org. 0 NONE SOA ns1.example.org. hostmaster.example.org. 10 3600 600 604800 60"}},
		{name: "delete one apex NS", updates: []string{"example.org. 0 NONE NS ns2.example.org."}, serial: 11,
			want: []want{{"example.org.", dns.TypeNS, []string{"example.org. 300 IN NS ns1.example.org."}}}},
		{name: "delete last apex NS ignored", updates: []string{"example.org. 0 NONE NS ns2.example.org.", "example.org. 0 NONE NS ns1.example.org."}, serial: 11,
			want: []want{{"example.org.", dns.TypeNS, []string{"example.org. 300 IN NS ns1.example.org."}}}},
		{name: "delete delegation NS", updates: []string{"sub.example.org. 0 NONE NS ns.sub.example.org."}, serial: 11,
			want: []want{{"sub.example.org.", dns.TypeNS, nil}}},
		{name: "delete one rr", updates: []string{"www.example.org. 0 NONE A 192.0.2.1"}, serial: 11,
			want: []want{{"www.example.org.", dns.TypeA, []string{"www.example.org. 300 IN A 192.0.2.2"}}}},
		{name: "delete rr case-insensitive rdata", updates: []string{"mx.example.org. 0 NONE MX 10 MAIL.example.ORG."}, serial: 11,
			want: []want{{"mx.example.org.", dns.TypeMX, nil}}},
		{name: "delete absent data", updates: []string{"www.example.org. 0 NONE A 192.0.2.99", "nope.example.org. 0 ANY ANY", "www.example.org. 0 ANY MX"}},
		{name: "wildcard owner stored literally", updates: []string{"*.w2.example.org. 60 IN A 192.0.2.8"}, serial: 11,
			want: []want{{"anything.w2.example.org.", dns.TypeA, []string{"anything.w2.example.org. 60 IN A 192.0.2.8"}}}},
		{name: "re-registration changes nothing", updates: []string{"www.example.org. 0 ANY A", "www.example.org. 300 IN A 192.0.2.1", "www.example.org. 300 IN A 192.0.2.2"},
			want: []want{{"www.example.org.", dns.TypeA, www}}},
		{name: "add then delete leaves no trace", updates: []string{"t.example.org. 60 IN A 192.0.2.7", "t.example.org. 0 NONE A 192.0.2.7"}},
		{name: "unknown type", updates: []string{"u.example.org. 60 IN TYPE65280 \\# 2 abcd"}, serial: 11,
			want: []want{{"u.example.org.", 65280, []string{"u.example.org. 60 CLASS1 TYPE65280 \\# 2 abcd"}}}},

		// §3.1 is the caller's, but Apply must not care which zone the message names
		{name: "service derived from a registered host", updates: []string{"cyberdyne-web-sfo-prod.example.org. 60 IN A 13.37.1.1", "techcom-web-sfo-prod.example.org. 60 IN A 13.37.1.2"}, serial: 11,
			want: []want{{"web.example.org.", dns.TypeA, []string{"web.example.org. 60 IN A 13.37.1.1", "web.example.org. 60 IN A 13.37.1.2"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := newZone(t)
			rcode := run(t, z, msg(t, origin, tc.prereqs, tc.updates), Options{Permit: permitAll})
			if rcode != tc.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[rcode], dns.RcodeToString[tc.rcode])
			}
			serial := tc.serial
			if serial == 0 {
				serial = 10
			}
			if got := z.Current().Serial(); got != serial {
				t.Errorf("serial %d, want %d", got, serial)
			}
			for _, w := range tc.want {
				if got := rrset(z, w.name, w.typ); !slices.Equal(got, w.rrs) {
					t.Errorf("%s %s:\n got %q\nwant %q", w.name, dns.TypeToString[w.typ], got, w.rrs)
				}
			}
		})
	}
}

func TestPermission(t *testing.T) {
	z := newZone(t)
	m := msg(t, origin, nil, []string{"new.example.org. 60 IN A 192.0.2.7"})
	if rc := run(t, z, m, Options{Permit: func([]dns.RR) bool { return false }}); rc != dns.RcodeRefused {
		t.Errorf("denied update: %s", dns.RcodeToString[rc])
	}
	if rc := run(t, z, m, Options{}); rc != dns.RcodeRefused {
		t.Errorf("update without a policy: %s", dns.RcodeToString[rc])
	}
	if z.Current().Serial() != 10 {
		t.Error("a refused update changed the zone")
	}
	// Prerequisites come before permission (§3.2 then §3.3).
	m = msg(t, origin, []string{"nope.example.org. 0 ANY ANY"}, []string{"new.example.org. 60 IN A 192.0.2.7"})
	if rc := run(t, z, m, Options{}); rc != dns.RcodeNameError {
		t.Errorf("prerequisite failure before permission: %s", dns.RcodeToString[rc])
	}
}

func TestZoneRecordLimit(t *testing.T) {
	z := newZone(t)
	limit := z.Current().Records() + 1
	o := Options{Permit: permitAll, MaxZoneRecords: limit}
	if rc := run(t, z, msg(t, origin, nil, []string{"a1.example.org. 60 IN A 192.0.2.1"}), o); rc != dns.RcodeSuccess {
		t.Fatalf("first add: %s", dns.RcodeToString[rc])
	}
	if rc := run(t, z, msg(t, origin, nil, []string{"a2.example.org. 60 IN A 192.0.2.1"}), o); rc != dns.RcodeRefused {
		t.Errorf("add over the limit: %s", dns.RcodeToString[rc])
	}
	o.MaxZoneRecords = 1
	if rc := run(t, z, msg(t, origin, nil, []string{"a1.example.org. 0 ANY A"}), o); rc != dns.RcodeSuccess {
		t.Errorf("a delete in a zone over the limit: %s", dns.RcodeToString[rc])
	}
}

func TestSerialWrapsPastZero(t *testing.T) {
	z := newZone(t)
	// RFC 1982: a serial is later only when less than 2^31 ahead, so step there.
	for _, s := range []string{"2000000000", "4000000000", "4294967295"} {
		up := msg(t, origin, nil, []string{"example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. " + s + " 1 1 1 1"})
		if rc := run(t, z, up, Options{Permit: permitAll}); rc != dns.RcodeSuccess {
			t.Fatal(dns.RcodeToString[rc])
		}
	}
	if got := z.Current().Serial(); got != 4294967295 {
		t.Fatalf("serial %d", got)
	}
	run(t, z, msg(t, origin, nil, []string{"new.example.org. 60 IN A 192.0.2.7"}), Options{Permit: permitAll})
	if got := z.Current().Serial(); got != 1 {
		t.Errorf("serial after wrap %d, want 1 (0 is skipped)", got)
	}
}
