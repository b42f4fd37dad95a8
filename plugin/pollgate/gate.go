// Package pollgate keeps background work from starving the network.
//
// Go's scheduler reads ready sockets (the netpoller) only when a P has no
// goroutine left to run, or from sysmon every 10 ms. A flood of UPDATEs
// keeps the one P of a pinned server busy in convoys: 50 transactions, 50
// audit lines, 50 replies. A query's packet then waits in the socket until
// the convoy ends, for milliseconds, although it needs microseconds.
//
// A Gate splits such work into turns and makes the network part of the
// rotation. Work runs between Enter and Leave, one holder at a time. A turn
// may pass straight to the next holder while the network was polled less
// than the Gate's budget ago. Once the budget is spent, the next turn waits
// for the runtime to poll the network again: the Gate's own pipe becomes
// readable and its pump goroutine, which the poller wakes along with every
// socket that has a packet, hands the turn on. Whatever those packets start
// (queries) runs before that pump, so a query waits for at most one budget
// plus one turn of update work.
//
// A turn never waits for a poll longer than the Gate's maxWait. When
// queries saturate the P, the socket reader never runs out of packets and
// the runtime stops polling (sysmon still does, every 10 ms); gated work
// then gets a budget every maxWait, a share of the CPU rather than none.
//
// The Go runtime has no goroutine priorities; this is how a goroutine asks
// to run only once the network has been looked at.
package pollgate

import (
	"os"
	"runtime"
	"sync"
	"time"
)

// Gate hands turns of background work from one goroutine to the next,
// through the network poller once a budget is spent. The zero value is not
// usable; use New.
type Gate struct {
	budget, maxWait time.Duration
	oneP            bool // gate only while the process has one P (Shared)

	mu       sync.Mutex
	held     bool            // a goroutine is between Enter and Leave, or a turn is on its way to one
	waiting  []chan struct{} // goroutines in Enter, first come first served
	armed    bool            // the next poll, or maxWait, hands the turn on
	armedAt  time.Time       // when armed was set
	inPipe   bool            // a byte is in the pipe that the pump has not read
	lastPoll time.Time       // when the pump last woke, or a wait timed out
	polls    uint64          // how many times the pump woke, for tests
	timeouts uint64          // how many waits ended at maxWait, for tests

	r, w  *os.File
	timer *time.Timer // ends a wait at maxWait
}

// New returns a Gate whose turns pass directly while the network was polled
// less than budget ago, and otherwise wait for the next poll, or for
// maxWait at most. Its pump goroutine and pipe live until Close: a Gate is
// meant to be shared by everything one process does.
func New(budget, maxWait time.Duration) (*Gate, error) {
	r, w, err := os.Pipe() // non-blocking and registered with the poller
	if err != nil {
		return nil, err
	}
	g := &Gate{budget: budget, maxWait: maxWait, r: r, w: w}
	g.timer = time.AfterFunc(time.Hour, g.expire)
	g.timer.Stop()
	go g.pump()
	return g, nil
}

// Turn is a goroutine's turn of a Gate, from Enter to Leave. The zero Turn
// holds nothing: its Leave does nothing.
type Turn struct {
	g    *Gate
	held bool
}

// Enter blocks until the caller holds a turn, and returns it. A nil Gate,
// or a one-P Gate while the process has several Ps, lets it through at
// once with a Turn that holds nothing.
func (g *Gate) Enter() Turn {
	if g == nil || g.oneP && runtime.GOMAXPROCS(0) > 1 {
		return Turn{g: g}
	}
	g.mu.Lock()
	if !g.held && len(g.waiting) == 0 && g.fresh() {
		g.held = true
		g.mu.Unlock()
		return Turn{g: g, held: true}
	}
	ch := make(chan struct{})
	g.waiting = append(g.waiting, ch)
	if !g.held {
		g.arm()
	}
	g.mu.Unlock()
	<-ch
	return Turn{g: g, held: true}
}

// Leave ends the turn and passes it on: directly while the budget lasts,
// through the poller once it is spent.
func (t Turn) Leave() {
	if !t.held {
		return
	}
	g := t.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiting) == 0 {
		g.held = false
		return
	}
	if g.fresh() {
		g.handOn()
		return
	}
	g.held = false
	g.arm()
}

// Yield ends the turn and waits for another: a long task (a snapshot)
// calls it every few records so that it runs in turns too.
func (t Turn) Yield() Turn {
	t.Leave()
	return t.g.Enter()
}

// fresh says whether the network was polled less than the budget ago.
// Called with mu held.
func (g *Gate) fresh() bool { return time.Since(g.lastPoll) < g.budget }

// handOn gives the turn to the first waiting goroutine. Called with mu held.
func (g *Gate) handOn() {
	ch := g.waiting[0]
	g.waiting[0] = nil
	g.waiting = g.waiting[1:]
	g.held = true
	close(ch)
}

// arm has the turn handed on after the next poll, or after maxWait.
// Called with mu held.
func (g *Gate) arm() {
	if g.armed {
		return
	}
	g.armed, g.armedAt = true, time.Now()
	if !g.inPipe {
		// One byte at most is ever in the pipe, so the write never waits.
		// Should it fail anyway, the timer still ends the wait.
		if _, err := g.w.Write([]byte{0}); err == nil {
			g.inPipe = true
		}
	}
	g.timer.Reset(g.maxWait)
}

// settle ends a wait: the first waiter gets the turn if no one holds it.
// Called with mu held.
func (g *Gate) settle() {
	g.armed = false
	g.timer.Stop()
	if !g.held && len(g.waiting) > 0 {
		g.handOn()
	}
}

// expire ends a wait that lasted maxWait without a poll. The turn gets a
// budget as after a poll: the poller is busy, not idle.
func (g *Gate) expire() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.armed || time.Since(g.armedAt) < g.maxWait {
		return // settled already, or armed again since this timer was set
	}
	g.timeouts++
	g.lastPoll = time.Now()
	g.settle()
}

// Close stops the pump. No goroutine may be in Enter or hold a turn.
func (g *Gate) Close() error {
	g.timer.Stop()
	return g.w.Close() // the pump reads EOF and returns; it closes r
}

// pump waits on the pipe, so the poller wakes it; each wake-up marks a poll
// and gives the turn to the first waiter if no one holds it.
func (g *Gate) pump() {
	buf := make([]byte, 64)
	for {
		if _, err := g.r.Read(buf); err != nil {
			g.r.Close()
			return
		}
		g.mu.Lock()
		g.inPipe = false
		g.lastPoll = time.Now()
		g.polls++
		g.settle()
		g.mu.Unlock()
	}
}

// Budget is how long the shared Gate lets turns pass between two polls of
// the network: about half an idle query's p99 on the 2-core bench machine.
// MaxWait bounds a turn's wait for a poll: with queries saturating the
// CPU, gated work (updates) still gets about a tenth of it.
const (
	Budget  = 100 * time.Microsecond
	MaxWait = time.Millisecond
)

var shared = sync.OnceValue(func() *Gate {
	g, err := New(Budget, MaxWait)
	if err != nil {
		return nil // no pipe to spare: work goes on ungated
	}
	g.oneP = true
	return g
})

// Shared returns the process's Gate, nil (which gates nothing) if it could
// not be made. It gates only while the process has one P: with several, an
// idle or spinning P polls the network, and serialising the gated work
// cost 15-20% of a 50-client durable update rate on two
// (BenchmarkDurableUpdates).
func Shared() *Gate { return shared() }
