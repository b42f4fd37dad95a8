package zone

import (
	"bytes"
	"slices"
	"sort"

	"github.com/miekg/dns"
)

// chunked is the immutable record list of a derived service set, one
// record per address, sorted by address and cut into chunks of at most
// chunkMax records. Beside each record it counts the hosts of the service
// that have that address: a record leaves when its count drops to zero. A
// change copies the chunks it touches and the short arrays that index
// them, never the whole list: a host joining or leaving a service of k
// members costs O(chunkMax + k/chunkSize), not O(k). (A flat slice made
// every join to a 100,000-member service copy 1.6 MB.)
type chunked struct {
	chunks [][]dns.RR
	hosts  [][]int32 // hosts[i][j]: the hosts with the address of chunks[i][j]
	ends   []int     // ends[i]: records in chunks[0..i]
}

const (
	chunkSize = 256 // records per chunk when a list is built
	chunkMax  = 512 // a chunk that grows past it is split
	chunkMin  = 32  // a chunk that shrinks below it joins the one before
)

func (c *chunked) reindex() {
	c.ends = make([]int, len(c.chunks))
	n := 0
	for i, ch := range c.chunks {
		n += len(ch)
		c.ends[i] = n
	}
}

// Len is the number of records.
func (c *chunked) Len() int {
	if len(c.ends) == 0 {
		return 0
	}
	return c.ends[len(c.ends)-1]
}

// At returns the i-th record, in O(log chunks).
func (c *chunked) At(i int) dns.RR {
	j := sort.SearchInts(c.ends, i+1)
	if j > 0 {
		i -= c.ends[j-1]
	}
	return c.chunks[j][i]
}

// Range calls fn for every record in order until it returns false.
func (c *chunked) Range(fn func(dns.RR) bool) {
	for _, ch := range c.chunks {
		for _, rr := range ch {
			if !fn(rr) {
				return
			}
		}
	}
}

// chunkOf returns the chunk an address belongs in: the first whose last
// address is at or after it (the last chunk for addresses after all).
func (c *chunked) chunkOf(ip []byte) int {
	j := sort.Search(len(c.chunks), func(j int) bool {
		ch := c.chunks[j]
		return bytes.Compare(ipOf(ch[len(ch)-1]), ip) >= 0
	})
	return min(j, len(c.chunks)-1)
}

// Hosts returns how many hosts have address ip (0: not in the list).
func (c *chunked) Hosts(ip []byte) int32 {
	if len(c.chunks) == 0 {
		return 0
	}
	j := c.chunkOf(ip)
	ch := c.chunks[j]
	if i, ok := slices.BinarySearchFunc(ch, ip, func(rr dns.RR, ip []byte) int { return bytes.Compare(ipOf(rr), ip) }); ok {
		return c.hosts[j][i]
	}
	return 0
}

// with returns the list with the host counts of some addresses changed by
// delta (a record whose count drops to zero leaves) and the records of
// fresh added (addresses not in the list, sorted, each with delta's count
// for it). The chunks no change falls into are shared with c.
func (c *chunked) with(delta map[string]int32, fresh []dns.RR) *chunked {
	changed := map[int][]string{} // chunk → addresses of delta in it
	adds := map[int][]dns.RR{}    // chunk → fresh records that go in it, in order
	if len(c.chunks) > 0 {
		for ip := range delta {
			j := c.chunkOf([]byte(ip))
			changed[j] = append(changed[j], ip)
		}
		for _, rr := range fresh {
			j := c.chunkOf(ipOf(rr))
			adds[j] = append(adds[j], rr)
		}
	} else {
		changed[0], adds[0] = nil, fresh
	}
	out := &chunked{chunks: make([][]dns.RR, 0, len(c.chunks)+1), hosts: make([][]int32, 0, len(c.chunks)+1)}
	keep := func(rrs []dns.RR, n []int32) {
		for len(rrs) > chunkMax {
			out.chunks = append(out.chunks, rrs[:chunkSize:chunkSize])
			out.hosts = append(out.hosts, n[:chunkSize:chunkSize])
			rrs, n = rrs[chunkSize:], n[chunkSize:]
		}
		switch last := len(out.chunks) - 1; {
		case len(rrs) == 0:
		case len(rrs) < chunkMin && last >= 0 && len(out.chunks[last])+len(rrs) <= chunkSize:
			// Leaves shrink chunks: a small one joins the one before it,
			// so the index arrays stay about k/chunkSize long.
			out.chunks[last] = append(slices.Clip(out.chunks[last]), rrs...)
			out.hosts[last] = append(slices.Clip(out.hosts[last]), n...)
		default:
			out.chunks = append(out.chunks, rrs)
			out.hosts = append(out.hosts, n)
		}
	}
	for j := range max(len(c.chunks), 1) {
		if _, touched := changed[j]; !touched {
			out.chunks = append(out.chunks, c.chunks[j])
			out.hosts = append(out.hosts, c.hosts[j])
			continue
		}
		var ch []dns.RR
		var hs []int32
		if j < len(c.chunks) {
			ch, hs = c.chunks[j], c.hosts[j]
		}
		keep(edited(ch, hs, delta, changed[j], adds[j]))
	}
	out.reindex()
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
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return out
}

// retimed returns the list with every record at ttl.
func (c *chunked) retimed(ttl uint32) *chunked {
	out := &chunked{hosts: c.hosts, ends: c.ends}
	for _, ch := range c.chunks {
		rrs := make([]dns.RR, len(ch))
		for i, rr := range ch {
			rrs[i] = withTTL(rr, ttl)
		}
		out.chunks = append(out.chunks, rrs)
	}
	return out
}
