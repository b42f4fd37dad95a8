package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// sender sends UPDATEs to one server over TCP, signed with key when it is set.
type sender struct {
	server  string
	key     *tsigKey
	timeout time.Duration // per exchange: dial, write and read
}

// updateError is an UPDATE that failed. retry says whether trying again
// later may help: the server was unreachable, or answered SERVFAIL or REFUSED.
type updateError struct {
	zone   string
	server string
	rcode  int    // -1: no answer
	tsig   uint16 // TSIG error in the answer, if any
	err    error  // transport or signature error
	retry  bool
}

func (e *updateError) Error() string {
	if e.rcode < 0 {
		return fmt.Sprintf("UPDATE of %s: no answer from %s: %v", e.zone, e.server, e.err)
	}
	s := fmt.Sprintf("UPDATE of %s: %s answered %s", e.zone, e.server, rcodeName(e.rcode))
	if e.tsig != 0 {
		s += " (TSIG " + rcodeName(int(e.tsig)) + ")"
	}
	if hint := rcodeHint(e.rcode, e.tsig); hint != "" {
		s += ": " + hint
	}
	if e.err != nil {
		s += fmt.Sprintf(" [%v]", e.err)
	}
	return s
}

func (e *updateError) Unwrap() error { return e.err }

// retryable says whether err is worth retrying later.
func retryable(err error) bool {
	var ue *updateError
	if errors.As(err, &ue) {
		return ue.retry
	}
	var de *detectError
	return errors.As(err, &de) // no route yet: the network may come up
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

func rcodeHint(rcode int, tsig uint16) string {
	switch {
	case tsig == dns.RcodeBadTime:
		return "the clocks of this host and the server differ too much"
	case tsig == dns.RcodeBadKey:
		return "the server does not know this TSIG key (name or algorithm)"
	case tsig == dns.RcodeBadSig:
		return "the TSIG secret does not match the server's"
	case rcode == dns.RcodeRefused:
		return "not allowed to update (is this host or key in the server's allow-update?)"
	case rcode == dns.RcodeNotAuth:
		return "the server is not authoritative for the zone, or rejected the TSIG key"
	case rcode == dns.RcodeNotZone:
		return "a name is outside the zone"
	case rcode == dns.RcodeServerFailure:
		return "the server could not apply it (its log says why)"
	}
	return ""
}

// send sends one UPDATE and waits for the answer. Any answer but NOERROR
// is an *updateError.
func (s *sender) send(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	zone := m.Question[0].Name
	c := &dns.Client{Net: "tcp", Timeout: s.timeout}
	if s.key != nil {
		c.TsigSecret = map[string]string{s.key.name: s.key.secret}
		m.SetTsig(s.key.name, s.key.algorithm, 300, time.Now().Unix())
	}
	r, _, err := c.ExchangeContext(ctx, m, s.server)
	if r == nil { // no answer: unreachable, timed out, connection reset
		return nil, &updateError{zone: zone, server: s.server, rcode: -1, err: err, retry: true}
	}
	ue := &updateError{zone: zone, server: s.server, rcode: r.Rcode}
	if t := r.IsTsig(); t != nil {
		ue.tsig = t.Error
	}
	if err != nil && r.Rcode == dns.RcodeSuccess {
		// A NOERROR answer that did not parse or whose signature did not
		// verify cannot be trusted. Sending the UPDATE again is harmless.
		// (Error answers are reported by their RCODE: servers do not sign
		// BADKEY or BADSIG answers, so those never verify.)
		ue.rcode, ue.err, ue.retry = -1, fmt.Errorf("unusable answer: %v", err), true
		return nil, ue
	}
	switch r.Rcode {
	case dns.RcodeSuccess:
		return r, nil
	case dns.RcodeServerFailure, dns.RcodeRefused:
		ue.retry = true
	}
	return nil, ue
}
