package zone

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"
)

// Large explicit RRsets of other types than A and AAAA (which are sorted
// lists instead, see sorted.go) carry an index of their records by data,
// so that finding a record and adding one cost O(1) amortized rather than a
// comparison with every record of the set; deleting one copies the set:
//
//   - rrHash hashes a record's data such that dns.IsDuplicate(a, b) implies
//     rrHash(a) == rrHash(b). Equal hashes are confirmed with dns.IsDuplicate,
//     so the hash may be coarser than IsDuplicate but never finer.
//   - rrIndex is a persistent hash array mapped trie of the set's records by
//     that hash. A set derived from another (one record added or removed)
//     shares all but one path of the other's index, so versions keep their
//     indexes at O(log k) cost per change.
//   - The records of a large set live in an array with room to grow
//     (backing); a record added to the newest set built on the array is
//     written into the next free slot, so an append does not copy the set.
//     Slots are written once, so every set on the array sees a prefix of it.
//
// The query path never looks at any of this: RRset.RRs stays a plain slice.

// indexMin is how many records an explicit set holds before it is indexed
// and appended to in place, or, for an address set, sorted. Smaller sets
// are scanned, as before. Tests lower it to run every path with an index.
var indexMin = 16

var hashSeed = maphash.MakeSeed()

// rrHash hashes the data of rr (owner, class and TTL excluded), with names
// in RDATA lower-cased and IP addresses in their shortest form, as
// dns.IsDuplicate compares them.
func rrHash(rr dns.RR) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	var b [8]byte
	u16 := func(v uint16) { binary.BigEndian.PutUint16(b[:], v); h.Write(b[:2]) }
	u32 := func(v uint32) { binary.BigEndian.PutUint32(b[:], v); h.Write(b[:4]) }
	u16(rr.Header().Rrtype)
	switch r := rr.(type) {
	case *dns.A:
		writeIP(&h, r.A)
	case *dns.AAAA:
		writeIP(&h, r.AAAA)
	case *dns.NS:
		writeName(&h, r.Ns)
	case *dns.CNAME:
		writeName(&h, r.Target)
	case *dns.PTR:
		writeName(&h, r.Ptr)
	case *dns.DNAME:
		writeName(&h, r.Target)
	case *dns.MX:
		u16(r.Preference)
		writeName(&h, r.Mx)
	case *dns.SRV:
		u16(r.Priority)
		u16(r.Weight)
		u16(r.Port)
		writeName(&h, r.Target)
	case *dns.TXT:
		writeStrings(&h, r.Txt)
	case *dns.SPF:
		writeStrings(&h, r.Txt)
	case *dns.KEY:
		u16(r.Flags)
		h.WriteByte(r.Protocol)
		h.WriteByte(r.Algorithm)
		h.WriteString(r.PublicKey)
	case *dns.CAA:
		h.WriteByte(r.Flag)
		writeStrings(&h, []string{r.Tag, r.Value})
	case *dns.SOA:
		writeName(&h, r.Ns)
		writeName(&h, r.Mbox)
		u32(r.Serial)
	case *dns.SVCB, *dns.HTTPS, *dns.APL, *dns.OPT:
		// Equal records may print differently (SVCB pairs in any order,
		// APL addresses in either length): the type alone, IsDuplicate decides.
	default:
		h.WriteString(rdataKey(rr))
	}
	return h.Sum64()
}

// writeIP writes an address as net.IP.Equal compares it: an IPv4 address
// in 4 bytes whatever its length.
func writeIP(h *maphash.Hash, ip net.IP) {
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	h.WriteByte(byte(len(ip)))
	h.Write(ip)
}

// writeName writes a name lower-cased (ASCII), as dns.IsDuplicate compares names.
func writeName(h *maphash.Hash, name string) {
	var buf [64]byte
	for len(name) > 0 {
		n := copy(buf[:], name)
		for i, c := range buf[:n] {
			if 'A' <= c && c <= 'Z' {
				buf[i] = c + 'a' - 'A'
			}
		}
		h.Write(buf[:n])
		name = name[n:]
	}
	h.WriteByte(0) // names end where the next field starts
}

func writeStrings(h *maphash.Hash, ss []string) {
	var b [4]byte
	for _, s := range ss {
		binary.BigEndian.PutUint32(b[:], uint32(len(s)))
		h.Write(b[:])
		h.WriteString(s)
	}
}

// rdataKey is the presentation text of rr's data, lower-cased: records
// that dns.IsDuplicate finds equal have the same key (names in RDATA
// compare without case), except for the types rrHash keeps apart.
func rdataKey(rr dns.RR) string {
	return strings.ToLower(strings.TrimPrefix(rr.String(), rr.Header().String()))
}

// The index: a persistent hash array mapped trie, 32 ways per level, on
// the hash's bits from the top. A node is never changed once built; an
// insertion or removal copies the path to its leaf.
const (
	hamtBits = 5
	hamtMask = 1<<hamtBits - 1
)

