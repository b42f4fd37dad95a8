package dyndns

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/etcdtest"
	"github.com/miekg/dns"
)

// TestCrashKeepsAcknowledgedUpdates floods the real binary with updates,
// kills it with SIGKILL mid-flood, restarts it on the same directory and
// checks that every acknowledged update is there and none is half there.
// Each update adds an A and a TXT record at a fresh name: both or neither
// may survive. DYNDNS_CRASH_CYCLES sets the number of kill/restart cycles
// (3 by default, enough for CI; run more by hand).
//
// Every cycle must get at least minAcked updates acknowledged before the
// kill, and until the kill every dial, write and read must succeed: a test
// whose clients never got through would prove nothing.
func TestCrashKeepsAcknowledgedUpdates(t *testing.T) {
	t.Run("directory", func(t *testing.T) { crashTest(t, "directory {DIR}") })
	t.Run("etcd", func(t *testing.T) {
		// Each replica kept its zones in memory and etcd: a kill loses
		// the replica's memory, and the restart loads from etcd.
		c := etcdtest.Start(t, 3)
		crashTest(t, "etcd "+strings.Join(c.ClientURLs(), " "))
	})
}

// crashTest runs the crash cycles with the zones kept as storage says.
func crashTest(t *testing.T, storage string) {
	cycles := 3
	if s := os.Getenv("DYNDNS_CRASH_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("DYNDNS_CRASH_CYCLES=%q: want a positive number", s)
		}
		cycles = n
	}
	const (
		clients  = 16
		minAcked = 20 // acknowledged updates per cycle before the kill may come
	)
	dir, port := t.TempDir(), freePort(t)
	// Odd cycles snapshot every 50 ms and whenever the journal passes 4 KB,
	// so that kills also land in snapshots and in compactions (which keep
	// the IXFR history in the journal).
	corefile := func(cycle int) string {
		snapshot := ""
		if cycle%2 == 1 {
			snapshot = "snapshot 50ms 4096"
		}
		return `example.org:{PORT} {
		bind 127.0.0.1
		transfer {
			to *
		}
		dyndns {
			` + storage + `
			allow-update 127.0.0.1
			ixfr-history 50
			` + snapshot + `
		}
	}`
	}
	addr := "127.0.0.1:" + port
	acked := map[string]bool{}     // over all cycles
	attempted := map[string]bool{} // sent, acknowledged or not
	for cycle := range cycles {
		d := startBinary(t, dir, port, corefile(cycle))
		var (
			mu         sync.Mutex // guards acked, attempted, cycleAcked
			cycleAcked []string
			wg         sync.WaitGroup
			killed     atomic.Bool           // set just before the kill: errors are expected from then on
			enough     = make(chan struct{}) // closed at minAcked acknowledgements this cycle
		)
		fail := func(format string, args ...any) {
			if !killed.Load() {
				t.Errorf("cycle %d: "+format, append([]any{cycle}, args...)...)
			}
		}
		for c := range clients {
			wg.Go(func() {
				conn, err := dns.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					fail("client %d: dial before the kill: %v", c, err)
					return
				}
				defer conn.Close()
				for seq := 0; ; seq++ {
					name := fmt.Sprintf("c%d-%d-%d.example.org.", cycle, c, seq)
					m := new(dns.Msg)
					m.SetUpdate("example.org.")
					a, _ := dns.NewRR(fmt.Sprintf("%s 60 IN A 10.%d.%d.%d", name, c, seq>>8&255, seq&255))
					txt, _ := dns.NewRR(fmt.Sprintf(`%s 60 IN TXT "%d"`, name, seq))
					m.Insert([]dns.RR{a, txt})
					mu.Lock()
					attempted[name] = true
					mu.Unlock()
					conn.SetDeadline(time.Now().Add(10 * time.Second))
					if err := conn.WriteMsg(m); err != nil {
						fail("%s: write before the kill: %v", name, err)
						return
					}
					r, err := conn.ReadMsg()
					if err != nil { // after the kill: this update is not acknowledged
						fail("%s: read before the kill: %v", name, err)
						return
					}
					if r.Rcode != dns.RcodeSuccess {
						t.Errorf("cycle %d: %s: %s", cycle, name, dns.RcodeToString[r.Rcode])
						return
					}
					mu.Lock()
					acked[name] = true
					if cycleAcked = append(cycleAcked, name); len(cycleAcked) == minAcked {
						close(enough)
					}
					mu.Unlock()
				}
			})
		}
		clientsDone := make(chan struct{})
		go func() { wg.Wait(); close(clientsDone) }()

		// The kill point: once minAcked updates of this cycle are
		// acknowledged, then after a random delay while the flood goes on.
		select {
		case <-enough:
		case <-clientsDone: // every client gave up: reported below
		case <-time.After(30 * time.Second):
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) // a random kill point; the outcome must not depend on it
		killed.Store(true)
		d.kill()
		<-clientsDone
		if len(cycleAcked) < minAcked {
			t.Fatalf("cycle %d: %d updates acknowledged before the kill, want at least %d", cycle, len(cycleAcked), minAcked)
		}

		d = startBinary(t, dir, port, corefile(cycle+1))
		present := axfrNames(t, addr)
		d.stop()
		missing, half := 0, 0
		for name := range acked {
			if present[name] != 2 {
				if missing++; missing <= 5 {
					t.Errorf("cycle %d: acknowledged %s has %d of its 2 records after the crash", cycle, name, present[name])
				}
			}
		}
		for name := range attempted {
			if present[name] == 1 {
				if half++; half <= 5 {
					t.Errorf("cycle %d: %s is half applied", cycle, name)
				}
			}
		}
		if missing > 0 || half > 0 {
			t.Fatalf("cycle %d: %d acknowledged updates missing, %d half applied", cycle, missing, half)
		}
		t.Logf("cycle %d: %d updates acknowledged before the kill, all %d acknowledged so far present after restart (%d attempted)",
			cycle, len(cycleAcked), len(acked), len(attempted))
	}
}

// axfrNames transfers example.org and counts the records of each name.
func axfrNames(t *testing.T, addr string) map[string]int {
	t.Helper()
	names := map[string]int{}
	for _, rr := range axfr(t, addr, "example.org.") {
		if strings.HasPrefix(rr.Header().Name, "c") {
			names[rr.Header().Name]++
		}
	}
	return names
}
