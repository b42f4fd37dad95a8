package dyndns

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const ptrCorefile = `fwd.test:0 2.0.192.in-addr.arpa:0 8.b.d.0.1.0.0.2.ip6.arpa:0 {
	bind 127.0.0.1
	transfer {
		to *
	}
	dyndns {
		directory {DIR}
		allow-update 127.0.0.1
		lease min 1 max 10
		{PTR}
	}
}`

func ptrConfig(dir string, on bool) string {
	ptr := ""
	if on {
		ptr = "ptr"
	}
	return strings.NewReplacer("{DIR}", dir, "{PTR}", ptr).Replace(ptrCorefile)
}

// ptrsAt returns the PTR targets at the reverse name of ip, sorted.
func ptrsAt(t *testing.T, addr, ip string) []string {
	t.Helper()
	rev, _ := dns.ReverseAddr(ip)
	m := new(dns.Msg)
	m.SetQuestion(rev, dns.TypePTR)
	var out []string
	for _, rr := range exchange(t, "udp", addr, m).Answer {
		out = append(out, rr.(*dns.PTR).Ptr)
	}
	slices.Sort(out)
	return out
}

// ptrUpdate is an UPDATE of zone: "NAME TTL IN TYPE DATA" adds a record,
// "-NAME TYPE" deletes an RRset, "-NAME" a name, "-NAME TYPE DATA" a record.
func ptrUpdate(zone string, lines ...string) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(zone)
	for _, l := range lines {
		f := strings.Fields(strings.TrimPrefix(l, "-"))
		switch {
		case !strings.HasPrefix(l, "-"):
			rr, err := dns.NewRR(l)
			if err != nil {
				panic(err)
			}
			m.Insert([]dns.RR{rr})
		case len(f) == 1:
			m.RemoveName([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: f[0]}}})
		case len(f) == 2:
			m.RemoveRRset([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: f[0], Rrtype: dns.StringToType[f[1]]}}})
		default:
			rr, err := dns.NewRR(f[0] + " 0 IN " + strings.Join(f[1:], " "))
			if err != nil {
				panic(err)
			}
			m.Remove([]dns.RR{rr})
		}
	}
	return m
}

func mustUpdate(t *testing.T, addr string, m *dns.Msg) {
	t.Helper()
	if r := exchange(t, "udp", addr, m); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("update %v: %s", m.Ns, dns.RcodeToString[r.Rcode])
	}
}

