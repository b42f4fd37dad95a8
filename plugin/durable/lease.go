package durable

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// The zone file carries what the journal would otherwise have to keep
// forever, as comments a resolver-facing parser ignores:
//
//	@     3600 IN SOA ns1 hostmaster 7 3600 600 604800 60 ; dyndns-lsn 1234
//	host    60 IN A   192.0.2.1 ; lease-until 2026-12-01T15:04:05Z
//
// dyndns-lsn is the last journal entry the file covers (entries that change
// no serial, such as lease renewals, make the serial unfit for that);
// lease-until is a record's lease deadline, absolute, so a restart never
// extends a lease.
const (
	lsnComment   = "dyndns-lsn "
	leaseComment = "lease-until "
)

// annotate returns the comments of a snapshot of v covering journal LSN lsn.
func annotate(v *zone.Version, lsn uint64) func(dns.RR) string {
	return func(rr dns.RR) string {
		if rr.Header().Rrtype == dns.TypeSOA {
			return lsnComment + strconv.FormatUint(lsn, 10)
		}
		if until := v.Lease(rr); until != 0 {
			return leaseComment + time.Unix(until, 0).UTC().Format(time.RFC3339)
		}
		return ""
	}
}

// parseComment reads a record's comment from the zone file: the LSN on the
// SOA, or a lease deadline. Other comments (a hand-edited file) are kept
// out of the way.
func parseComment(rr dns.RR, comment string) (lsn uint64, until int64, err error) {
	switch {
	case rr.Header().Rrtype == dns.TypeSOA && strings.HasPrefix(comment, lsnComment):
		lsn, err = strconv.ParseUint(strings.TrimPrefix(comment, lsnComment), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("bad %q comment: %w", strings.TrimSpace(lsnComment), err)
		}
	case strings.HasPrefix(comment, leaseComment):
		t, perr := time.Parse(time.RFC3339, strings.TrimPrefix(comment, leaseComment))
		if perr != nil {
			return 0, 0, fmt.Errorf("bad %q comment: %w", strings.TrimSpace(leaseComment), perr)
		}
		until = t.Unix()
	}
	return lsn, until, nil
}
