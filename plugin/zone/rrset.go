package zone

import (
	"slices"
	"sync/atomic"

	"github.com/miekg/dns"
)

// RRset is an immutable, non-empty set of records of one type at one name.
// A changed RRset is a new RRset, so its rotation counter restarts, as BIND's
// per-RRset counter does.
//
// An RRset is 48 bytes: most are a host's one or two addresses, so what
// large, derived and merged sets need besides is behind ext.
type RRset struct {
	// RRs are the records, except in a derived service set and a large
	// explicit address set, whose records are in ext.parts, and in a
	// served union of explicit and derived records (ext.union); RRs is nil
	// then. Readers that may meet those use Len, At, Range, Segment or
	// Records.
	RRs []dns.RR
	// Next is the rotation counter shared by every answer of this RRset.
	Next  atomic.Uint32
	typ   uint16    // the records' type: kept, since every lookup asks it
	mixed bool      // some record's TTL is not the set's
	size  int       // wire size of RRs, uncompressed
	ext   *largeSet // nil for a small explicit set
}

// largeSet is what an RRset of indexMin records or more, a derived set or a
// merged set keeps besides its records (a sorted set: its records). Read it
// through RRset.more.
type largeSet struct {
	// What large explicit sets keep to be changed cheaply (see rrindex.go).
	idx  *rrIndex // the records by data
	back *backing // the array RRs is a prefix of, when appends may go in place

	cut *cut // a large explicit set: how it follows from the one before it

	parts *chunked   // a derived set's records, or a large explicit address set's (see sorted.go)
	ttls  []ttlCount // a derived set's host records per TTL
	grew  *growth    // a derived set: how it follows from the one before it

	id uint64 // a large or derived set: its identity, for the cut or growth of the next one

	from  *[2]*RRset // the explicit and derived sets a served set merges
	union *union     // a served set that merges them without a copy
}

// recordList is how a set holds its records when they are not one slice.
type recordList interface {
	Len() int
	At(i int) dns.RR
	Range(fn func(dns.RR) bool)
	segment(i int) []dns.RR
	all() []dns.RR
}

// list returns what holds the records of a derived or union set, nil for
// a set that holds them in RRs.
func (x *largeSet) list() recordList {
	switch {
	case x.parts != nil:
		return x.parts
	case x.union != nil:
		return x.union
	}
	return nil
}

// small is the largeSet of a small set: nothing.
var small largeSet

// more returns what s keeps besides its records (small: nothing).
func (s *RRset) more() *largeSet {
	if s.ext != nil {
		return s.ext
	}
	return &small
}

// growth says how a derived set follows from the one it replaced (the set
// with id from): that set less some records plus added. It lets a service
// name whose explicit records hold every member (the seed client's
// pattern) check only the added members on a change, not all of them (see
// Node.serve). It names the set before by id, not by pointer: a pointer
// would keep every earlier version of the set alive.
type growth struct {
	from  uint64
	added []dns.RR
}

// cut says how a large explicit set follows from the one it replaced (the
// set with id from): that set less gone, plus records added. Like growth,
// it lets a service name whose explicit records held every member check
// only what changed when a member leaves (see Node.stillHeld). The cuts of
// one transaction are chained (prev), so a set changed many times in one
// commit (a batch of members joining and leaving) still names the set it
// started from; a new transaction starts a new chain, so a set keeps only
// its own transaction's cuts alive.
type cut struct {
	from uint64
	gone []dns.RR
	prev *cut   // the cut of the set with id from, made in the same transaction
	txn  uint64 // the transaction that made the set (Txn.id)
}

// since returns the records deleted from s since it was the set with id,
// and whether s follows from that set by cuts and additions in one
// transaction.
func (s *RRset) since(id uint64) ([]dns.RR, bool) {
	var gone []dns.RR
	for c := s.more().cut; c != nil; c = c.prev {
		gone = append(gone, c.gone...)
		if c.from == id {
			return gone, true
		}
	}
	return nil, false
}

