package journal

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestPayloadRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 255)
	tests := []struct {
		name     string
		del, add []string
	}{
		{name: "empty"},
		{name: "A", add: []string{"a.example.org. 300 IN A 192.0.2.1"}},
		{name: "AAAA", del: []string{"a.example.org. 300 IN AAAA 2001:db8::1"}},
		{name: "long TXT", add: []string{`t.example.org. 60 IN TXT "` + long + `" "` + long + `" "` + long + `"`}},
		{name: "MX", add: []string{"example.org. 300 IN MX 10 mail.example.org."}},
		{name: "SRV", add: []string{"_sip._tcp.example.org. 300 IN SRV 10 60 5060 sip.example.org."}},
		{name: "CNAME", add: []string{"www.example.org. 300 IN CNAME example.org."}},
		{name: "PTR", add: []string{"1.2.0.192.in-addr.arpa. 300 IN PTR a.example.org."}},
		{name: "RFC 3597 unknown type", add: []string{`u.example.org. 300 IN TYPE65280 \# 2 abcd`}},
		{name: "case kept", add: []string{"MiXeD.Example.ORG. 300 IN A 192.0.2.9"}},
		{name: "many", del: []string{
			"a.example.org. 300 IN A 192.0.2.1",
			"a.example.org. 300 IN A 192.0.2.2",
		}, add: []string{
			"a.example.org. 300 IN AAAA 2001:db8::1",
			"a.example.org. 300 IN TXT \"hello\" \"world\"",
			"b.example.org. 300 IN NS ns.example.net.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Entry{From: 41, To: 42, Del: parseRRs(t, tt.del), Add: parseRRs(t, tt.add)}
			p, err := appendPayload(nil, &in)
			if err != nil {
				t.Fatalf("appendPayload: %v", err)
			}
			out, err := decodePayload(p)
			if err != nil {
				t.Fatalf("decodePayload: %v", err)
			}
			if out.From != in.From || out.To != in.To {
				t.Errorf("serials %d->%d, want %d->%d", out.From, out.To, in.From, in.To)
			}
			checkRRs(t, "Del", out.Del, in.Del)
			checkRRs(t, "Add", out.Add, in.Add)
		})
	}
}

