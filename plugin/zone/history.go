package zone

import (
	"sync"

	"github.com/miekg/dns"
)

// The zone keeps its latest changesets for incremental transfers (RFC 1995).
// They hold explicit records only; the derived records a secondary must also
// change are recomputed, not stored: Incremental rewinds the current version
// through the inverse changesets (a transaction on the persistent tree, so
// the old version shares everything the range did not touch) and compares
// the served data of the names the range touched. Derivation is a function
// of the explicit data and the rules, so the rewound version serves exactly
// what the zone served at that serial, as long as the rules did not change
// in between: SetDeriver starts the history over.

// DefaultHistory is how many changesets a zone keeps for IXFR by default.
const DefaultHistory = 1000

// history is the list of the latest changesets that changed records, each
// continuing the one before it.
type history struct {
	mu   sync.Mutex
	max  int // 0: keep none
	list []Changeset
}

// add appends a committed changeset; a changeset that does not continue the
// last one (the zone file was replaced) starts the history over.
func (h *history) add(cs Changeset) {
	if !cs.ChangesRecords() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.max == 0 {
		return
	}
	if n := len(h.list); n > 0 && h.list[n-1].To != cs.From {
		h.list = nil
	}
	h.list = append(h.list, Changeset{From: cs.From, To: cs.To, Del: cs.Del, Add: cs.Add})
	h.trim()
}

// trim drops the oldest changesets past max, copying the rest now and then
// so the backing array does not keep what was dropped.
func (h *history) trim() {
	if len(h.list) <= h.max {
		return
	}
	h.list = h.list[len(h.list)-h.max:]
	if cap(h.list) > 2*h.max {
		h.list = append([]Changeset(nil), h.list...)
	}
}

func (h *history) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.list = nil
}

// since returns the changesets from serial from on (nil when from is not
// the start of one of them). The slice must not be modified.
func (h *history) since(from uint32) []Changeset {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.list) - 1; i >= 0; i-- {
		if h.list[i].From == from {
			return h.list[i:len(h.list):len(h.list)]
		}
	}
	return nil
}

// SetHistory sets how many changesets the zone keeps for IXFR (0: none).
func (z *Zone) SetHistory(n int) {
	z.history.mu.Lock()
	defer z.history.mu.Unlock()
	z.history.max = max(n, 0)
	z.history.trim()
}

// Remember adds changesets that were committed before this process (a
// journal replayed at start) to the history, oldest first. Unless they lead
// to the current serial (the zone file was edited since), it keeps none.
func (z *Zone) Remember(cs ...Changeset) {
	for _, c := range cs {
		z.history.add(c)
	}
	z.history.mu.Lock()
	defer z.history.mu.Unlock()
	if n := len(z.history.list); n > 0 && z.history.list[n-1].To != z.Current().Serial() {
		z.history.list = nil
	}
}

// Incremental returns what changed in the served data (derived records
// included) between serial from and the current version v, condensed:
// the records to remove, then those to add, and the SOA the zone had at
// from. ok is false when the history does not reach back to from; the
// caller then transfers the whole zone. Its cost is that of the changes,
// not of the zone.
func (z *Zone) Incremental(from uint32) (v *Version, oldSOA *dns.SOA, removed, added []dns.RR, ok bool) {
	z.wmu.Lock() // one version and the history that leads to it
	v = z.cur.Load()
	list, d := z.history.since(from), z.deriver
	z.wmu.Unlock()
	if len(list) == 0 || list[len(list)-1].To != v.Serial() {
		return v, nil, nil, nil, false
	}
	t := newTxn(v, d)
	for i := len(list) - 1; i >= 0; i-- {
		c := list[i]
		t.Apply(Changeset{From: c.To, To: c.From, Del: c.Add, Add: c.Del})
	}
	old := t.commit(0)
	if old.SOA() == nil || old.SOA().Serial != from {
		return v, nil, nil, nil, false
	}
	for _, name := range touched(list, d, v.origin) {
		r, a := diffNode(old.Node(name), v.Node(name))
		removed, added = append(removed, r...), append(added, a...)
	}
	return v, old.SOA(), removed, added, true
}

// touched lists the names whose served data the changesets may have
// changed: their owners, and the services their hosts derive.
func touched(list []Changeset, d Deriver, origin string) []string {
	seen := map[string]bool{}
	var names []string
	note := func(name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	for _, c := range list {
		for _, rrs := range [][]dns.RR{c.Del, c.Add} {
			for _, rr := range rrs {
				name := rr.Header().Name
				note(name)
				t := rr.Header().Rrtype
				if d == nil || (t != dns.TypeA && t != dns.TypeAAAA) || name == origin || parentName(name) != origin {
					continue
				}
				for _, svc := range d.Services(firstLabel(name)) {
					note(svc + "." + origin)
				}
			}
		}
	}
	return names
}

// diffNode compares the served records of one name in two versions (nil:
// the name does not exist), leaving out the SOA, which a transfer frames
// the changes with.
func diffNode(old, cur *Node) (removed, added []dns.RR) {
	var oldSets, curSets []*RRset
	if old != nil {
		oldSets = old.Sets()
	}
	if cur != nil {
		curSets = cur.Sets()
	}
	for _, s := range oldSets {
		if s.Type() == dns.TypeSOA {
			continue
		}
		removed = append(removed, missing(s, findSet(curSets, s.Type()))...)
	}
	for _, s := range curSets {
		if s.Type() == dns.TypeSOA {
			continue
		}
		added = append(added, missing(s, findSet(oldSets, s.Type()))...)
	}
	return removed, added
}

// missing returns the records of s that other does not hold (TTL
// included: a TTL change is a removal and an addition).
func missing(s, other *RRset) []dns.RR {
	if other == nil {
		return s.Records()
	}
	if other == s || s.sameRecords(other) {
		return nil // the same set, or the same records: unchanged
	}
	var out []dns.RR
	if s.sorted() && other.sorted() { // versions of a service: O(what changed)
		diffLists(s.ext.parts, other.ext.parts, func(rr dns.RR, inS bool) bool {
			if inS {
				out = append(out, rr)
			}
			return true
		})
		return out
	}
	in := make(map[string]bool, other.Len())
	other.Range(func(rr dns.RR) bool {
		in[rr.String()] = true
		return true
	})
	s.Range(func(rr dns.RR) bool {
		if !in[rr.String()] {
			out = append(out, rr)
		}
		return true
	})
	return out
}
