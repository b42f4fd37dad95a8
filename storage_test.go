package dyndns

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/etcdtest"
	"github.com/miekg/dns"
)

// The same UPDATE messages, sent to a server keeping its zone in a
// directory and, alternately, to two replicas keeping it in etcd (this
// process and the built binary), get the same rcodes one by one and leave
// the same zone: RFC 2136 processing does not depend on the storage, and
// a replica never answers from a version another replica made old.
func TestStoragesAnswerAlike(t *testing.T) {
	c := etcdtest.Start(t, 3)
	const zoneLines = `diff.test:{PORT} {
	bind 127.0.0.1
	transfer {
		to *
	}
	dyndns {
		%s
		allow-update 127.0.0.1
	}
}`
	etcdLine := "etcd " + strings.Join(c.ClientURLs(), " ")
	_, dirTCP := startServer(t, strings.Replace(fmt.Sprintf(zoneLines, "directory "+t.TempDir()), "{PORT}", "0", 1))
	_, etcdTCP := startServer(t, strings.Replace(fmt.Sprintf(zoneLines, etcdLine), "{PORT}", "0", 1))
	port := freePort(t)
	startBinary(t, t.TempDir(), port, fmt.Sprintf(zoneLines, etcdLine))
	replicas := []string{etcdTCP, "127.0.0.1:" + port}

	r := rand.New(rand.NewPCG(7, 13))
	rcodes := map[string]int{}
	for i := range 400 {
		m := randomDiffUpdate(r)
		want := exchange(t, "tcp", dirTCP, m.Copy()).Rcode
		got := exchange(t, "tcp", replicas[i%2], m.Copy()).Rcode
		if got != want {
			t.Fatalf("message %d: etcd replica %d answered %s, the directory server %s:\n%v",
				i, i%2, dns.RcodeToString[got], dns.RcodeToString[want], m)
		}
		rcodes[dns.RcodeToString[want]]++
	}
	t.Logf("rcodes: %v", rcodes)
	want := diffZone(t, dirTCP)
	for _, addr := range replicas {
		var got []string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if got = diffZone(t, addr); slices.Equal(got, want) {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s transfers\n%s\nwant\n%s", addr, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// diffZone returns diff.test's AXFR as sorted text.
func diffZone(t *testing.T, addr string) []string {
	var out []string
	for _, rr := range axfr(t, addr, "diff.test.") {
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

// randomDiffUpdate is an UPDATE of diff.test over a few names, types and
// values, with zero to two prerequisites of every RFC 2136 kind, so that
// they hold about as often as they fail.
func randomDiffUpdate(r *rand.Rand) *dns.Msg {
	names := []string{"a", "b", "c-web-prod", "d-web-prod", "web", "x.y"}
	name := func() string { return names[r.IntN(len(names))] + ".diff.test." }
	types := []uint16{dns.TypeA, dns.TypeTXT}
	data := func(typ uint16) string {
		if typ == dns.TypeA {
			return fmt.Sprintf("192.0.2.%d", 1+r.IntN(3))
		}
		return fmt.Sprintf(`"t%d"`, r.IntN(3))
	}
	rr := func(name string, ttl uint32, class uint16, typ uint16, rdata string) dns.RR {
		if rdata == "" {
			return &dns.ANY{Hdr: dns.RR_Header{Name: name, Rrtype: typ, Class: class, Ttl: ttl}}
		}
		x, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", name, ttl, dns.TypeToString[typ], rdata))
		if err != nil {
			panic(err)
		}
		x.Header().Class = class
		return x
	}
	m := new(dns.Msg)
	m.SetUpdate("diff.test.")
	for range r.IntN(3) {
		n, typ := name(), types[r.IntN(len(types))]
		switch r.IntN(5) {
		case 0:
			m.Answer = append(m.Answer, rr(n, 0, dns.ClassANY, dns.TypeANY, "")) // name in use
		case 1:
			m.Answer = append(m.Answer, rr(n, 0, dns.ClassNONE, dns.TypeANY, "")) // name not in use
		case 2:
			m.Answer = append(m.Answer, rr(n, 0, dns.ClassANY, typ, "")) // RRset exists
		case 3:
			m.Answer = append(m.Answer, rr(n, 0, dns.ClassNONE, typ, "")) // RRset does not exist
		case 4:
			m.Answer = append(m.Answer, rr(n, 0, dns.ClassINET, typ, data(typ))) // RRset is exactly this
		}
	}
	for range 1 + r.IntN(3) {
		n, typ := name(), types[r.IntN(len(types))]
		switch r.IntN(6) {
		case 0, 1, 2:
			m.Ns = append(m.Ns, rr(n, 60, dns.ClassINET, typ, data(typ)))
		case 3:
			m.Ns = append(m.Ns, rr(n, 0, dns.ClassNONE, typ, data(typ)))
		case 4:
			m.Ns = append(m.Ns, rr(n, 0, dns.ClassANY, typ, ""))
		case 5:
			m.Ns = append(m.Ns, rr(n, 0, dns.ClassANY, dns.TypeANY, ""))
		}
	}
	return m
}
