package dyndns

import (
	"fmt"
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
