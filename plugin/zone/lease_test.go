package zone

import (
	"fmt"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestLeases(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	host := mustRR(t, "cyberdyne-web-sfo-prod.example.org. 60 IN A 13.37.1.1")
	now := time.Now().Unix()
	setLease := func(until int64) Changeset {
		t.Helper()
		cs, _, err := z.Update(func(tx *Txn) error { tx.SetLease(host, until); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}

	cs := setLease(now + 10)
	if got := z.Current().Lease(host); got != now+10 || z.Current().Leases() != 1 {
		t.Fatalf("lease %d (%d leases), want %d", got, z.Current().Leases(), now+10)
	}
	if cs.ChangesRecords() || len(cs.Leases) != 1 || cs.From != cs.To {
		t.Fatalf("setting a lease: %+v, want a lease-only changeset", cs)
	}
	if next, ok := z.NextExpiry(); !ok || next.Unix() != now+10 {
		t.Fatalf("next expiry %v %v", next, ok)
	}

	// A TTL change keeps the lease: the record is the same.
	if _, _, err := z.Update(func(tx *Txn) error {
		tx.Set(host.Header().Name, dns.TypeA, []dns.RR{mustRR(t, "cyberdyne-web-sfo-prod.example.org. 30 IN A 13.37.1.1")})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := z.Current().Lease(host); got != now+10 {
		t.Fatalf("lease after a TTL change: %d", got)
	}

	// A renewal to later leaves a stale heap entry that expires nothing.
	setLease(now + 20)
	if rrs, _, err := z.Expire(time.Unix(now+15, 0)); err != nil || len(rrs) != 0 {
		t.Fatalf("expiry at the old deadline: %v %v", rrs, err)
	}
	serial := z.Current().Serial()
	rrs, v, err := z.Expire(time.Unix(now+20, 0))
	if err != nil || len(rrs) != 1 {
		t.Fatalf("expiry at the deadline: %v %v", rrs, err)
	}
	if v.Node(host.Header().Name) != nil || v.Serial() != serial+1 || v.Leases() != 0 {
		t.Fatalf("after expiry: node %v serial %d (want %d) leases %d", v.Node(host.Header().Name), v.Serial(), serial+1, v.Leases())
	}
	if web := v.Node("web.example.org."); web == nil || len(web.RRset(dns.TypeA).Records()) != 1 {
		t.Fatal("the service still holds the expired host")
	}
}

func TestDeleteEndsLease(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	host := mustRR(t, "techcom-web-sfo-prod.example.org. 60 IN A 13.37.1.2")
	if _, _, err := z.Update(func(tx *Txn) error { tx.SetLease(host, 1<<40); return nil }); err != nil {
		t.Fatal(err)
	}
	cs, _, err := z.Update(func(tx *Txn) error { tx.Set(host.Header().Name, dns.TypeA, nil); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if z.Current().Leases() != 0 || len(cs.Leases) != 1 || cs.Leases[0].Until != 0 {
		t.Fatalf("delete: %d leases left, changeset leases %+v", z.Current().Leases(), cs.Leases)
	}
	// The SOA and the apex NS never take a lease; nor does a missing record.
	if _, _, err := z.Update(func(tx *Txn) error {
		tx.SetLease(tx.Own("example.org.", dns.TypeSOA)[0], 1<<40)
		tx.SetLease(tx.Own("example.org.", dns.TypeNS)[0], 1<<40)
		tx.SetLease(mustRR(t, "nobody.example.org. 60 IN A 192.0.2.1"), 1<<40)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if z.Current().Leases() != 0 {
		t.Fatal("the SOA, the apex NS or a missing record got a lease")
	}
}

// Many leases running out at once in one large RRset (the seed pattern:
// every host also added to its service by hand, with a lease) are deleted
// with one copy of the set, not one per record.
func TestMassExpiryOfOneLargeSet(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	const n = 20_000
	if _, _, err := z.Update(func(tx *Txn) error {
		var rrs []dns.RR
		for i := range n {
			rrs = append(rrs, mustRR(t, fmt.Sprintf("big.example.org. 60 IN A 10.%d.%d.%d", i>>16, i>>8&255, i&255)))
		}
		tx.Set("big.example.org.", dns.TypeA, rrs)
		for i, rr := range rrs {
			if i%2 == 0 {
				tx.SetLease(rr, 100)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var v *Version
	commits, expired := 0, 0
	for expired < n/2 {
		rrs, next, err := z.Expire(time.Unix(100, 0))
		if err != nil || len(rrs) == 0 || len(rrs) > maxExpiryBatch {
			t.Fatalf("commit %d: %d expired, %v", commits, len(rrs), err)
		}
		v, expired, commits = next, expired+len(rrs), commits+1
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("expiring %d records of one set took %v", n/2, took)
	}
	if want := (n/2 + maxExpiryBatch - 1) / maxExpiryBatch; commits != want {
		t.Errorf("%d commits, want %d of at most %d records", commits, want, maxExpiryBatch)
	}
	if got := len(v.Node("big.example.org.").Own(dns.TypeA)); got != n/2 {
		t.Errorf("%d records left, want %d", got, n/2)
	}
}