type rrIndex struct {
	bitmap uint32
	slots  []hslot // one per bit set in bitmap, in bit order
}

// hslot is a sub-trie or a leaf.
type hslot struct {
	node *rrIndex
	leaf *hleaf
}

// hleaf holds the records of one hash: nearly always one record.
type hleaf struct {
	hash uint64
	rrs  []dns.RR
}

// chunk is the index of hash h's slot at a level of the trie; past the
// last level every hash left is the same.
func chunk(h uint64, level int) uint32 {
	shift := 64 - hamtBits*(level+1)
	if shift >= 0 {
		return uint32(h>>shift) & hamtMask
	}
	return uint32(h<<-shift) & hamtMask
}

func (n *rrIndex) pos(c uint32) (int, bool) {
	bit := uint32(1) << c
	return bits.OnesCount32(n.bitmap & (bit - 1)), n.bitmap&bit != 0
}

// find returns the leaf of hash h, or nil.
func (n *rrIndex) find(h uint64) *hleaf {
	for level := 0; n != nil; level++ {
		i, ok := n.pos(chunk(h, level))
		if !ok {
			return nil
		}
		s := n.slots[i]
		if s.leaf != nil {
			if s.leaf.hash == h {
				return s.leaf
			}
			return nil
		}
		n = s.node
	}
	return nil
}

// with returns the index with rr (of hash h) added.
func (n *rrIndex) with(h uint64, rr dns.RR) *rrIndex { return n.insert(h, rr, 0) }

func (n *rrIndex) insert(h uint64, rr dns.RR, level int) *rrIndex {
	if n == nil {
		return &rrIndex{bitmap: 1 << chunk(h, level), slots: []hslot{{leaf: &hleaf{hash: h, rrs: []dns.RR{rr}}}}}
	}
	c := chunk(h, level)
	i, ok := n.pos(c)
	out := &rrIndex{bitmap: n.bitmap | 1<<c}
	if !ok {
		out.slots = slices.Insert(slices.Clip(n.slots), i, hslot{leaf: &hleaf{hash: h, rrs: []dns.RR{rr}}})
		return out
	}
	out.slots = slices.Clone(n.slots)
	switch s := n.slots[i]; {
	case s.node != nil:
		out.slots[i] = hslot{node: s.node.insert(h, rr, level+1)}
	case s.leaf.hash == h:
		out.slots[i] = hslot{leaf: &hleaf{hash: h, rrs: append(slices.Clip(s.leaf.rrs), rr)}}
	default: // another hash: both go one level down
		sub := (&rrIndex{bitmap: 1 << chunk(s.leaf.hash, level+1), slots: []hslot{s}}).insert(h, rr, level+1)
		out.slots[i] = hslot{node: sub}
	}
	return out
}

// without returns the index with the record rr (of hash h; the very record,
// not one with its data) removed.
func (n *rrIndex) without(h uint64, rr dns.RR) *rrIndex {
	out, lone := n.remove(h, rr, 0)
	if out == nil && lone != nil {
		return &rrIndex{bitmap: 1 << chunk(lone.hash, 0), slots: []hslot{{leaf: lone}}}
	}
	return out
}

// remove returns the node without rr, or, when all that is left of it is
// one leaf, nil and that leaf for the parent to hold instead.
func (n *rrIndex) remove(h uint64, rr dns.RR, level int) (*rrIndex, *hleaf) {
	if n == nil {
		return nil, nil
	}
	c := chunk(h, level)
	i, ok := n.pos(c)
	if !ok {
		return n, nil
	}
	var repl hslot
	switch s := n.slots[i]; {
	case s.node != nil:
		sub, lone := s.node.remove(h, rr, level+1)
		if sub == s.node {
			return n, nil
		}
		repl = hslot{node: sub, leaf: lone}
	case s.leaf.hash == h:
		j := slices.IndexFunc(s.leaf.rrs, func(x dns.RR) bool { return x == rr })
		if j < 0 {
			return n, nil
		}
		if len(s.leaf.rrs) > 1 {
			repl = hslot{leaf: &hleaf{hash: h, rrs: slices.Delete(slices.Clone(s.leaf.rrs), j, j+1)}}
		}
	default:
		return n, nil
	}
	out := &rrIndex{bitmap: n.bitmap, slots: slices.Clone(n.slots)}
	if repl.node == nil && repl.leaf == nil {
		out.bitmap &^= 1 << c
		out.slots = slices.Delete(out.slots, i, i+1)
	} else {
		out.slots[i] = repl
	}
	switch {
	case len(out.slots) == 0:
		return nil, nil
	case len(out.slots) == 1 && out.slots[0].leaf != nil:
		return nil, out.slots[0].leaf
	}
	return out, nil
}

