package zone

import "github.com/miekg/dns"

// Changeset is the effective change of one committed transaction: the zone
// moved from serial From to serial To by deleting Del, then adding Add.
// It holds explicit records only (the SOA included); derived records follow
// from them. It is what the journal stores and what IXFR will send.
type Changeset struct {
	From, To uint32
	Del, Add []dns.RR
	// Leases are the records whose lease the change set or ended (Until
	// 0), deleted records included. A renewal changes leases alone.
	Leases []Lease
}

// Empty reports whether the changeset changes nothing, leases included.
func (c Changeset) Empty() bool { return len(c.Del) == 0 && len(c.Add) == 0 && len(c.Leases) == 0 }

// ChangesRecords reports whether the changeset changes records (and so the
// serial): what secondaries must be told of.
func (c Changeset) ChangesRecords() bool { return len(c.Del) > 0 || len(c.Add) > 0 }

// Apply replays a changeset into the transaction, record by record, exactly
// as stored: no RFC 2136 rules apply, they were applied when it was made.
func (t *Txn) Apply(c Changeset) {
	for _, rr := range c.Del {
		name, typ := rr.Header().Name, rr.Header().Rrtype
		old := t.Own(name, typ)
		kept := make([]dns.RR, 0, len(old))
		for _, x := range old {
			if !sameRR(x, rr) {
				kept = append(kept, x)
			}
		}
		t.Set(name, typ, kept)
	}
	for _, rr := range c.Add {
		name, typ := rr.Header().Name, rr.Header().Rrtype
		old := t.Own(name, typ)
		if !containsRR(old, rr) {
			t.Set(name, typ, append(old[:len(old):len(old)], rr))
		}
	}
	for _, l := range c.Leases {
		t.SetLease(l.RR, l.Until)
	}
}