// cutFrom returns the cut of a set made from s in transaction txn by
// deleting gone (none: by additions).
func (s *RRset) cutFrom(txn uint64, gone []dns.RR) *cut {
	if s.ext == nil {
		return nil
	}
	c := &cut{from: s.ext.id, gone: gone, txn: txn}
	if p := s.ext.cut; p != nil && p.txn == txn {
		c.prev = p
	}
	return c
}

// largeSets numbers large and derived sets (largeSet.id).
var largeSets atomic.Uint64

// newDerived returns a derived set; prev (nil: none) is the set it
// replaces and added what it adds to it (nil grew: not a growth of prev).
func newDerived(parts *chunked, ttls []ttlCount, prev *RRset, added []dns.RR, grew bool) *RRset {
	s := &RRset{typ: parts.At(0).Header().Rrtype, ext: &largeSet{parts: parts, ttls: ttls, id: largeSets.Add(1)}}
	if prev != nil && grew {
		s.ext.grew = &growth{from: prev.more().id, added: added}
	}
	return s
}

// Type is the RR type of the set.
func (s *RRset) Type() uint16 { return s.typ }

// TTL is the TTL of the set (the first record's; sets are kept uniform).
func (s *RRset) TTL() uint32 { return s.At(0).Header().Ttl }

// Len is the number of records.
func (s *RRset) Len() int {
	if l := s.more().list(); l != nil {
		return l.Len()
	}
	return len(s.RRs)
}

// At returns the i-th record.
func (s *RRset) At(i int) dns.RR {
	if l := s.more().list(); l != nil {
		return l.At(i)
	}
	return s.RRs[i]
}

// Range calls fn for every record in order until it returns false.
func (s *RRset) Range(fn func(dns.RR) bool) {
	if l := s.more().list(); l != nil {
		l.Range(fn)
		return
	}
	for _, rr := range s.RRs {
		if !fn(rr) {
			return
		}
	}
}

// Segment returns records i, i+1, ... as far as they are held in one
// slice (rotate.Records): the rest of RRs, or of a derived set's piece.
func (s *RRset) Segment(i int) []dns.RR {
	if l := s.more().list(); l != nil {
		return l.segment(i)
	}
	return s.RRs[i:]
}

// Records returns the records as a slice: RRs itself, or for a derived
// service set a new slice (O(k): for what is not on the answer path).
func (s *RRset) Records() []dns.RR {
	if l := s.more().list(); l != nil {
		return l.all()
	}
	return s.RRs
}

// sameRecords reports whether s and o hold their records in the same
// storage, so the same records: one sorted list, or slices that start at
// the same slot and are as long.
func (s *RRset) sameRecords(o *RRset) bool {
	if s.sorted() || o.sorted() {
		return s.sorted() && o.sorted() && s.ext.parts.root == o.ext.parts.root
	}
	return len(s.RRs) > 0 && len(s.RRs) == len(o.RRs) && &s.RRs[0] == &o.RRs[0]
}

// findSet returns the set of type t in sets (sorted by type), or nil.
func findSet(sets []*RRset, t uint16) *RRset {
	for _, s := range sets {
		if s.Type() == t {
			return s
		}
	}
	return nil
}

// withRRset returns a copy of sets with the set of type t replaced by set
// (nil removes it), keeping the order by type. An existing set keeps its
// rotation counter.
func withRRset(sets []*RRset, t uint16, set *RRset) []*RRset {
	out := make([]*RRset, 0, len(sets)+1)
	added := set == nil
	for _, s := range sets {
		switch {
		case s.Type() == t:
			continue
		case !added && s.Type() > t:
			out = append(out, set)
			added = true
		}
		out = append(out, s)
	}
	if !added {
		out = append(out, set)
	}
	return out
}