// Leases follow the RRs; an entry with leases alone (a renewal) has no RRs.
func TestPayloadLeasesRoundTrip(t *testing.T) {
	rrs := parseRRs(t, []string{"a.example.org. 300 IN A 192.0.2.1", `k.example.org. 300 IN TXT "x"`})
	for _, in := range []Entry{
		{From: 7, To: 7, Leases: []Lease{{RR: rrs[0], Until: 1767225600}}},
		{From: 7, To: 8, Add: rrs, Leases: []Lease{{RR: rrs[0], Until: 1767225600}, {RR: rrs[1], Until: 0}}},
	} {
		p, err := appendPayload(nil, &in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := decodePayload(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Leases) != len(in.Leases) {
			t.Fatalf("%d leases, want %d", len(out.Leases), len(in.Leases))
		}
		for i, l := range out.Leases {
			if l.Until != in.Leases[i].Until || l.RR.String() != in.Leases[i].RR.String() {
				t.Errorf("lease %d = %v %d, want %v %d", i, l.RR, l.Until, in.Leases[i].RR, in.Leases[i].Until)
			}
		}
		checkRRs(t, "Add", out.Add, in.Add)
	}
}

// The RRs given to Enqueue are shared with query goroutines, so encoding
// must only read them (dns.PackRR would write Rdlength).
func TestPayloadDoesNotWriteRRs(t *testing.T) {
	rr, err := dns.NewRR("a.example.org. 300 IN A 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	rr.Header().Rdlength = 1234
	if _, err := appendPayload(nil, &Entry{Add: []dns.RR{rr}}); err != nil {
		t.Fatal(err)
	}
	if got := rr.Header().Rdlength; got != 1234 {
		t.Errorf("Rdlength changed to %d", got)
	}
}

func TestDecodePayloadErrors(t *testing.T) {
	good, err := appendPayload(nil, &Entry{From: 1, To: 2, Add: parseRRs(t, []string{"a.example.org. 300 IN A 192.0.2.1"})})
	if err != nil {
		t.Fatal(err)
	}
	leased, err := appendPayload(nil, &Entry{From: 1, To: 2, Add: parseRRs(t, []string{"a.example.org. 300 IN A 192.0.2.1"}),
		Leases: []Lease{{RR: parseRRs(t, []string{"a.example.org. 300 IN A 192.0.2.1"})[0], Until: 1700000000}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    []byte
		want string
	}{
		{"short", good[:10], "shorter"},
		{"huge counts", withUint32(good, 12, 1<<31), "do not fit"},
		{"a byte after the RRs", append(append([]byte(nil), good...), 0), "lease: truncated count"},
		{"lease count zero", binary.BigEndian.AppendUint32(append([]byte(nil), good...), 0), "does not fit"},
		{"lease count too high", withUint32(leased, len(good), 1000), "does not fit"},
		{"lease deadline cut", leased[:len(good)+4+4], "does not fit"},
		{"lease RR cut", leased[:len(leased)-1], "runs past"},
		{"trailing after the leases", append(append([]byte(nil), leased...), 0), "trailing"},
		{"count too high", withUint32(good, 8, 1), "truncated length"},
		{"rr length past end", withUint16(good, entryFixed, 0xFFFF), "runs past"},
		{"rr length short", withUint16(good, entryFixed, 5), "too short for an RR"},
		{"rr length zero", withUint16(good, entryFixed, 0), "too short for an RR"},
		{"rr bytes left over", append(withUint16(good, entryFixed, uint16(len(good)-entryFixed-2+1)), 0), "left after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodePayload(tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("decodePayload = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestAppendRecordErrors(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
		want string
	}{
		{"nil RR", Entry{Add: []dns.RR{nil}}, "nil RR"},
		{"empty owner", Entry{Add: []dns.RR{&dns.A{Hdr: dns.RR_Header{Rrtype: dns.TypeA, Class: dns.ClassINET}}}}, "not fully qualified"},
		{"relative owner", Entry{Del: []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "a", Rrtype: dns.TypeA, Class: dns.ClassINET}}}}, "not fully qualified"},
		{"oversized RR", Entry{Add: []dns.RR{&dns.RFC3597{
			Hdr:   dns.RR_Header{Name: "a.example.org.", Rrtype: 65280, Class: dns.ClassINET},
			Rdata: strings.Repeat("ab", 65535),
		}}}, "65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := []byte("keep")
			out, err := appendRecord(buf, &tt.e)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("appendRecord = %v, want error containing %q", err, tt.want)
			}
			if string(out) != "keep" {
				t.Errorf("appendRecord changed dst to %q", out)
			}
		})
	}
}

func TestSerialLE(t *testing.T) {
	tests := []struct {
		a, b uint32
		want bool
	}{
		{1, 1, true},
		{1, 2, true},
		{2, 1, false},
		{0xFFFFFFFF, 0, true}, // wraps
		{0, 0xFFFFFFFF, false},
		{0, 1<<31 - 1, true},
		{0, 1 << 31, false}, // undefined: keep the entry
		{1 << 31, 0, false},
	}
	for _, tt := range tests {
		if got := serialLE(tt.a, tt.b); got != tt.want {
			t.Errorf("serialLE(%d, %d) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func parseRRs(t testing.TB, ss []string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, s := range ss {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("dns.NewRR(%q): %v", s, err)
		}
		out = append(out, rr)
	}
	return out
}

func checkRRs(t *testing.T, what string, got, want []dns.RR) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d RRs, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].String() != want[i].String() {
			t.Errorf("%s[%d] = %q, want %q", what, i, got[i], want[i])
		}
	}
}

func withUint32(p []byte, off int, v uint32) []byte {
	p = append([]byte(nil), p...)
	binary.BigEndian.PutUint32(p[off:], v)
	return p
}

func withUint16(p []byte, off int, v uint16) []byte {
	p = append([]byte(nil), p...)
	binary.BigEndian.PutUint16(p[off:], v)
	return p
}
