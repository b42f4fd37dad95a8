package update

import (
	"fmt"

	"github.com/miekg/dns"
)

// Error is a failed UPDATE: the rcode to answer and why, for the log.
type Error struct {
	Rcode  int
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", dns.RcodeToString[e.Rcode], e.Reason)
}

func fail(rcode int, format string, args ...any) *Error {
	return &Error{Rcode: rcode, Reason: fmt.Sprintf(format, args...)}
}
