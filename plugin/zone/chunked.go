package zone

import (
	"bytes"
	"slices"
	"sort"

	"github.com/miekg/dns"
)

// chunked is the immutable record list of a derived service set, one
// record per address, sorted by address. Beside each record it counts the
// hosts of the service that have that address: a record leaves when its
// count drops to zero. The records sit in chunks of at most chunkMax, the
// leaves of a persistent B+tree whose inner nodes count the records below
// each child (for At) and know each child's last record (to find an
// address). A change copies the chunk it touches and the inner nodes above
// it, never the whole list: a host joining or leaving a service of k
// members costs O(chunkMax + fanout·log k). (A flat slice made every join
// to a 100,000-member service copy 1.6 MB; a flat index of the chunks made
// a join to a 1,000,000-member service copy 245 KB.)
type chunked struct {
	root *part // nil: no records
}

// part is a node of a chunked list: a leaf holds records and their host
// counts, an inner node children.
type part struct {
	rrs   []dns.RR // leaf: the records, sorted by address
	hosts []int32  // leaf: hosts[i] is how many hosts have the address of rrs[i]
	kids  []*part  // inner
	ends  []int    // inner: ends[i] is the number of records in kids[0..i]
	lasts []dns.RR // inner: lasts[i] is the last record of kids[i]
}

const (
	chunkSize = 64  // records per leaf when a list is built or a leaf split
	chunkMax  = 128 // a leaf that grows past it is split
	chunkMin  = 8   // a leaf that shrinks below it joins the one before
	fanout    = 64  // children of an inner node at most
)

func (n *part) inner() bool { return n.kids != nil }

func (n *part) size() int {
	if n.inner() {
		return n.ends[len(n.ends)-1]
	}
	return len(n.rrs)
}

func (n *part) last() dns.RR {
	if n.inner() {
		return n.lasts[len(n.lasts)-1]
	}
	return n.rrs[len(n.rrs)-1]
}

// innerOf returns an inner node over kids (1 to fanout of them).
func innerOf(kids []*part) *part {
	n := &part{kids: kids, ends: make([]int, len(kids)), lasts: make([]dns.RR, len(kids))}
	total := 0
	for i, k := range kids {
		total += k.size()
		n.ends[i], n.lasts[i] = total, k.last()
	}
	return n
}

// Len is the number of records.
func (c *chunked) Len() int {
	if c.root == nil {
		return 0
	}
	return c.root.size()
}

// At returns the i-th record, in O(log k).
func (c *chunked) At(i int) dns.RR { return c.segment(i)[0] }

// segment returns records i, i+1, ... to the end of the leaf that holds
// record i.
func (c *chunked) segment(i int) []dns.RR {
	n := c.root
	for n.inner() {
		j := sort.SearchInts(n.ends, i+1)
		if j > 0 {
			i -= n.ends[j-1]
		}
		n = n.kids[j]
	}
	return n.rrs[i:]
}

// Range calls fn for every record in order until it returns false.
func (c *chunked) Range(fn func(dns.RR) bool) {
	if c.root != nil {
		c.root.walk(fn)
	}
}

func (n *part) walk(fn func(dns.RR) bool) bool {
	for _, k := range n.kids {
		if !k.walk(fn) {
			return false
		}
	}
	for _, rr := range n.rrs {
		if !fn(rr) {
			return false
		}
	}
	return true
}

// kidOf returns the child of an inner node an address belongs under: the
// first whose last address is at or after it (the last child for
// addresses after all).
func (n *part) kidOf(ip []byte) int {
	j := sort.Search(len(n.lasts), func(j int) bool { return bytes.Compare(ipOf(n.lasts[j]), ip) >= 0 })
	return min(j, len(n.kids)-1)
}

// Hosts returns how many hosts have address ip (0: not in the list).
func (c *chunked) Hosts(ip []byte) int32 {
	if leaf, i, _, ok := c.find(ip); ok {
		return leaf.hosts[i]
	}
	return 0
}