// With ptr, each UPDATE of a host changes its PTR before it is answered:
// added, moved on renumbering, removed with the host or its lease, never
// over an explicit PTR, and never for a derived service name.
func TestPTRFollowsHosts(t *testing.T) {
	i := startInstance(t, ptrConfig(t.TempDir(), true))
	addr := udpOf(i)
	const rev4 = "2.0.192.in-addr.arpa."
	steps := []struct {
		name  string
		msg   *dns.Msg
		lease uint32
		want  map[string][]string // address → PTR targets after the step
		bumps int                 // reverse zone serial increments
	}{
		{"add", ptrUpdate("fwd.test.", "a-web-prod.fwd.test. 60 IN A 192.0.2.1"), 0,
			map[string][]string{"192.0.2.1": {"a-web-prod.fwd.test."}}, 1},
		{"same again changes nothing", ptrUpdate("fwd.test.", "a-web-prod.fwd.test. 60 IN A 192.0.2.1"), 0,
			map[string][]string{"192.0.2.1": {"a-web-prod.fwd.test."}}, 0},
		{"renumber", ptrUpdate("fwd.test.", "-a-web-prod.fwd.test. A", "a-web-prod.fwd.test. 60 IN A 192.0.2.5"), 0,
			map[string][]string{"192.0.2.1": nil, "192.0.2.5": {"a-web-prod.fwd.test."}}, 1},
		{"explicit PTR", ptrUpdate(rev4, "9.2.0.192.in-addr.arpa. 60 IN PTR mail.other.test."), 0,
			map[string][]string{"192.0.2.9": {"mail.other.test."}}, 1},
		{"explicit wins on add", ptrUpdate("fwd.test.", "b-web-prod.fwd.test. 60 IN A 192.0.2.9"), 0,
			map[string][]string{"192.0.2.9": {"mail.other.test."}}, 0},
		{"explicit stays on delete", ptrUpdate("fwd.test.", "-b-web-prod.fwd.test."), 0,
			map[string][]string{"192.0.2.9": {"mail.other.test."}}, 0},
		{"service name gets none", ptrUpdate("fwd.test.", "web.fwd.test. 60 IN A 192.0.2.3", "c-web-prod.fwd.test. 60 IN A 192.0.2.3"), 0,
			map[string][]string{"192.0.2.3": {"c-web-prod.fwd.test."}}, 1},
		{"AAAA", ptrUpdate("fwd.test.", "d-web-prod.fwd.test. 60 IN AAAA 2001:db8::1"), 0,
			map[string][]string{"2001:db8::1": {"d-web-prod.fwd.test."}}, 0},
		{"delete name", ptrUpdate("fwd.test.", "-d-web-prod.fwd.test.", "-a-web-prod.fwd.test. A 192.0.2.5"), 0,
			map[string][]string{"2001:db8::1": nil, "192.0.2.5": nil}, 1},
		{"no reverse zone served", ptrUpdate("fwd.test.", "f-web-prod.fwd.test. 60 IN A 198.51.100.1"), 0,
			map[string][]string{"198.51.100.1": nil}, 0},
		{"shared address: the first stays", ptrUpdate("fwd.test.", "g1-web-prod.fwd.test. 60 IN A 192.0.2.20", "g2-web-prod.fwd.test. 60 IN A 192.0.2.20"), 0,
			map[string][]string{"192.0.2.20": {"g1-web-prod.fwd.test."}}, 1},
		{"lease", ptrUpdate("fwd.test.", "e-web-prod.fwd.test. 60 IN A 192.0.2.7"), 1,
			map[string][]string{"192.0.2.7": {"e-web-prod.fwd.test."}}, 1},
	}
	for _, s := range steps {
		before := serialOf(t, addr, rev4)
		if s.lease > 0 {
			withLease(s.msg, s.lease, 0)
		}
		mustUpdate(t, addr, s.msg)
		for ip, want := range s.want {
			if got := ptrsAt(t, addr, ip); !slices.Equal(got, want) {
				t.Errorf("%s: PTR of %s = %v, want %v", s.name, ip, got, want)
			}
		}
		if got := serialOf(t, addr, rev4) - before; int(got) != s.bumps {
			t.Errorf("%s: reverse serial moved by %d, want %d", s.name, got, s.bumps)
		}
	}
	// The lease runs out: the expiry commit takes the PTR with it.
	deadline := time.Now().Add(5 * time.Second)
	for len(ptrsAt(t, addr, "192.0.2.7")) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the PTR of an expired host is still there after 5 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The state a crash leaves between the forward commit and the PTR commit
// (made here by changing the zones with ptr off) is put right when the
// block starts with ptr, before it answers: missing PTRs added, PTRs into
// the forward zone that the forward zone no longer confirms removed, and
// PTRs pointing elsewhere kept.
func TestPTRRestoredAtStart(t *testing.T) {
	dir := t.TempDir()
	i := startCaddy(t, ptrConfig(dir, false))
	addr := udpOf(i)
	mustUpdate(t, addr, ptrUpdate("fwd.test.", "h-web-prod.fwd.test. 60 IN A 192.0.2.30", "k-web-prod.fwd.test. 60 IN A 192.0.2.34"))
	mustUpdate(t, addr, ptrUpdate("2.0.192.in-addr.arpa.",
		"31.2.0.192.in-addr.arpa. 60 IN PTR h-web-prod.fwd.test.",    // h moved away from .31
		"32.2.0.192.in-addr.arpa. 60 IN PTR gone-web-prod.fwd.test.", // a deleted host
		"33.2.0.192.in-addr.arpa. 60 IN PTR mail.other.test.",
		"34.2.0.192.in-addr.arpa. 60 IN PTR h-web-prod.fwd.test.", // h left .34 to k
	))
	shutdown(t, i)

	addr = udpOf(startInstance(t, ptrConfig(dir, true)))
	for ip, want := range map[string][]string{
		"192.0.2.30": {"h-web-prod.fwd.test."},
		"192.0.2.31": nil,
		"192.0.2.32": nil,
		"192.0.2.33": {"mail.other.test."},
		"192.0.2.34": {"k-web-prod.fwd.test."},
	} {
		if got := ptrsAt(t, addr, ip); !slices.Equal(got, want) {
			t.Errorf("PTR of %s = %v after the start, want %v", ip, got, want)
		}
	}
}

// Kill -9 the binary while hosts renumber and come and go, restart it: the
// forward and reverse zones agree (every host has its PTR, every PTR into
// the forward zone is confirmed by it), whatever the kill point.
func TestPTRSurvivesKill(t *testing.T) {
	dir, port := t.TempDir(), freePort(t)
	corefile := strings.Replace(ptrConfig("{DIR}", true), ":0", ":{PORT}", -1)
	addr := "127.0.0.1:" + port
	for cycle := range 2 {
		d := startBinary(t, dir, port, corefile)
		var (
			wg     sync.WaitGroup
			acked  atomic.Int64
			killed atomic.Bool
		)
		for c := range 8 {
			wg.Go(func() {
				conn, err := dns.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				defer conn.Close()
				for seq := 0; ; seq++ {
					host := fmt.Sprintf("h%d-web-prod.fwd.test.", c*4+seq%4)
					m := ptrUpdate("fwd.test.", "-"+host+" A")
					if seq%5 != 4 { // mostly renumber, sometimes leave
						rr, _ := dns.NewRR(fmt.Sprintf("%s 60 IN A 192.0.2.%d", host, 1+rand.IntN(250)))
						m.Ns = append(m.Ns, rr)
					}
					if conn.WriteMsg(m) != nil {
						return
					}
					r, err := conn.ReadMsg()
					if err != nil {
						if !killed.Load() {
							t.Errorf("read before the kill: %v", err)
						}
						return
					}
					if r.Rcode != dns.RcodeSuccess {
						t.Errorf("update: %s", dns.RcodeToString[r.Rcode])
						return
					}
					acked.Add(1)
				}
			})
		}
		for acked.Load() < 50 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(200)) * time.Millisecond)
		killed.Store(true)
		d.kill()
		wg.Wait()

		d = startBinary(t, dir, port, corefile)
		checkForwardConfirmed(t, addr, cycle)
		d.stop()
	}
}

