package dyndns

import (
	"fmt"
	"sync/atomic"

	"github.com/miekg/dns"
	"golang.org/x/time/rate"
)

// rateLog writes log lines caused by clients at a bounded rate: a burst,
// then a few lines a second. The lines it skips are counted and reported
// with the next line written.
type rateLog struct {
	limit   *rate.Limiter
	skipped atomic.Int64
}

// Up to 20 lines at once, then 5 a second: enough to see what goes on,
// too few to fill a disk.
func newRateLog() *rateLog { return &rateLog{limit: rate.NewLimiter(5, 20)} }

// log writes the line at info level, or at error level for a server
// failure, unless the rate is exceeded.
func (l *rateLog) log(rcode int, format string, args ...any) {
	if !l.limit.Allow() {
		l.skipped.Add(1)
		return
	}
	line := fmt.Sprintf(format, args...)
	if n := l.skipped.Swap(0); n > 0 {
		line += fmt.Sprintf(" (and %d more not logged)", n)
	}
	if rcode == dns.RcodeServerFailure {
		log.Error(line)
	} else {
		log.Info(line)
	}
}