// rank returns the position of the record with address ip, if the list
// has one.
func (c *chunked) rank(ip []byte) (int, bool) {
	_, _, pos, ok := c.find(ip)
	return pos, ok
}

// find looks address ip up in O(log k): the leaf it belongs in, its index
// there and its position in the list, and whether the list has it.
func (c *chunked) find(ip []byte) (leaf *part, i, pos int, ok bool) {
	n := c.root
	if n == nil {
		return nil, 0, 0, false
	}
	for n.inner() {
		j := n.kidOf(ip)
		if j > 0 {
			pos += n.ends[j-1]
		}
		n = n.kids[j]
	}
	i, ok = slices.BinarySearchFunc(n.rrs, ip, func(rr dns.RR, ip []byte) int { return bytes.Compare(ipOf(rr), ip) })
	return n, i, pos + i, ok
}

// with returns the list with the host counts of some addresses changed by
// delta (a record whose count drops to zero leaves) and the records of
// fresh added (addresses not in the list, sorted, each with delta's count
// for it). Only the leaves the changes fall into and the inner nodes above
// them are copied; the rest is shared with c.
func (c *chunked) with(delta map[string]int32, fresh []dns.RR) *chunked {
	ips := make([]string, 0, len(delta))
	for ip := range delta {
		ips = append(ips, ip)
	}
	slices.Sort(ips)
	root := c.root
	if root == nil {
		root = &part{}
	}
	nodes := root.edit(delta, ips, fresh)
	for len(nodes) > 1 { // the root split: a level more
		nodes = pack(nodes)
	}
	if len(nodes) == 0 {
		return &chunked{}
	}
	n := nodes[0]
	for n.inner() && len(n.kids) == 1 { // the root has one child: a level less
		n = n.kids[0]
	}
	return &chunked{root: n}
}

// edit returns the nodes that replace n once the counts of the addresses
// ips (sorted) change by delta and the records add (sorted) go in: none
// when n empties, more than one when it splits.
func (n *part) edit(delta map[string]int32, ips []string, add []dns.RR) []*part {
	if !n.inner() {
		return leaves(edited(n.rrs, n.hosts, delta, ips, add))
	}
	kids := make([]*part, 0, len(n.kids)+1)
	for j, k := range n.kids {
		// The changes under child j: up to its last address (all that is
		// left, for the last child).
		ni, na := len(ips), len(add)
		if j < len(n.kids)-1 {
			lastIP := ipOf(n.lasts[j])
			ni = sort.Search(len(ips), func(i int) bool { return bytes.Compare([]byte(ips[i]), lastIP) > 0 })
			na = sort.Search(len(add), func(i int) bool { return bytes.Compare(ipOf(add[i]), lastIP) > 0 })
		}
		if ni == 0 && na == 0 {
			kids = append(kids, k)
			continue
		}
		for _, e := range k.edit(delta, ips[:ni], add[:na]) {
			// Leaves shrink: a small one joins the one before it, so the
			// tree stays about k/chunkSize leaves.
			if last := len(kids) - 1; !e.inner() && len(e.rrs) < chunkMin && last >= 0 && !kids[last].inner() && len(kids[last].rrs)+len(e.rrs) <= chunkSize {
				p := kids[last]
				kids[last] = &part{rrs: append(slices.Clip(p.rrs), e.rrs...), hosts: append(slices.Clip(p.hosts), e.hosts...)}
				continue
			}
			kids = append(kids, e)
		}
		ips, add = ips[ni:], add[na:]
	}
	if len(kids) == 0 {
		return nil
	}
	return pack(kids)
}

