package acl

import (
	"net/netip"
	"strings"
	"testing"
)

// BenchmarkAllowed runs a worst case (a match on the last element, past keys
// and both address families) to show Allowed does not allocate.
func BenchmarkAllowed(b *testing.B) {
	var l List
	if err := l.Parse(strings.Fields("!10.0.0.5 key a key b 2001:db8::/32 !192.168.0.0/16 none 10.0.0.0/8")); err != nil {
		b.Fatal(err)
	}
	addr := netip.MustParseAddr("::ffff:10.1.2.3")
	b.ReportAllocs()
	for b.Loop() {
		if !l.Allowed(addr, "C.") {
			b.Fatal("denied")
		}
	}
}

func TestAllowedAllocs(t *testing.T) {
	var l List
	if err := l.Parse(strings.Fields("!10.0.0.5 key a 2001:db8::/32 10.0.0.0/8")); err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr("fe80::1%eth0")
	if n := testing.AllocsPerRun(100, func() { l.Allowed(addr, "A") }); n != 0 {
		t.Errorf("Allowed allocates %v times per call", n)
	}
}
