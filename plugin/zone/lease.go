package zone

import (
	"container/heap"
	"encoding/binary"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Leases (RFC 9664) are deadlines on explicit records. They are zone state
// like the records themselves: kept in each version (a persistent map from
// the record's identity to its deadline, so a renewal copies O(log n)),
// changed by transactions, carried by changesets to the journal, and
// written with the zone file. A record that is deleted loses its lease.
// The zone keeps a min-heap of deadlines for Expire, so expiry costs
// O(log n) per lease and never scans the zone.

// Lease gives a record (owner, type and data; the TTL does not matter) a
// deadline in Unix seconds; 0 means the record has no lease.
type Lease struct {
	RR    dns.RR
	Until int64
}

// leaseSep never occurs in a name key (labels are presentation text).
const leaseSep = 0xff

// leaseKey identifies a record whatever its TTL and the case of names in
// its data, as dns.IsDuplicate does.
func leaseKey(origin string, rr dns.RR) string {
	k := appendKey(nil, rr.Header().Name, origin)
	k = append(k, leaseSep)
	k = binary.BigEndian.AppendUint16(k, rr.Header().Rrtype)
	return string(append(k, rdataKey(rr)...))
}

// Leasable reports whether records of type t at name may have a lease:
// the SOA and the apex NS hold the zone up and never expire.
func Leasable(origin, name string, t uint16) bool {
	return t != dns.TypeSOA && !(t == dns.TypeNS && name == origin)
}

// Lease returns the deadline of rr (0: none).
func (v *Version) Lease(rr dns.RR) int64 {
	if v.leases.Len() == 0 {
		return 0
	}
	until, _ := v.leases.get(leaseKey(v.origin, rr))
	return until
}

// Leases counts the records that have a lease.
func (v *Version) Leases() int { return v.leases.Len() }

// SetLease gives rr, an explicit record of the transaction, the deadline
// until (Unix seconds; 0 removes its lease). It does nothing for a record
// the zone does not hold or that may not have a lease.
func (t *Txn) SetLease(rr dns.RR, until int64) {
	h := rr.Header()
	if !Leasable(t.origin, h.Name, h.Rrtype) || !t.holds(h.Name, h.Rrtype, rr) {
		return
	}
	t.setLease(leaseKey(t.origin, rr), rr, until)
}

func (t *Txn) setLease(key string, rr dns.RR, until int64) {
	if old, _ := t.leases.get(key); old == until {
		return
	}
	if _, seen := t.leased[key]; !seen {
		t.leaseOrder = append(t.leaseOrder, key)
	}
	if t.leased == nil {
		t.leased = map[string]dns.RR{}
	}
	t.leased[key] = rr
	if until == 0 {
		t.leases.delete(key)
	} else {
		t.leases.set(key, until)
	}
}

// dropLeases ends the leases of records the transaction deleted: before
// holds an RRset as it was, after as it is now.
func (t *Txn) dropLeases(before, after []dns.RR) {
	if t.base.leases.Len() == 0 && len(t.leased) == 0 {
		return // no record had a lease: nothing to end
	}
	for _, rr := range before {
		if !containsRR(after, rr) {
			t.setLease(leaseKey(t.origin, rr), rr, 0)
		}
	}
}

// leaseChanges returns the leases the transaction changed, in the order it
// first changed them.
func (t *Txn) leaseChanges() []Lease {
	var out []Lease
	for _, key := range t.leaseOrder {
		was, _ := t.base.leases.get(key)
		now, _ := t.leases.get(key)
		if was != now {
			out = append(out, Lease{RR: t.leased[key], Until: now})
		}
	}
	return out
}

// deadline is one entry of the expiry heap. It may be stale (the lease was
// renewed or ended since): Expire checks it against the current version.
// Stale entries leave the heap when their time comes, so the heap holds at
// most the leases plus the renewals of one lease period.
type deadline struct {
	until int64
	key   string
	rr    dns.RR
}

type deadlines []deadline

func (h deadlines) Len() int           { return len(h) }
func (h deadlines) Less(i, j int) bool { return h[i].until < h[j].until }
func (h deadlines) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deadlines) Push(x any)        { *h = append(*h, x.(deadline)) }
func (h *deadlines) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}