// ownSet returns the explicit set of rrs (nil when empty), made from old,
// the set it replaces (nil: none): what the two share is found by identity
// at both ends, so the index and the wire size of a set that changed in a
// few records follow in O(those records) plus one pass over pointers.
func ownSet(old *RRset, rrs []dns.RR) *RRset {
	if len(rrs) == 0 {
		return nil
	}
	if isAddress(rrs[0].Header().Rrtype) && len(rrs) >= indexMin {
		return sortedSet(rrs, nil)
	}
	rrs = rrs[:len(rrs):len(rrs)] // appends must copy, never write into a set
	if old.sorted() {
		old = nil // it shares no record slots with rrs
	}
	var was []dns.RR
	if old != nil {
		was = old.RRs
	}
	p, q := ptrDiff(was, rrs)
	removed, added := was[p:len(was)-q], rrs[p:len(rrs)-q]
	s := &RRset{RRs: rrs, typ: rrs[0].Header().Rrtype, size: wireSize(added)}
	ttl := rrs[0].Header().Ttl
	if old != nil {
		s.size += old.size - wireSize(removed)
		s.mixed = len(removed) < len(was) && (old.mixed || old.TTL() != ttl)
	}
	for _, rr := range added {
		s.mixed = s.mixed || rr.Header().Ttl != ttl
	}
	if len(rrs) >= indexMin {
		var idx *rrIndex
		if old != nil {
			idx = old.more().idx
		}
		s.ext = &largeSet{idx: reindexed(idx, rrs, removed, added), id: largeSets.Add(1)}
	}
	return s
}

// reindexed returns the index of rrs, a set that is the one idx indexes
// (nil: none) less removed plus added: idx changed in O(those records) when
// they are at most a quarter of the set, else an index built anew.
func reindexed(idx *rrIndex, rrs, removed, added []dns.RR) *rrIndex {
	if idx == nil || 4*(len(removed)+len(added)) > len(rrs) {
		return buildIndex(rrs)
	}
	for _, rr := range removed {
		idx = idx.without(rrHash(rr), rr)
	}
	for _, rr := range added {
		idx = idx.with(rrHash(rr), rr)
	}
	return idx
}

// ptrDiff returns how many records a and b share at their start (p) and,
// after that, at their end (q), by identity. Sets on one array share a
// prefix, since its slots are written once.
func ptrDiff(a, b []dns.RR) (p, q int) {
	n := min(len(a), len(b))
	if n > 0 && &a[0] == &b[0] {
		return n, 0
	}
	for p < n && same(&a[p], &b[p]) {
		p++
	}
	for q < n-p && same(&a[len(a)-1-q], &b[len(b)-1-q]) {
		q++
	}
	return p, q
}

// same reports whether *a and *b are the same record (not equal data: the
// same stored object). Every dns.RR is a pointer type, so the comparison is
// two machine words.
func same(a, b *dns.RR) bool { return *a == *b }

// indexOf returns the position of the record rr itself in rrs, or -1.
func indexOf(rrs []dns.RR, rr dns.RR) int {
	for i := range rrs {
		if same(&rrs[i], &rr) {
			return i
		}
	}
	return -1
}

// appended returns s, changed in transaction txn, with rrs (records whose
// data s does not hold) added at its end: in place when s is the newest set
// on its array and it has room, else in a copy with room, so appends to a
// large set cost O(1) amortized. A large address set is sorted instead.
func (s *RRset) appended(txn uint64, rrs ...dns.RR) *RRset {
	k, m := len(s.RRs), len(rrs)
	switch {
	case s.sorted():
		return s.appendedSorted(txn, rrs)
	case isAddress(s.typ) && k+m >= indexMin:
		return sortedSet(append(slices.Clip(s.RRs), rrs...), s.cutFrom(txn, nil))
	}
	out := &RRset{typ: s.typ, size: s.size + wireSize(rrs), mixed: s.mixed}
	for _, rr := range rrs {
		out.mixed = out.mixed || rr.Header().Ttl != s.TTL()
	}
	switch {
	case k+m < indexMin:
		out.RRs = slices.Clip(append(s.RRs[:k:k], rrs...))
		return out
	case s.more().back.claim(k, m):
		out.ext = &largeSet{back: s.ext.back, id: largeSets.Add(1), cut: s.cutFrom(txn, nil)}
		copy(out.ext.back.buf[k:], rrs)
	default:
		out.ext = &largeSet{back: &backing{buf: roomFor(k + m)}, id: largeSets.Add(1), cut: s.cutFrom(txn, nil)}
		out.ext.back.used.Store(int64(k + m))
		copy(out.ext.back.buf, s.RRs)
		copy(out.ext.back.buf[k:], rrs)
	}
	out.RRs = out.ext.back.buf[: k+m : k+m]
	out.ext.idx = reindexed(s.more().idx, out.RRs, nil, rrs)
	return out
}