// checkForwardConfirmed checks the ptr invariant on the zones' transfers.
func checkForwardConfirmed(t *testing.T, addr string, cycle int) {
	t.Helper()
	hosts := map[string]string{} // address → host
	for _, rr := range axfr(t, addr, "fwd.test.") {
		if a, ok := rr.(*dns.A); ok && strings.HasPrefix(a.Hdr.Name, "h") {
			hosts[a.A.String()+" "+a.Hdr.Name] = a.Hdr.Name
		}
	}
	ptrs := map[string]bool{}
	for _, rr := range axfr(t, addr, "2.0.192.in-addr.arpa.") {
		if p, ok := rr.(*dns.PTR); ok {
			ip := strings.TrimSuffix(p.Hdr.Name, ".2.0.192.in-addr.arpa.")
			key := "192.0.2." + ip + " " + p.Ptr
			if hosts[key] == "" {
				t.Errorf("cycle %d: PTR %s → %s is not confirmed by the forward zone", cycle, p.Hdr.Name, p.Ptr)
			}
			ptrs["192.0.2."+ip] = true
		}
	}
	for key := range hosts {
		if ip := strings.Fields(key)[0]; !ptrs[ip] {
			t.Errorf("cycle %d: host %s has no PTR", cycle, key)
		}
	}
	t.Logf("cycle %d: %d host addresses, %d PTRs", cycle, len(hosts), len(ptrs))
}
