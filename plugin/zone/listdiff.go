package zone

import "github.com/miekg/dns"

// diffLists calls fn for every record of a that b lacks (inA set) and of b
// that a lacks, TTL included, in address order, until fn returns false.
// Two versions of a list share every subtree a change did not touch, and a
// shared subtree is stepped over whole: the diff of lists that differ in a
// few records costs O(fanout·log k) plus the leaves that changed, not
// O(k). Lists with nothing in common are merged record by record.
func diffLists(a, b *chunked, fn func(rr dns.RR, inA bool) bool) {
	ca, cb := newCursor(a), newCursor(b)
	for !ca.done() && !cb.done() {
		if ca.leaf == nil && cb.leaf == nil {
			pa, pb := ca.pending(), cb.pending()
			switch ha, hb := pa.height(), pb.height(); {
			case pa == pb:
				ca.skip()
				cb.skip()
			case ha > hb:
				ca.descend()
			case ha < hb:
				cb.descend()
			default:
				ca.descend()
				cb.descend()
			}
			continue
		}
		if !ca.toRecord() || !cb.toRecord() {
			break
		}
		x, y := ca.record(), cb.record()
		switch c := byAddress(x, y); {
		case c < 0:
			if !fn(x, true) {
				return
			}
			ca.next()
		case c > 0:
			if !fn(y, false) {
				return
			}
			cb.next()
		default:
			if x != y && !sameRR(x, y) && (!fn(x, true) || !fn(y, false)) {
				return
			}
			ca.next()
			cb.next()
		}
	}
	for _, c := range []*cursor{ca, cb} {
		for c.toRecord() {
			if !fn(c.record(), c == ca) {
				return
			}
			c.next()
		}
	}
}

// cursor is a position in a chunked list: in a leaf, or at the start of
// the child of an inner node that it has not gone into yet (pending).
type cursor struct {
	path []frame // from the root down; the root is the one child of the first frame
	leaf *part   // nil: at the start of the pending child
	i    int     // the record's index in leaf
}

// frame is an inner node's children and the one the cursor is in.
type frame struct {
	kids []*part
	k    int
}

func newCursor(c *chunked) *cursor {
	if c == nil || c.root == nil {
		return &cursor{}
	}
	return &cursor{path: []frame{{kids: []*part{c.root}}}}
}

func (c *cursor) done() bool { return c.leaf == nil && len(c.path) == 0 }

// pending returns the subtree the cursor is at the start of.
func (c *cursor) pending() *part {
	f := c.path[len(c.path)-1]
	return f.kids[f.k]
}

// skip moves past the pending subtree.
func (c *cursor) skip() {
	for len(c.path) > 0 {
		f := &c.path[len(c.path)-1]
		if f.k++; f.k < len(f.kids) {
			return
		}
		c.path = c.path[:len(c.path)-1]
	}
}

// descend goes into the pending subtree: its first child, or its first record.
func (c *cursor) descend() {
	p := c.pending()
	switch {
	case p.inner():
		c.path = append(c.path, frame{kids: p.kids})
	case len(p.rrs) == 0:
		c.skip()
	default:
		c.leaf, c.i = p, 0
	}
}

// toRecord goes down to the next record, and reports whether there is one.
func (c *cursor) toRecord() bool {
	for c.leaf == nil && !c.done() {
		c.descend()
	}
	return c.leaf != nil
}

func (c *cursor) record() dns.RR { return c.leaf.rrs[c.i] }

// next moves past the record.
func (c *cursor) next() {
	if c.i++; c.i == len(c.leaf.rrs) {
		c.leaf = nil
		c.skip()
	}
}

// height is the number of inner levels above n's records.
func (n *part) height() int {
	h := 0
	for ; n.inner(); n = n.kids[0] {
		h++
	}
	return h
}