// without returns s, changed in transaction txn, without the records drop
// (records of s, by identity), nil when nothing is left. Dropping the last
// record shares s's array; anything else copies the set once, however many
// records go, but for a sorted set, which copies a leaf per record.
func (s *RRset) without(txn uint64, drop []dns.RR) *RRset {
	if s.sorted() {
		return s.withoutSorted(txn, drop)
	}
	k := len(s.RRs)
	out := &RRset{typ: s.typ, mixed: s.mixed, size: s.size}
	var back *backing // the array of out's records, when it has room to grow
	var gone []dns.RR
	i := -1
	if len(drop) == 1 {
		i = indexOf(s.RRs, drop[0])
	}
	switch {
	case i == k-1: // the last record: the rest is a prefix of s
		out.RRs, gone = s.RRs[:k-1:k-1], drop
	case i >= 0: // one record: two moves of memory
		var kept []dns.RR
		if k-1 >= indexMin {
			back = &backing{buf: roomFor(k - 1)}
			back.used.Store(int64(k - 1))
			kept = back.buf[:k-1]
		} else {
			kept = make([]dns.RR, k-1)
		}
		copy(kept, s.RRs[:i])
		copy(kept[i:], s.RRs[i+1:])
		out.RRs, gone = kept[:k-1:k-1], drop
	default:
		dropped := func(x dns.RR) bool {
			for _, d := range drop {
				if d == x {
					return true
				}
			}
			return false
		}
		if len(drop) > 8 {
			set := make(map[dns.RR]struct{}, len(drop))
			for _, d := range drop {
				set[d] = struct{}{}
			}
			dropped = func(x dns.RR) bool { _, ok := set[x]; return ok }
		}
		kept := make([]dns.RR, 0, roomSize(max(k-len(drop), 0)))
		for _, x := range s.RRs {
			if dropped(x) {
				gone = append(gone, x)
			} else {
				kept = append(kept, x)
			}
		}
		if len(kept) >= indexMin {
			back = &backing{buf: kept[:cap(kept)]}
			back.used.Store(int64(len(kept)))
		}
		out.RRs = kept[:len(kept):len(kept)]
	}
	if len(out.RRs) == 0 {
		return nil
	}
	out.size -= wireSize(gone)
	if len(out.RRs) >= indexMin {
		out.ext = &largeSet{back: back, idx: reindexed(s.more().idx, out.RRs, gone, nil), id: largeSets.Add(1), cut: s.cutFrom(txn, gone)}
	}
	return out
}

// sameRR reports whether a and b are the same record, TTL included.
func sameRR(a, b dns.RR) bool {
	return a.Header().Ttl == b.Header().Ttl && dns.IsDuplicate(a, b)
}

// containsRR reports whether rrs holds a record with rr's data (TTL ignored).
func containsRR(rrs []dns.RR, rr dns.RR) bool {
	for _, x := range rrs {
		if dns.IsDuplicate(x, rr) {
			return true
		}
	}
	return false
}

// wireSize is the uncompressed wire length of rrs.
func wireSize(rrs []dns.RR) int {
	n := 0
	for _, rr := range rrs {
		n += dns.Len(rr)
	}
	return n
}

// setLen is the number of records of s (nil: none).
func (s *RRset) setLen() int {
	if s == nil {
		return 0
	}
	return s.Len()
}

// wire is the wire size of s (nil: none).
func (s *RRset) wire() int {
	if s == nil {
		return 0
	}
	return s.size
}
