package pollgate

import (
	"net"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/onep"
)

// newGate returns a Gate whose turns only a poll hands on (maxWait: an
// hour), unless the test says otherwise.
func newGate(t *testing.T, budget time.Duration, maxWait ...time.Duration) *Gate {
	t.Helper()
	wait := time.Hour
	if len(maxWait) > 0 {
		wait = maxWait[0]
	}
	g, err := New(budget, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func (g *Gate) pollCount() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.polls
}

func (g *Gate) timeoutCount() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.timeouts
}

// Turns never overlap, whether they pass directly (a long budget) or
// through the poller (none), and every goroutine gets all of its turns.
func TestTurnsAreExclusive(t *testing.T) {
	for _, budget := range []time.Duration{0, time.Microsecond, time.Hour} {
		t.Run(budget.String(), func(t *testing.T) {
			g := newGate(t, budget)
			var inside atomic.Int32
			shared := 0 // guarded by the turns alone: -race checks it
			var wg sync.WaitGroup
			const workers, turns = 8, 200
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					turn := g.Enter()
					for range turns {
						if n := inside.Add(1); n != 1 {
							t.Errorf("%d goroutines hold a turn", n)
						}
						shared++
						inside.Add(-1)
						turn = turn.Yield()
					}
					turn.Leave()
				}()
			}
			wg.Wait()
			if shared != workers*turns {
				t.Fatalf("%d turns taken, want %d", shared, workers*turns)
			}
		})
	}
}

// Once the budget is spent, the next turn starts only after the pump saw a
// poll; while it lasts, turns pass without one.
func TestSpentBudgetWaitsForAPoll(t *testing.T) {
	g := newGate(t, 0)
	turn := g.Enter()
	entered := make(chan uint64)
	go func() {
		turn := g.Enter()
		entered <- g.pollCount()
		turn.Leave()
	}()
	for !waiting(g) {
		runtime.Gosched()
	}
	before := g.pollCount()
	turn.Leave()
	if after := <-entered; after <= before {
		t.Fatalf("the turn passed with %d polls, as many as before it was handed on", after)
	}

	long := newGate(t, time.Hour)
	turn = long.Enter() // the first turn waits for a poll: none was seen yet
	start := long.pollCount()
	for range 100 {
		turn = turn.Yield()
	}
	turn.Leave()
	if n := long.pollCount(); n != start {
		t.Fatalf("%d polls during 100 turns within the budget, want none", n-start)
	}
}

func waiting(g *Gate) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.waiting) > 0
}

func TestNilGateLetsEverythingThrough(t *testing.T) {
	var g *Gate
	g.Enter().Yield().Leave()
}

// The shared Gate gates only while the process has one P; a turn taken
// with one P is still given back after GOMAXPROCS changed.
func TestSharedGateGatesOnOneP(t *testing.T) {
	g := Shared()
	if g == nil {
		t.Fatal("no shared Gate")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	if turn := g.Enter(); turn.held {
		t.Fatal("a turn held with two Ps")
	}
	runtime.GOMAXPROCS(1)
	turn := g.Enter()
	if !turn.held {
		t.Fatal("no turn held with one P")
	}
	runtime.GOMAXPROCS(2)
	turn.Leave()
	runtime.GOMAXPROCS(1)
	g.Enter().Leave() // would block had the turn been kept
}

// The point of the Gate: with one P kept busy by turns of work, a UDP
// exchange still completes between turns. Without it, goroutines that keep
// the P busy (runtime.Gosched between steps) leave the socket unread until
// sysmon polls, every 10 ms.
func TestSocketsAreReadBetweenTurns(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	onep.Use(t)
	g := newGate(t, 100*time.Microsecond, MaxWait)

	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 16)
		for {
			n, addr, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo(buf[:n], addr)
		}
	}()

	onep.Loop(t, 4, func() { // a flood of update work, 50 µs a turn
		turn := g.Enter()
		for t0 := time.Now(); time.Since(t0) < 50*time.Microsecond; {
		}
		turn.Leave()
	})

	c, err := net.Dial("udp", srv.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var rtts []time.Duration
	buf := make([]byte, 16)
	for range 200 {
		t0 := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
		rtts = append(rtts, time.Since(t0))
	}
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	p50, p90 := rtts[len(rtts)/2], rtts[len(rtts)*9/10]
	t.Logf("round trips while the P is busy in turns: p50 %v, p90 %v", p50, p90)
	// Each leg waits for at most a budget and a turn; sysmon's 10 ms is
	// what an ungated flood would give.
	if p90 > 3*time.Millisecond {
		t.Fatalf("p90 round trip %v: the socket waited for sysmon, not for a turn", p90)
	}
}

// When the P never runs out of goroutines (queries saturating it), the
// runtime does not poll, and a turn would wait for sysmon's 10 ms: maxWait
// ends the wait sooner, so gated work keeps a share of the CPU.
func TestTurnsWaitAtMostMaxWait(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	g := newGate(t, 0, time.Millisecond)
	onep.Saturate(t)
	const turns = 50
	start := time.Now()
	for range turns {
		g.Enter().Leave()
	}
	took := time.Since(start)
	t.Logf("%d turns in %v: %d ended at maxWait, %d at a poll", turns, took, g.timeoutCount(), g.pollCount())
	if g.timeoutCount() == 0 {
		t.Fatal("no wait ended at maxWait")
	}
	if per := took / turns; per > 5*time.Millisecond {
		t.Fatalf("a turn waited %v on average, want about maxWait (1 ms)", per)
	}
}
