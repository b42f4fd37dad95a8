package zone

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"testing"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/miekg/dns"
)

// The seed client's pattern, at random: hosts join, leave and renumber, and
// usually (not always) also add or delete their address at the service
// name by hand. After every commit, the service serves exactly the union of
// its explicit records and its hosts' addresses, whatever path (a check of
// the growth, or a full one) served it.
func TestServiceWithExplicitMembersServesTheUnion(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	z := New("example.org.", derive.Default())
	if _, _, err := z.Update(func(tx *Txn) error {
		for _, rr := range DefaultApex("example.org.") {
			tx.Insert(rr)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	const web = "web.example.org."
	a := func(name string, ip int, ttl uint32) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: net.IPv4(10, 1, byte(ip>>8), byte(ip)).To4()}
	}
	hosts := map[int]int{} // host number → address
	for step := range 3000 {
		h := r.IntN(60)
		ip := r.IntN(500)
		ttl := uint32(60)
		if r.IntN(20) == 0 {
			ttl = 30
		}
		name := fmt.Sprintf("h%d-web-prod.example.org.", h)
		// The seed client also writes web by hand: always for the first
		// half (the explicit set then holds every member), mostly after.
		explicit := step < 1500 || r.IntN(8) != 0
		_, _, err := z.Update(func(tx *Txn) error {
			switch r.IntN(4) {
			case 0: // leave
				if old, ok := hosts[h]; ok {
					tx.Set(name, dns.TypeA, nil)
					if explicit {
						tx.DeleteRR(a(web, old, ttl))
					}
					delete(hosts, h)
				}
			default: // join or renumber
				if old, ok := hosts[h]; ok && explicit {
					tx.DeleteRR(a(web, old, ttl))
				}
				tx.Set(name, dns.TypeA, []dns.RR{a(name, ip, 60)})
				if explicit {
					tx.AddRR(a(web, ip, ttl))
				}
				hosts[h] = ip
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		v := z.Current()
		want := map[string]bool{}
		for _, ip := range hosts {
			want[net.IPv4(10, 1, byte(ip>>8), byte(ip)).String()] = true
		}
		n := v.Node(web)
		if n != nil {
			for _, rr := range n.Own(dns.TypeA) {
				want[rr.(*dns.A).A.String()] = true
			}
		}
		var got []string
		if n != nil {
			if s := n.RRset(dns.TypeA); s != nil {
				for _, rr := range s.Records() {
					got = append(got, rr.(*dns.A).A.String())
				}
			}
		}
		slices.Sort(got)
		var wantList []string
		for ip := range want {
			wantList = append(wantList, ip)
		}
		slices.Sort(wantList)
		if !slices.Equal(got, wantList) {
			t.Fatalf("step %d: web serves %v, want %v", step, got, wantList)
		}
	}
}
