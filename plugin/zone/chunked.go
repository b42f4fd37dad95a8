package zone

import (
	"bytes"
	"slices"
	"sort"

	"github.com/miekg/dns"
)

// chunked is the immutable record list of a derived service set, sorted by
// address and cut into chunks of at most chunkMax records. A change copies
// the chunks it touches and the two short arrays that index them, never the
// whole list: a host joining or leaving a service of k members costs
// O(chunkMax + k/chunkSize), not O(k). (A flat slice made every join to a
// 100,000-member service copy 1.6 MB.)
type chunked struct {
	chunks [][]dns.RR
	ends   []int // ends[i]: records in chunks[0..i]
}

const (
	chunkSize = 256 // records per chunk when a list is built
	chunkMax  = 512 // a chunk that grows past it is split
	chunkMin  = 32  // a chunk that shrinks below it joins the one before
)

// newChunked cuts a sorted list into chunks; it keeps no reference to rrs.
func newChunked(rrs []dns.RR) *chunked {
	c := &chunked{}
	for i := 0; i < len(rrs); i += chunkSize {
		c.chunks = append(c.chunks, slices.Clone(rrs[i:min(i+chunkSize, len(rrs))]))
	}
	c.reindex()
	return c
}

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

// with returns the list without the records whose address is in gone and
// with added (sorted by address, none of them present) merged in. The
// chunks no change falls into are shared with c.
func (c *chunked) with(gone map[string]bool, added []dns.RR) *chunked {
	// Each change goes to the chunk whose last address is the first at or
	// after its own (the last chunk for addresses after every one).
	touched := map[int][]dns.RR{} // chunk → additions, in order
	drops := map[int]bool{}       // chunks losing records
	chunkOf := func(ip []byte) int {
		j := sort.Search(len(c.chunks), func(j int) bool {
			ch := c.chunks[j]
			return bytes.Compare(ipOf(ch[len(ch)-1]), ip) >= 0
		})
		return min(j, max(len(c.chunks)-1, 0))
	}
	for ip := range gone {
		if len(c.chunks) > 0 {
			drops[chunkOf([]byte(ip))] = true
		}
	}
	for _, rr := range added {
		j := chunkOf(ipOf(rr))
		touched[j] = append(touched[j], rr)
	}
	out := &chunked{chunks: make([][]dns.RR, 0, len(c.chunks)+1)}
	if len(c.chunks) == 0 {
		out.chunks = newChunked(added).chunks
		out.reindex()
		return out
	}
	for j, ch := range c.chunks {
		adds := touched[j]
		if len(adds) == 0 && !drops[j] {
			out.chunks = append(out.chunks, ch) // shared
			continue
		}
		merged := make([]dns.RR, 0, len(ch)+len(adds))
		a := 0
		for _, rr := range ch {
			for a < len(adds) && byAddress(adds[a], rr) < 0 {
				merged = append(merged, adds[a])
				a++
			}
			if !gone[string(ipOf(rr))] {
				merged = append(merged, rr)
			}
		}
		merged = append(merged, adds[a:]...)
		for len(merged) > chunkMax {
			out.chunks = append(out.chunks, merged[:chunkSize:chunkSize])
			merged = merged[chunkSize:]
		}
		switch last := len(out.chunks) - 1; {
		case len(merged) == 0:
		case len(merged) < chunkMin && last >= 0 && len(out.chunks[last])+len(merged) <= chunkSize:
			// Leaves shrink chunks: a small one joins the one before it,
			// so the index arrays stay about k/chunkSize long.
			out.chunks[last] = append(slices.Clip(out.chunks[last]), merged...)
		default:
			out.chunks = append(out.chunks, merged)
		}
	}
	out.reindex()
	return out
}

// all returns the records as one new slice.
func (c *chunked) all() []dns.RR {
	out := make([]dns.RR, 0, c.Len())
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return out
}
