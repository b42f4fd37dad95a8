package zone

import (
	"sort"

	"github.com/miekg/dns"
)

// union is what a name serves when it has both explicit and derived
// addresses of one type and the explicit set lacks some derived ones: the
// explicit records, then the derived records whose addresses the explicit
// set does not have. It shares both lists rather than copying them, so an
// operator's few explicit records at a service name (a static backend, a
// VIP) do not make every join copy the service's members. skip holds the
// positions in d of the derived records the explicit set has, ascending.
type union struct {
	own  *RRset
	d    *chunked
	skip []int
}

// Len is the number of records.
func (u *union) Len() int { return u.own.setLen() + u.d.Len() - len(u.skip) }

// At returns the i-th record.
func (u *union) At(i int) dns.RR { return u.segment(i)[0] }

// segment returns records i, i+1, ... as far as one slice of own or of a
// leaf of d holds them without a skipped record between.
func (u *union) segment(i int) []dns.RR {
	n := u.own.setLen()
	if i < n {
		return u.own.Segment(i)
	}
	p := u.position(i - n)
	seg := u.d.segment(p)
	if k := sort.SearchInts(u.skip, p); k < len(u.skip) {
		seg = seg[:min(len(seg), u.skip[k]-p)]
	}
	return seg
}

// position returns where in d the j-th derived record not skipped is, in
// O(log skipped): before skip[m] lie skip[m]-m records not skipped, so the
// record is past the skipped ones for which that is at most j.
func (u *union) position(j int) int {
	return j + sort.Search(len(u.skip), func(m int) bool { return u.skip[m]-m > j })
}

// Range calls fn for every record in order until it returns false.
func (u *union) Range(fn func(dns.RR) bool) {
	if u.own != nil {
		more := true
		u.own.Range(func(rr dns.RR) bool { more = fn(rr); return more })
		if !more {
			return
		}
	}
	p, k := 0, 0
	u.d.Range(func(rr dns.RR) bool {
		at := p
		p++
		if k < len(u.skip) && u.skip[k] == at {
			k++
			return true
		}
		return fn(rr)
	})
}

// all returns the records as one new slice.
func (u *union) all() []dns.RR {
	out := make([]dns.RR, 0, u.Len())
	u.Range(func(rr dns.RR) bool { out = append(out, rr); return true })
	return out
}
