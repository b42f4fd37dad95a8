package zone

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/dyndns/dyndns/plugin/dnsname"
	"github.com/miekg/dns"
)

// Loader adds the records of a zone file to a transaction, as a zone file
// load does: owners are made canonical, duplicates are ignored, a record
// whose TTL differs from its set's takes the set's TTL (as BIND does when
// loading), and a CNAME beside other data, a second SOA or an SOA below the
// apex is an error. It gathers each RRset and writes it once in Flush, so a
// load costs O(records) however large its sets are.
//
// What it gathers is kept in a few large allocations, not several small
// ones per set: a load's garbage is freed in whole pages, which the server
// gives back to the OS, rather than left between the zone's records. The
// sets are made a block at a time rather than in one growing slice, whose
// copies took a sixth of a 200,000-record load.
type Loader struct {
	t     *Txn
	sets  map[setKey]int  // index in loads
	loads []*loading      // the sets, in the order first met
	block []loading       // where the next sets go
	ips   []byte          // where the next IPv4 addresses go (see storedIn)
	kinds map[string]kind // what this load added at each name
}

// loadingBlock is how many sets a Loader allocates at once.
const loadingBlock = 1024

// kind is what the CNAME and SOA rules need to know of the types at a name.
type kind uint8

const (
	kindCNAME          kind = 1 << iota
	kindNotBesideCNAME      // a type that may not be beside a CNAME
	kindSOA
)

func kindOf(t uint16) kind {
	switch {
	case t == dns.TypeCNAME:
		return kindCNAME
	case t == dns.TypeSOA:
		return kindSOA | kindNotBesideCNAME
	case !MayCoexistWithCNAME(t):
		return kindNotBesideCNAME
	}
	return 0
}

type loading struct {
	key  setKey
	base *RRset              // the set as the transaction held it (nil: none)
	rrs  []dns.RR            // the records this load adds to it
	seen map[uint64][]dns.RR // rrs by rrHash; built once rrs is large
}

// Loader starts a load into t.
func (t *Txn) Loader() *Loader {
	return &Loader{t: t, sets: map[setKey]int{}, kinds: map[string]kind{}}
}

// Add checks rr and gathers it into its set.
func (l *Loader) Add(rr dns.RR) error {
	h := rr.Header()
	if h.Class != dns.ClassINET {
		return fmt.Errorf("%s: class %s, only IN is served", h.Name, dns.ClassToString[h.Class])
	}
	name, err := canonical(h.Name)
	if err != nil {
		return err
	}
	h.Name = name
	if !dnsname.Within(name, l.t.origin) {
		return fmt.Errorf("%s is outside zone %s", name, l.t.origin)
	}
	if h.Rrtype == dns.TypeSOA && name != l.t.origin {
		return fmt.Errorf("SOA at %s is not at the apex %s", name, l.t.origin)
	}
	node := l.t.Node(name)
	has := l.kinds[name]
	if node != nil {
		for _, s := range node.OwnSets() {
			has |= kindOf(s.Type())
		}
	}
	k := kindOf(h.Rrtype)
	if (k&kindCNAME != 0 && has&kindNotBesideCNAME != 0) || (k&kindNotBesideCNAME != 0 && has&kindCNAME != 0) {
		return fmt.Errorf("CNAME and other data at %s", name)
	}
	sk := setKey{name, h.Rrtype}
	i, ok := l.sets[sk]
	if !ok {
		if k&kindSOA != 0 && has&kindSOA != 0 {
			return fmt.Errorf("second SOA at %s", name)
		}
		var base *RRset
		if node != nil {
			base = findSet(node.OwnSets(), h.Rrtype)
		}
		i = len(l.loads)
		if len(l.block) == cap(l.block) {
			l.block = make([]loading, 0, loadingBlock)
		}
		l.block = append(l.block, loading{key: sk, base: base})
		l.loads = append(l.loads, &l.block[len(l.block)-1])
		l.sets[sk] = i
		l.kinds[name] = has | k
	} else if k&kindSOA != 0 {
		return fmt.Errorf("second SOA at %s", name)
	}
	set := l.loads[i]
	if set.holds(rr) {
		return nil
	}
	like := set.base.first()
	if len(set.rrs) > 0 {
		like = set.rrs[0]
	}
	storedIn(rr, like, &l.ips)
	if set.base != nil {
		h.Ttl = set.base.TTL()
	} else if len(set.rrs) > 0 {
		h.Ttl = set.rrs[0].Header().Ttl
	}
	set.rrs = append(set.rrs, rr)
	set.note(rr)
	return nil
}

// Flush writes every gathered set into the transaction. Records added to
// a large set are appended to it in place when they can be, so loading a
// few records into a large set does not copy it.
func (l *Loader) Flush() {
	if l.t.untracked && len(l.loads) > treeMax {
		l.sortByKey()
	}
	for _, s := range l.loads {
		k := s.key
		switch {
		case len(s.rrs) == 0: // nothing new: the set stays as it is
		case s.base == nil:
			l.t.Set(k.name, k.typ, s.rrs)
		default:
			var kbuf [256]byte
			key, n, cur := l.t.lookup(kbuf[:0], k.name, k.typ)
			l.t.replace(key, n, k.name, k.typ, cur, s.base.appended(l.t.id, s.rrs...))
		}
	}
	clear(l.sets)
	clear(l.loads)
	l.loads, l.block = l.loads[:0], nil
	clear(l.kinds)
}

