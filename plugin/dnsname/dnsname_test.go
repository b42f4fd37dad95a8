package dnsname

import (
	"testing"

	"github.com/miekg/dns"
)

func TestWithinAgreesWithIsSubDomain(t *testing.T) {
	names := []string{".", "org.", "example.org.", "EXAMPLE.org.", "www.example.org.", "a.b.Example.ORG.",
		"xexample.org.", "example.org.x.", `a\.example.org.`, `a\046example.org.`, "ample.org.", "e.org."}
	for _, origin := range names {
		for _, name := range names {
			if got, want := Within(name, origin), dns.IsSubDomain(origin, name); got != want {
				t.Errorf("Within(%q, %q) = %v, dns.IsSubDomain says %v", name, origin, got, want)
			}
		}
	}
}

func TestWithinDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Within("h1-web-prod.Example.org.", "example.org.") }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
