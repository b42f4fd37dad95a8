package dyndns

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// max-answers 8 on a service of 40: every answer has 8 records and no TC,
// and 5 consecutive answers together give all 40. Host names answer in full.
func TestMaxAnswers(t *testing.T) {
	addr := udpOf(startInstance(t, `cap.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
			max-answers 8
		}
	}`))
	for i := range 40 {
		m := updateMsg("cap.test.", nil, fmt.Sprintf("h%d-web-prod.cap.test. 60 IN A 192.0.2.%d", i, i+1))
		if r := exchange(t, "udp", addr, m); r.Rcode != dns.RcodeSuccess {
			t.Fatal(dns.RcodeToString[r.Rcode])
		}
	}
	seen := map[string]int{}
	for range 5 {
		q := new(dns.Msg)
		q.SetQuestion("web.cap.test.", dns.TypeA)
		r := exchange(t, "udp", addr, q)
		if len(r.Answer) != 8 || r.Truncated {
			t.Fatalf("%d records, TC %v; want 8 and no TC", len(r.Answer), r.Truncated)
		}
		for _, rr := range r.Answer {
			seen[rr.(*dns.A).A.String()]++
		}
	}
	if len(seen) != 40 {
		t.Errorf("5 answers gave %d of the 40 members", len(seen))
	}
}

// A service name with an explicit record of its own (a static backend) and
// registered hosts answers both, without duplicates: in windows of
// max-answers that together cover every record, and in AXFR. A host that
// leaves goes from both; the static record stays, though a host that had
// the same address left too.
func TestServiceAnswersExplicitAndDerivedRecords(t *testing.T) {
	i := startInstance(t, `mix.test:0 {
		bind 127.0.0.1
		transfer {
			to *
		}
		dyndns {
			allow-update 127.0.0.1
			max-answers 2
		}
	}`)
	udp, tcp := udpOf(i), i.Servers()[0].Addr().String()
	rrs := []string{"web.mix.test. 60 IN A 192.0.2.100"} // the static backend, also a host's address below
	for j := 1; j <= 4; j++ {
		rrs = append(rrs, fmt.Sprintf("h%d-web-prod.mix.test. 60 IN A 192.0.2.%d", j, j))
	}
	rrs = append(rrs, "h5-web-prod.mix.test. 60 IN A 192.0.2.100")
	if r := exchange(t, "udp", udp, updateMsg("mix.test.", nil, rrs...)); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	want := []string{"192.0.2.1", "192.0.2.100", "192.0.2.2", "192.0.2.3", "192.0.2.4"}
	check := func(want []string) {
		t.Helper()
		seen := map[string]int{}
		for range (len(want) + 1) / 2 {
			for _, ip := range addresses(t, "udp", udp, "web.mix.test.") {
				seen[ip]++
			}
		}
		if got := slices.Sorted(maps.Keys(seen)); !slices.Equal(got, want) {
			t.Errorf("windows of 2 over UDP gave %v, want %v", got, want)
		}
		var inAXFR []string
		for _, rr := range axfr(t, tcp, "mix.test.") {
			if a, ok := rr.(*dns.A); ok && a.Hdr.Name == "web.mix.test." {
				inAXFR = append(inAXFR, a.A.String())
			}
		}
		if slices.Sort(inAXFR); !slices.Equal(inAXFR, want) {
			t.Errorf("AXFR has web %v, want %v", inAXFR, want)
		}
	}
	check(want)
	leave := new(dns.Msg)
	leave.SetUpdate("mix.test.")
	leave.RemoveRRset([]dns.RR{
		&dns.A{Hdr: dns.RR_Header{Name: "h2-web-prod.mix.test.", Rrtype: dns.TypeA}},
		&dns.A{Hdr: dns.RR_Header{Name: "h5-web-prod.mix.test.", Rrtype: dns.TypeA}},
	})
	if r := exchange(t, "udp", udp, leave); r.Rcode != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[r.Rcode])
	}
	check([]string{"192.0.2.1", "192.0.2.100", "192.0.2.3", "192.0.2.4"})
}