// sortByKey puts the gathered sets in the tree's order, so that they fill
// its nodes (see tree.add) whatever the order of the file: a load of 100,000
// hosts in another order leaves nodes about half full, 3 MB more. Only a
// load (an untracked transaction) is sorted: elsewhere the order of the
// changes is the order of the changeset.
func (l *Loader) sortByKey() {
	size := 0
	for _, s := range l.loads {
		size += len(s.key.name) + 1 // a key is at most its name's length and a byte
	}
	keys := make([]byte, 0, size)
	ends := make([]int, len(l.loads))
	for i, s := range l.loads {
		keys = appendKey(keys, s.key.name, l.t.origin)
		ends[i] = len(keys)
	}
	key := func(i int) []byte {
		if i == 0 {
			return keys[:ends[0]]
		}
		return keys[ends[i-1]:ends[i]]
	}
	order := make([]int, len(l.loads))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(key(a), key(b)) })
	sorted := make([]*loading, len(l.loads))
	for i, j := range order {
		sorted[i] = l.loads[j]
	}
	l.loads = sorted
}

func (s *loading) note(rr dns.RR) {
	if s.seen != nil {
		h := rrHash(rr)
		s.seen[h] = append(s.seen[h], rr)
	}
}

// holds reports whether the set has rr's data already: O(1), through the
// set's index and, once this load added many records, a map of them.
func (s *loading) holds(rr dns.RR) bool {
	if s.base.holds(rr) {
		return true
	}
	if len(s.rrs) < indexMin {
		return containsRR(s.rrs, rr)
	}
	if isAddress(s.key.typ) {
		return false // a large address set drops repeats as it is sorted (sortedList)
	}
	if s.seen == nil {
		s.seen = make(map[uint64][]dns.RR, len(s.rrs))
		for _, x := range s.rrs {
			s.note(x)
		}
	}
	return containsRR(s.seen[rrHash(rr)], rr)
}

// Insert loads one record; see Loader.
func (t *Txn) Insert(rr dns.RR) error {
	l := t.Loader()
	if err := l.Add(rr); err != nil {
		return err
	}
	l.Flush()
	return nil
}

// canonical returns name lower-cased and escaped as a name that arrived on
// the wire would be: zone files may spell "www" as "\\119ww" or hold raw
// bytes, which must not become different names.
func canonical(name string) (string, error) {
	if plain(name) {
		return strings.ToLower(name), nil
	}
	var buf [256]byte
	off, err := dns.PackDomainName(name, buf[:], 0, nil, false)
	if err != nil {
		return "", fmt.Errorf("bad name %q: %w", name, err)
	}
	out, _, err := dns.UnpackDomainName(buf[:off], 0)
	if err != nil {
		return "", fmt.Errorf("bad name %q: %w", name, err)
	}
	return strings.ToLower(out), nil
}

// plain reports whether name needs no unescaping: letters, digits, '-',
// '_', '*' and dots only, as nearly every zone file's names.
func plain(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '*' || c == '.') {
			return false
		}
	}
	return len(name) <= 255 && dns.IsFqdn(name)
}

// MayCoexistWithCNAME reports whether records of type t may share a name
// with a CNAME (RFC 2181 §10.1, RFC 4035 §2.5).
func MayCoexistWithCNAME(t uint16) bool {
	switch t {
	case dns.TypeCNAME, dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeKEY:
		return true
	}
	return false
}

// DefaultApex returns the records a zone starts with when it has no zone
// file and no name server was configured: Apex with ns1 under the apex and
// no address for it.
func DefaultApex(origin string) []dns.RR { return Apex(origin, "ns1."+origin, nil) }

// Apex returns the records a zone without a zone file starts with: an SOA
// and an NS naming nameserver (a FQDN), and, when nameserver is inside the
// zone, its addresses (glue), so that a resolver can reach the server.
func Apex(origin, nameserver string, addrs []netip.Addr) []dns.RR {
	nameserver = dns.Fqdn(strings.ToLower(nameserver))
	soa := &dns.SOA{
		Hdr:     dns.RR_Header{Name: origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 3600},
		Ns:      nameserver,
		Mbox:    dns.Fqdn("hostmaster." + origin),
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  604800,
		Minttl:  60,
	}
	ns := &dns.NS{
		Hdr: dns.RR_Header{Name: origin, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 3600},
		Ns:  nameserver,
	}
	rrs := []dns.RR{soa, ns}
	if !dnsname.Within(nameserver, origin) {
		return rrs
	}
	for _, a := range addrs {
		hdr := dns.RR_Header{Name: nameserver, Class: dns.ClassINET, Ttl: 3600}
		if a.Is4() || a.Is4In6() {
			hdr.Rrtype = dns.TypeA
			rrs = append(rrs, &dns.A{Hdr: hdr, A: a.Unmap().AsSlice()})
		} else {
			hdr.Rrtype = dns.TypeAAAA
			rrs = append(rrs, &dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
		}
	}
	return rrs
}