// expiry is a zone's heap of lease deadlines.
type expiry struct {
	mu   sync.Mutex
	heap deadlines
	wake chan struct{} // signalled when the earliest deadline may have moved
}

// schedule adds the deadlines a published changeset set.
func (e *expiry) schedule(origin string, ls []Lease) {
	e.mu.Lock()
	defer e.mu.Unlock()
	first := int64(0)
	if len(e.heap) > 0 {
		first = e.heap[0].until
	}
	for _, l := range ls {
		if l.Until == 0 {
			continue // its entry, if any, is found stale when due
		}
		heap.Push(&e.heap, deadline{until: l.Until, key: leaseKey(origin, l.RR), rr: l.RR})
	}
	if len(e.heap) > 0 && (first == 0 || e.heap[0].until < first) {
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
}

// NextExpiry returns the earliest lease deadline, or false when no record
// has a lease.
func (z *Zone) NextExpiry() (time.Time, bool) {
	z.expiry.mu.Lock()
	defer z.expiry.mu.Unlock()
	if len(z.expiry.heap) == 0 {
		return time.Time{}, false
	}
	return time.Unix(z.expiry.heap[0].until, 0), true
}

// ExpiryChanged is signalled when a commit may have moved the earliest
// lease deadline earlier.
func (z *Zone) ExpiryChanged() <-chan struct{} { return z.expiry.wake }

// Expire deletes every record whose lease ran out at now, as one committed
// change that bumps the serial (RFC 1982). It returns the expired records
// (nil when none was due) and the version that no longer holds them.
func (z *Zone) Expire(now time.Time) ([]dns.RR, *Version, error) {
	due := z.due(now.Unix())
	if len(due) == 0 {
		return nil, nil, nil
	}
	var expired []dns.RR
	_, v, err := z.Update(func(t *Txn) error {
		expired = expired[:0]
		// Grouped by RRset, so that many records of one large set (the
		// seed pattern) go with one copy of it.
		groups := map[setKey][]dns.RR{}
		var order []setKey
		seen := map[string]bool{} // a record may be due twice (renewed to the same deadline)
		for _, d := range due {
			if until, _ := t.leases.get(d.key); until == 0 || until > now.Unix() || seen[d.key] {
				continue // renewed or deleted since it was scheduled
			}
			seen[d.key] = true
			k := setKey{d.rr.Header().Name, d.rr.Header().Rrtype}
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], d.rr)
			expired = append(expired, d.rr)
		}
		for _, k := range order {
			t.remove(k.name, k.typ, groups[k], false)
		}
		if len(expired) > 0 {
			t.BumpSerial()
		}
		return nil
	})
	if err != nil {
		// Nothing was deleted: the deadlines go back to be tried again.
		z.expiry.mu.Lock()
		for _, d := range due {
			heap.Push(&z.expiry.heap, d)
		}
		z.expiry.mu.Unlock()
		return nil, nil, err
	}
	return expired, v, nil
}

// maxExpiryBatch bounds the records one expiry commit deletes: when many
// leases run out at once (hosts lost together), they go in several commits
// of bounded size (a log in etcd refuses requests over 1.5 MiB) rather
// than one that would hold the writer long or never fit.
const maxExpiryBatch = 4096

// due pops the deadlines at or before now, at most maxExpiryBatch; the
// rest stay due, so the expiry loop comes back at once.
func (z *Zone) due(now int64) []deadline {
	z.expiry.mu.Lock()
	defer z.expiry.mu.Unlock()
	var out []deadline
	for len(z.expiry.heap) > 0 && z.expiry.heap[0].until <= now && len(out) < maxExpiryBatch {
		out = append(out, heap.Pop(&z.expiry.heap).(deadline))
	}
	return out
}
