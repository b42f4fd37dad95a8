package update

import (
	"fmt"
	"net"
	"testing"

	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// The seed clients add "web A <ip>" explicitly at the service name, so one
// name holds thousands of explicit records. These benchmarks change one
// record of such a set; the cost per update must not grow with the set.

// benchIP is the i-th address of a benchmark set.
func benchIP(i int) net.IP { return net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).To4() }

// benchA is an A record as it arrives in an UPDATE (Rdlength set).
func benchA(name string, class uint16, ttl uint32, ip net.IP) *dns.A {
	return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: class, Ttl: ttl, Rdlength: 4}, A: ip}
}

// benchZone builds a zone whose name web holds k explicit A records, and
// hosts h0-web-prod … h(hosts-1)-web-prod that derive web.
func benchZone(b *testing.B, k, hosts int) *zone.Zone {
	return loadedZone(b, func(add func(dns.RR)) {
		for i := range k {
			add(benchA("web."+origin, dns.ClassINET, 60, benchIP(i)))
		}
		for i := range hosts {
			add(benchA(fmt.Sprintf("h%d-web-prod.%s", i, origin), dns.ClassINET, 60, net.IPv4(172, 16, 0, byte(i)).To4()))
		}
	})
}

// loadedZone builds a zone of the default apex and the records fill adds.
func loadedZone(b *testing.B, fill func(add func(dns.RR))) *zone.Zone {
	b.Helper()
	z := zone.New(origin, derive.Default())
	_, _, err := z.Update(func(tx *zone.Txn) error {
		l := tx.Loader()
		var err error
		add := func(rr dns.RR) {
			if err == nil {
				err = l.Add(rr)
			}
		}
		for _, rr := range zone.DefaultApex(origin) {
			add(rr)
		}
		fill(add)
		l.Flush()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return z
}

func benchUpdate(b *testing.B, z *zone.Zone, updates ...dns.RR) {
	m := new(dns.Msg)
	m.SetUpdate(origin)
	m.Ns = updates
	if _, _, err := z.Update(func(tx *zone.Txn) error { return Apply(tx, m, Options{Permit: permitAll}) }); err != nil {
		b.Fatal(err)
	}
}

var benchSetSizes = []int{1_000, 100_000}

// BenchmarkAddToLargeSet adds one new record to web's explicit set (which
// starts over from k records when it has grown to 2k).
func BenchmarkAddToLargeSet(b *testing.B) {
	for _, k := range benchSetSizes {
		b.Run(fmt.Sprintf("records=%d", k), func(b *testing.B) {
			z := benchZone(b, k, 0)
			b.ReportAllocs()
			i := k
			for b.Loop() {
				if i == 2*k {
					b.StopTimer()
					z, i = benchZone(b, k, 0), k
					b.StartTimer()
				}
				benchUpdate(b, z, benchA("web."+origin, dns.ClassINET, 60, benchIP(i)))
				i++
			}
		})
	}
}

// BenchmarkDeleteFromLargeSet deletes one record (class NONE) from the
// middle of web's explicit set.
func BenchmarkDeleteFromLargeSet(b *testing.B) {
	for _, k := range benchSetSizes {
		b.Run(fmt.Sprintf("records=%d", k), func(b *testing.B) {
			z := benchZone(b, k, 0)
			b.ReportAllocs()
			i := k / 2
			for b.Loop() {
				if i == k {
					b.StopTimer()
					z, i = benchZone(b, k, 0), k/2
					b.StartTimer()
				}
				benchUpdate(b, z, benchA("web."+origin, dns.ClassNONE, 0, benchIP(i)))
				i++
			}
		})
	}
}

// BenchmarkReAddToLargeSet adds a record web already holds (a seed client
// registering again): nothing changes.
func BenchmarkReAddToLargeSet(b *testing.B) {
	for _, k := range benchSetSizes {
		b.Run(fmt.Sprintf("records=%d", k), func(b *testing.B) {
			z := benchZone(b, k, 0)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				benchUpdate(b, z, benchA("web."+origin, dns.ClassINET, 60, benchIP(i%k)))
				i++
			}
		})
	}
}

// BenchmarkServiceHostUpdate renumbers one of 10 hosts of the service web,
// which also holds k explicit records: the derived addresses merge with
// them at web. With addr=also-explicit the host's new address is one of
// web's explicit records, as when every seed client adds its address at the
// service name too; with addr=derived-only it is not, so the merged set
// differs from the explicit one and is copied.
func BenchmarkServiceHostUpdate(b *testing.B) {
	for _, k := range []int{100, 10_000} {
		for _, explicit := range []bool{false, true} {
			name := fmt.Sprintf("records=%d/addr=derived-only", k)
			if explicit {
				name = fmt.Sprintf("records=%d/addr=also-explicit", k)
			}
			b.Run(name, func(b *testing.B) {
				z := benchZone(b, k, 10)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					host := fmt.Sprintf("h%d-web-prod.%s", i%10, origin)
					ip := net.IPv4(172, 17, byte(i>>8), byte(i)).To4()
					if explicit {
						ip = benchIP(i % k)
					}
					benchUpdate(b, z,
						&dns.ANY{Hdr: dns.RR_Header{Name: host, Rrtype: dns.TypeA, Class: dns.ClassANY}},
						benchA(host, dns.ClassINET, 60, ip))
					i++
				}
			})
		}
	}
}