// buildIndex indexes rrs at once: O(k log k), without the garbage of k
// insertions.
func buildIndex(rrs []dns.RR) *rrIndex {
	if len(rrs) == 0 {
		return nil
	}
	type entry struct {
		h  uint64
		rr dns.RR
	}
	es := make([]entry, len(rrs))
	for i, rr := range rrs {
		es[i] = entry{rrHash(rr), rr}
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return 0
	})
	// One allocation for the leaves and one for their records.
	leaves := make([]hleaf, 0, len(es))
	all := make([]dns.RR, len(es))
	for i, e := range es {
		all[i] = e.rr
		if len(leaves) > 0 && leaves[len(leaves)-1].hash == e.h {
			l := &leaves[len(leaves)-1]
			l.rrs = l.rrs[:len(l.rrs)+1]
			continue
		}
		leaves = append(leaves, hleaf{hash: e.h, rrs: all[i : i+1]})
	}
	for i := range leaves {
		leaves[i].rrs = slices.Clip(leaves[i].rrs)
	}
	var build func(ls []hleaf, level int) *rrIndex
	build = func(ls []hleaf, level int) *rrIndex {
		n := &rrIndex{}
		for i := 0; i < len(ls); {
			c := chunk(ls[i].hash, level)
			j := i + 1
			for j < len(ls) && chunk(ls[j].hash, level) == c {
				j++
			}
			n.bitmap |= 1 << c
			if j == i+1 {
				n.slots = append(n.slots, hslot{leaf: &ls[i]})
			} else {
				n.slots = append(n.slots, hslot{node: build(ls[i:j], level+1)})
			}
			i = j
		}
		return n
	}
	return build(leaves, 0)
}

// leafRRs returns the indexed records whose hash is rr's (the candidates
// for dns.IsDuplicate).
func (n *rrIndex) leafRRs(rr dns.RR) []dns.RR {
	if l := n.find(rrHash(rr)); l != nil {
		return l.rrs
	}
	return nil
}

// candidates returns the records of s that may have rr's data: the indexed
// ones of rr's hash, or every record of a small set.
func (s *RRset) candidates(rr dns.RR) []dns.RR {
	if s == nil {
		return nil
	}
	if s.sorted() {
		return s.findSorted(rr)
	}
	if idx := s.more().idx; idx != nil {
		return idx.leafRRs(rr)
	}
	return s.RRs
}

// sameAt returns the record of s with the address of rr (an A or AAAA
// record of any owner) at the given TTL, or nil. A service whose hosts
// also wrote their addresses at its name (the seed clients do) derives
// records equal to those: its derived set shares them rather than holding
// a copy of each (64 bytes a member).
func (s *RRset) sameAt(rr dns.RR, ttl uint32) dns.RR {
	for _, x := range s.candidates(rr) {
		if x.Header().Ttl == ttl && byAddress(x, rr) == 0 {
			return x
		}
	}
	return nil
}

// holds reports whether s has a record with rr's data (TTL ignored).
func (s *RRset) holds(rr dns.RR) bool { return containsRR(s.candidates(rr), rr) }

// holdsSame reports whether s has rr itself, TTL included.
func (s *RRset) holdsSame(rr dns.RR) bool {
	return slices.ContainsFunc(s.candidates(rr), func(x dns.RR) bool { return sameRR(x, rr) })
}

// backing is an array that the records of one or more large sets are
// prefixes of. used counts the slots written: a set of used records may
// have a record appended in place, once; every other set copies.
type backing struct {
	buf  []dns.RR // len == cap
	used atomic.Int64
}

// claim reserves m slots from k on, for a set of the first k records of
// the array: it succeeds for the newest set only, once. The zone's writer
// is not the only one to start transactions (IXFR rewinds the current
// version in one), so a claim is atomic.
func (b *backing) claim(k, m int) bool {
	return b != nil && k+m <= len(b.buf) && b.used.CompareAndSwap(int64(k), int64(k+m))
}

// roomFor returns a new array of at least n slots, with room to grow.
func roomFor(n int) []dns.RR { return make([]dns.RR, roomSize(n)) }

// roomSize is n and room to grow: appends copy a set once per n/8 records.
func roomSize(n int) int { return n + n/8 + 8 }

// SameData reports whether the RRset have holds exactly the data of want,
// as an RFC 2136 prerequisite compares RRsets (§3.2.3, "RRset exists (value
// dependent)"): order and TTLs do not matter, names in RDATA compare
// without case (dns.IsDuplicate), and a record repeated in want counts
// once. It costs O(len(have) + len(want)), through hashes of the data.
func SameData(have, want []dns.RR) bool {
	if len(have) > len(want) {
		return false // want cannot have as many distinct records
	}
	distinct := make(map[uint64][]dns.RR, len(want))
	n := 0
	for _, rr := range want {
		h := rrHash(rr)
		if !containsRR(distinct[h], rr) {
			distinct[h] = append(distinct[h], rr)
			n++
		}
	}
	if len(have) != n {
		return false
	}
	held := make(map[uint64][]dns.RR, len(have))
	for _, rr := range have {
		h := rrHash(rr)
		held[h] = append(held[h], rr)
	}
	for h, rrs := range distinct {
		for _, rr := range rrs {
			if !containsRR(held[h], rr) {
				return false
			}
		}
	}
	return true
}
