// Package rotate orders the records of an RRset in an answer without touching
// the stored RRset: the caller's answer slice gets the records in the chosen
// order, so the only allocation is the answer slice itself.
package rotate

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"

	"github.com/miekg/dns"
)

// Order is how the records of an RRset are ordered in answers.
type Order uint8

const (
	// Cyclic starts each answer one record further on, as BIND's rrset-order cyclic.
	Cyclic Order = iota
	// Random shuffles the records of each answer.
	Random
	// Fixed always answers in stored order.
	Fixed
)

// Parse reads an order from its Corefile spelling.
func Parse(s string) (Order, error) {
	switch s {
	case "cyclic":
		return Cyclic, nil
	case "random":
		return Random, nil
	case "fixed":
		return Fixed, nil
	}
	return 0, fmt.Errorf("unknown order %q, want cyclic, random or fixed", s)
}

func (o Order) String() string {
	switch o {
	case Random:
		return "random"
	case Fixed:
		return "fixed"
	}
	return "cyclic"
}

// Records is a read-only list of records: a zone's RRset, or a Slice.
type Records interface {
	Len() int
	// Segment returns records i, i+1, ... as far as they are held in one
	// slice: at least record i, for i < Len. A list kept in pieces (a large
	// derived set) is read a piece at a time, with no call per record.
	Segment(i int) []dns.RR
}

// Slice is a slice of records as Records.
type Slice []dns.RR

func (s Slice) Len() int               { return len(s) }
func (s Slice) Segment(i int) []dns.RR { return s[i:] }

// appendRange appends rrs[from:to].
func appendRange(dst []dns.RR, rrs Records, from, to int) []dns.RR {
	for from < to {
		seg := rrs.Segment(from)
		seg = seg[:min(len(seg), to-from)]
		dst = append(dst, seg...)
		from += len(seg)
	}
	return dst
}

// Append appends rrs to dst in this order. counter is the RRset's own rotation
// counter, shared by every reader of that RRset; it is lock-free, so concurrent
// answers each start at a different record.
func (o Order) Append(dst []dns.RR, rrs Records, counter *atomic.Uint32) []dns.RR {
	n := rrs.Len()
	if n < 2 || o == Fixed {
		return appendRange(dst, rrs, 0, n)
	}
	if o == Random {
		start := len(dst)
		dst = appendRange(dst, rrs, 0, n)
		seg := dst[start:]
		rand.Shuffle(len(seg), func(i, j int) { seg[i], seg[j] = seg[j], seg[i] })
		return dst
	}
	first := int((counter.Add(1) - 1) % uint32(n))
	dst = appendRange(dst, rrs, first, n)
	return appendRange(dst, rrs, 0, first)
}

// Filter takes records out of answers (health checks); a nil Filter takes
// none.
type Filter interface {
	Out(rr dns.RR) bool
}

// AppendWindow appends to dst at most max of rrs (max <= 0: no bound), in
// this order, leaving out those the filter takes out, and answering every
// record (fail open) when the filter would leave none. For Cyclic the
// window moves on by its own size with every answer, so successive answers
// give every record an equal share; for Fixed it is the first max records,
// for Random a window at a random place, shuffled. It allocates nothing but
// the growth of dst.
func (o Order) AppendWindow(dst []dns.RR, rrs Records, counter *atomic.Uint32, max int, f Filter) []dns.RR {
	n := rrs.Len()
	if n == 0 {
		return dst
	}
	step := max
	if step <= 0 || step > n {
		step = n
	}
	start := 0
	switch o {
	case Cyclic:
		if max > 0 && max < n {
			start = int((counter.Add(uint32(step)) - uint32(step)) % uint32(n))
		} else {
			start = int((counter.Add(1) - 1) % uint32(n))
		}
	case Random:
		start = rand.IntN(n)
	}
	from := len(dst)
	dst = appendRing(dst, rrs, start, step, f)
	if len(dst) == from && f != nil {
		dst = appendRing(dst, rrs, start, step, nil) // every record is out: answer them all
	}
	if o == Random {
		seg := dst[from:]
		rand.Shuffle(len(seg), func(i, j int) { seg[i], seg[j] = seg[j], seg[i] })
	}
	return dst
}

// appendRing appends up to limit records of rrs, from start round the ring,
// skipping those f takes out.
func appendRing(dst []dns.RR, rrs Records, start, limit int, f Filter) []dns.RR {
	n, taken := rrs.Len(), 0
	for i := 0; i < n && taken < limit; {
		seg := rrs.Segment((start + i) % n)
		seg = seg[:min(len(seg), n-i)]
		i += len(seg)
		for _, rr := range seg {
			if f != nil && f.Out(rr) {
				continue
			}
			dst = append(dst, rr)
			if taken++; taken == limit {
				break
			}
		}
	}
	return dst
}