// BenchmarkSeedLeaveJoin: in a service of k hosts that each also wrote
// their address at the service name (the seed client's pattern), one host
// leaves (its A record and its record at web deleted) and joins again.
// The leave copies web's explicit set once; nothing else may grow with k.
func BenchmarkSeedLeaveJoin(b *testing.B) {
	for _, k := range benchSetSizes {
		b.Run(fmt.Sprintf("members=%d", k), func(b *testing.B) {
			z := loadedZone(b, func(add func(dns.RR)) {
				for i := range k {
					add(benchA("web."+origin, dns.ClassINET, 60, benchIP(i)))
					add(benchA(fmt.Sprintf("h%d-web-prod.%s", i, origin), dns.ClassINET, 60, benchIP(i)))
				}
			})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				j := (i * 7919) % k
				host := fmt.Sprintf("h%d-web-prod.%s", j, origin)
				benchUpdate(b, z,
					&dns.ANY{Hdr: dns.RR_Header{Name: host, Rrtype: dns.TypeA, Class: dns.ClassANY}},
					benchA("web."+origin, dns.ClassNONE, 0, benchIP(j)))
				benchUpdate(b, z, benchA(host, dns.ClassINET, 60, benchIP(j)), benchA("web."+origin, dns.ClassINET, 60, benchIP(j)))
			}
		})
	}
}

// BenchmarkJoinBesideExplicit: web holds 16 explicit records of its own (a
// static backend, say), not its hosts' addresses, and k hosts derive it; a
// new host joins. The name serves a union of the two sets, so a join must
// not copy the k members.
func BenchmarkJoinBesideExplicit(b *testing.B) {
	for _, k := range benchSetSizes {
		b.Run(fmt.Sprintf("members=%d", k), func(b *testing.B) {
			z := loadedZone(b, func(add func(dns.RR)) {
				for i := range 16 {
					add(benchA("web."+origin, dns.ClassINET, 60, net.IPv4(192, 0, 2, byte(i)).To4()))
				}
				for i := range k {
					add(benchA(fmt.Sprintf("h%d-web-prod.%s", i, origin), dns.ClassINET, 60, benchIP(i)))
				}
			})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				benchUpdate(b, z, benchA(fmt.Sprintf("n%d-web-prod.%s", i, origin), dns.ClassINET, 60, benchIP(k+i)))
			}
		})
	}
}