// leaves cuts records (and their counts) into leaves: chunkSize each while
// more than chunkMax are left, then the rest; none for no records.
func leaves(rrs []dns.RR, hs []int32) []*part {
	var out []*part
	for len(rrs) > chunkMax {
		out = append(out, &part{rrs: rrs[:chunkSize:chunkSize], hosts: hs[:chunkSize:chunkSize]})
		rrs, hs = rrs[chunkSize:], hs[chunkSize:]
	}
	if len(rrs) > 0 {
		out = append(out, &part{rrs: rrs, hosts: hs})
	}
	return out
}

// pack puts nodes under inner nodes of at most fanout children each, as
// evenly as that allows.
func pack(nodes []*part) []*part {
	groups := (len(nodes) + fanout - 1) / fanout
	out := make([]*part, 0, groups)
	for g := range groups {
		out = append(out, innerOf(slices.Clip(nodes[g*len(nodes)/groups:(g+1)*len(nodes)/groups])))
	}
	return out
}

// chunkEdit is one change to a chunk: the record at index at gets host
// count n (0: it leaves), or, for an insert, rr goes before it.
type chunkEdit struct {
	at     int
	insert bool
	rr     dns.RR
	n      int32
}

// edited returns a copy of the chunk ch (with host counts hs) with the
// counts of the addresses ips changed by delta and the records add
// (sorted, not in ch) inserted. The changes are found by binary search and
// the records between them copied in runs: O(log chunk) comparisons per
// change and one copy of the chunk, not a comparison and a map lookup per
// record.
func edited(ch []dns.RR, hs []int32, delta map[string]int32, ips []string, add []dns.RR) ([]dns.RR, []int32) {
	edits := make([]chunkEdit, 0, len(ips)+len(add))
	byIP := func(rr dns.RR, ip []byte) int { return bytes.Compare(ipOf(rr), ip) }
	for _, ip := range ips {
		if i, ok := slices.BinarySearchFunc(ch, []byte(ip), byIP); ok {
			edits = append(edits, chunkEdit{at: i, n: hs[i] + delta[ip]})
		}
	}
	for _, rr := range add {
		i, _ := slices.BinarySearchFunc(ch, ipOf(rr), byIP)
		edits = append(edits, chunkEdit{at: i, insert: true, rr: rr, n: delta[string(ipOf(rr))]})
	}
	slices.SortStableFunc(edits, func(a, b chunkEdit) int {
		if a.at != b.at {
			return a.at - b.at
		}
		if a.insert != b.insert { // inserts go before the record at their index
			if a.insert {
				return -1
			}
			return 1
		}
		return 0 // inserts at one index keep add's order
	})
	rrs := make([]dns.RR, 0, len(ch)+len(add))
	n := make([]int32, 0, len(ch)+len(add))
	from := 0
	for _, e := range edits {
		rrs, n = append(rrs, ch[from:e.at]...), append(n, hs[from:e.at]...)
		switch {
		case e.insert:
			rrs, n = append(rrs, e.rr), append(n, e.n)
			from = e.at
		case e.n > 0:
			rrs, n = append(rrs, ch[e.at]), append(n, e.n)
			from = e.at + 1
		default:
			from = e.at + 1
		}
	}
	return append(rrs, ch[from:]...), append(n, hs[from:]...)
}

// all returns the records as one new slice.
func (c *chunked) all() []dns.RR {
	out := make([]dns.RR, 0, c.Len())
	c.Range(func(rr dns.RR) bool { out = append(out, rr); return true })
	return out
}

// retimed returns the list with every record at ttl.
func (c *chunked) retimed(ttl uint32) *chunked {
	if c.root == nil {
		return c
	}
	return &chunked{root: c.root.retimed(ttl)}
}

func (n *part) retimed(ttl uint32) *part {
	if !n.inner() {
		rrs := make([]dns.RR, len(n.rrs))
		for i, rr := range n.rrs {
			rrs[i] = withTTL(rr, ttl)
		}
		return &part{rrs: rrs, hosts: n.hosts}
	}
	kids := make([]*part, len(n.kids))
	for i, k := range n.kids {
		kids[i] = k.retimed(ttl)
	}
	return innerOf(kids)
}
