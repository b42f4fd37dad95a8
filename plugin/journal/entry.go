package journal

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/miekg/dns"
)

// Entry is one committed change of a zone: the zone moved from serial From
// to serial To by deleting Del then adding Add (explicit records, the SOA
// included), and the records in Leases got the deadlines given there. An
// entry with only leases (a renewal) has From == To.
type Entry struct {
	From, To uint32
	Del, Add []dns.RR
	Leases   []Lease
	// LSN is the entry's log sequence number, set by Replay; it is not
	// stored in the record but follows from its place in the journal.
	LSN uint64
}

// Lease gives a record (owner, type and data; the TTL does not matter) a
// deadline in Unix seconds; 0 ends its lease.
type Lease struct {
	RR    dns.RR
	Until int64
}

const (
	entryFixed = 16 // From, To, len(Del), len(Add)
	// minRRWire is the smallest possible RR on the wire (root owner, empty
	// rdata) plus its length prefix; it bounds the RR counts a payload of a
	// given size can claim, so a corrupt count cannot force a huge allocation.
	minRRWire = 2 + 1 + 10
)

// appendPayload appends the encoding of e to dst.
func appendPayload(dst []byte, e *Entry) ([]byte, error) {
	dst = binary.BigEndian.AppendUint32(dst, e.From)
	dst = binary.BigEndian.AppendUint32(dst, e.To)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(e.Del)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(e.Add)))
	var err error
	for _, rr := range e.Del {
		if dst, err = appendRR(dst, rr); err != nil {
			return dst, err
		}
	}
	for _, rr := range e.Add {
		if dst, err = appendRR(dst, rr); err != nil {
			return dst, err
		}
	}
	if len(e.Leases) == 0 {
		return dst, nil // the layout of version 1
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(e.Leases)))
	for _, l := range e.Leases {
		dst = binary.BigEndian.AppendUint64(dst, uint64(l.Until))
		if dst, err = appendRR(dst, l.RR); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendRR appends rr in uncompressed wire form with a uint16 length prefix.
//
// It packs through a dns.Msg rather than dns.PackRR because PackRR writes
// rr.Header().Rdlength, and the RRs handed to Enqueue are typically shared
// with goroutines serving queries from the published zone.
func appendRR(dst []byte, rr dns.RR) ([]byte, error) {
	if rr == nil {
		return dst, errors.New("nil RR")
	}
	// dns.Msg packs an empty owner as no bytes at all, which would not
	// decode again.
	if !dns.IsFqdn(rr.Header().Name) {
		return dst, fmt.Errorf("RR owner %q is not fully qualified", rr.Header().Name)
	}
	m := dns.Msg{Answer: []dns.RR{rr}}
	wire, err := m.Pack()
	if err != nil {
		return dst, fmt.Errorf("packing %s: %w", rr.Header().String(), err)
	}
	wire = wire[dnsHeaderLen:]
	if len(wire) > 0xFFFF {
		return dst, fmt.Errorf("RR %s is %d bytes on the wire, more than 65535", rr.Header().String(), len(wire))
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(wire)))
	return append(dst, wire...), nil
}

const dnsHeaderLen = 12

// decodePayload is the inverse of appendPayload. It never panics and does
// not allocate more than a small multiple of len(p).
func decodePayload(p []byte) (Entry, error) {
	var e Entry
	if len(p) < entryFixed {
		return e, fmt.Errorf("payload of %d bytes is shorter than %d", len(p), entryFixed)
	}
	e.From = binary.BigEndian.Uint32(p[0:])
	e.To = binary.BigEndian.Uint32(p[4:])
	nDel := uint64(binary.BigEndian.Uint32(p[8:]))
	nAdd := uint64(binary.BigEndian.Uint32(p[12:]))
	if nDel+nAdd > uint64(len(p)-entryFixed)/minRRWire {
		return e, fmt.Errorf("RR counts %d+%d do not fit in a payload of %d bytes", nDel, nAdd, len(p))
	}
	off := entryFixed
	var err error
	if e.Del, off, err = decodeRRs(p, off, int(nDel)); err != nil {
		return e, fmt.Errorf("deleted RR: %w", err)
	}
	if e.Add, off, err = decodeRRs(p, off, int(nAdd)); err != nil {
		return e, fmt.Errorf("added RR: %w", err)
	}
	if off < len(p) {
		if e.Leases, off, err = decodeLeases(p, off); err != nil {
			return e, fmt.Errorf("lease: %w", err)
		}
	}
	if off != len(p) {
		return e, fmt.Errorf("%d trailing bytes after the last RR", len(p)-off)
	}
	return e, nil
}

// decodeLeases decodes the lease section: a count, then per lease a
// deadline and an RR.
func decodeLeases(p []byte, off int) ([]Lease, int, error) {
	if len(p)-off < 4 {
		return nil, off, errors.New("truncated count")
	}
	n := uint64(binary.BigEndian.Uint32(p[off:]))
	off += 4
	if n == 0 || n > uint64(len(p)-off)/(8+minRRWire) {
		return nil, off, fmt.Errorf("count %d does not fit in the %d bytes left", n, len(p)-off)
	}
	leases := make([]Lease, n)
	for i := range leases {
		if len(p)-off < 8 {
			return nil, off, fmt.Errorf("#%d: truncated deadline", i)
		}
		leases[i].Until = int64(binary.BigEndian.Uint64(p[off:]))
		rrs, end, err := decodeRRs(p, off+8, 1)
		if err != nil {
			return nil, off, fmt.Errorf("#%d: %w", i, err)
		}
		leases[i].RR, off = rrs[0], end
	}
	return leases, off, nil
}

func decodeRRs(p []byte, off, n int) ([]dns.RR, int, error) {
	if n == 0 {
		return nil, off, nil
	}
	rrs := make([]dns.RR, 0, n)
	for i := range n {
		if len(p)-off < 2 {
			return nil, off, fmt.Errorf("#%d: truncated length", i)
		}
		l := int(binary.BigEndian.Uint16(p[off:]))
		off += 2
		if len(p)-off < l {
			return nil, off, fmt.Errorf("#%d: length %d runs past the payload", i, l)
		}
		if l < minRRWire-2 {
			return nil, off, fmt.Errorf("#%d: length %d is too short for an RR", i, l)
		}
		// The RR is unpacked from its own slice so a compression pointer
		// cannot reach into neighbouring data.
		wire := p[off : off+l : off+l]
		rr, end, err := dns.UnpackRR(wire, 0)
		if err != nil {
			return nil, off, fmt.Errorf("#%d: %w", i, err)
		}
		if rr == nil {
			return nil, off, fmt.Errorf("#%d: empty RR", i)
		}
		if end != l {
			return nil, off, fmt.Errorf("#%d: %d bytes left after the RR", i, l-end)
		}
		rrs = append(rrs, rr)
		off += l
	}
	return rrs, off, nil
}

// AppendEntry appends the encoding of e (the payload of a journal record,
// without framing or checksum) to dst. Stores that keep changesets
// elsewhere (etcd) use the journal's format for them.
func AppendEntry(dst []byte, e *Entry) ([]byte, error) { return appendPayload(dst, e) }

// DecodeEntry decodes what AppendEntry encoded; it never trusts the counts
// it reads (see minRRWire).
func DecodeEntry(p []byte) (Entry, error) { return decodePayload(p) }
