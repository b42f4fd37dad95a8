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

// Append appends rrs to dst in this order. counter is the RRset's own rotation
// counter, shared by every reader of that RRset; it is lock-free, so concurrent
// answers each start at a different record.
func (o Order) Append(dst, rrs []dns.RR, counter *atomic.Uint32) []dns.RR {
	n := len(rrs)
	if n < 2 || o == Fixed {
		return append(dst, rrs...)
	}
	if o == Random {
		start := len(dst)
		dst = append(dst, rrs...)
		seg := dst[start:]
		rand.Shuffle(len(seg), func(i, j int) { seg[i], seg[j] = seg[j], seg[i] })
		return dst
	}
	first := int((counter.Add(1) - 1) % uint32(n))
	dst = append(dst, rrs[first:]...)
	return append(dst, rrs[:first]...)
}
