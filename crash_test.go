package dyndns

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestCrashKeepsAcknowledgedUpdates floods the real binary with updates,
// kills it with SIGKILL mid-flood, restarts it on the same directory and
// checks that every acknowledged update is there and none is half there.
// Each update adds an A and a TXT record at a fresh name: both or neither
// may survive. DYNDNS_CRASH_CYCLES sets the number of kill/restart cycles
// (3 by default, enough for CI; run more by hand).
func TestCrashKeepsAcknowledgedUpdates(t *testing.T) {
	cycles := 3
	if s := os.Getenv("DYNDNS_CRASH_CYCLES"); s != "" {
		cycles, _ = strconv.Atoi(s)
	}
	const clients = 16
	dir, port := t.TempDir(), freePort(t)
	corefile := `example.org:{PORT} {
		bind 127.0.0.1
		transfer {
			to *
		}
		dyndns {
			directory {DIR}
			allow-update 127.0.0.1
		}
	}`
	addr := "127.0.0.1:" + port
	acked := map[string]bool{}
	attempted := map[string]bool{}
	for cycle := range cycles {
		d := startBinary(t, dir, port, corefile)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := dns.DialTimeout("tcp", addr, 2*time.Second)
				if err != nil {
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
					conn.SetDeadline(time.Now().Add(2 * time.Second))
					if conn.WriteMsg(m) != nil {
						return
					}
					r, err := conn.ReadMsg()
					if err != nil {
						return // the server died: this update is not acknowledged
					}
					if r.Rcode != dns.RcodeSuccess {
						t.Errorf("%s: %s", name, dns.RcodeToString[r.Rcode])
						return
					}
					mu.Lock()
					acked[name] = true
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		d.cmd.Process.Kill()
		d.cmd.Wait()
		wg.Wait()

		d = startBinary(t, dir, port, corefile)
		present := axfrNames(t, addr)
		missing, half := 0, 0
		for name := range acked {
			if present[name] != 2 {
				missing++
				if missing < 5 {
					t.Errorf("cycle %d: acknowledged %s has %d of its 2 records after the crash", cycle, name, present[name])
				}
			}
		}
		for name := range attempted {
			if n := present[name]; n == 1 {
				half++
				t.Errorf("cycle %d: %s is half applied", cycle, name)
			}
		}
		t.Logf("cycle %d: %d updates acknowledged so far, %d attempted, %d missing, %d half applied", cycle, len(acked), len(attempted), missing, half)
		d.stop()
	}
}

// axfrNames transfers example.org and counts the records of each name.
func axfrNames(t *testing.T, addr string) map[string]int {
	t.Helper()
	m := new(dns.Msg)
	m.SetAxfr("example.org.")
	tr := &dns.Transfer{ReadTimeout: 10 * time.Second}
	env, err := tr.In(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for e := range env {
		if e.Error != nil {
			t.Fatal(e.Error)
		}
		for _, rr := range e.RR {
			if strings.HasPrefix(rr.Header().Name, "c") {
				names[rr.Header().Name]++
			}
		}
	}
	return names
}
