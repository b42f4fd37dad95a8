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
// A deleted record goes when its data and TTL match; an added one joins the
// end of its set unless the set has its data. The deletions from one set are
// made together, so each changed set is copied at most once for them, and
// additions cost O(1) amortized, whatever the size of the set.
func (t *Txn) Apply(c Changeset) {
	type group struct {
		name string
		typ  uint16
		rrs  []dns.RR
	}
	var groups []group
	at := map[setKey]int{}
	for _, rr := range c.Del {
		h := rr.Header()
		k := setKey{h.Name, h.Rrtype}
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, group{name: h.Name, typ: h.Rrtype})
		}
		groups[i].rrs = append(groups[i].rrs, rr)
	}
	for _, g := range groups {
		t.remove(g.name, g.typ, g.rrs, true)
	}
	for _, rr := range c.Add {
		t.appendRR(rr)
	}
	for _, l := range c.Leases {
		t.SetLease(l.RR, l.Until)
	}
}
