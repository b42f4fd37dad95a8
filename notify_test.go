package dyndns

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// secondary is a fake secondary that holds every NOTIFY round until the
// test releases it, so the test decides what happens while a round is
// outstanding instead of guessing with sleeps.
type secondary struct {
	mu     sync.Mutex
	gates  map[uint16]chan struct{} // by message ID: one per round, retries share it
	open   bool                     // set by releaseAll: hold nothing any more
	rounds chan round
}

// round is one NOTIFY round (a retry of a round has the same message ID).
type round struct {
	id      uint16
	release func()
}

func startSecondary(t *testing.T) (addr string, s *secondary) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s = &secondary{gates: map[uint16]chan struct{}{}, rounds: make(chan round, 100)}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Opcode == dns.OpcodeNotify && len(r.Question) == 1 && r.Question[0].Name == "example.org." {
			s.mu.Lock()
			gate, seen := s.gates[r.Id]
			if !seen && !s.open {
				gate = make(chan struct{})
				s.gates[r.Id] = gate
				s.rounds <- round{r.Id, sync.OnceFunc(func() { close(gate) })}
			}
			s.mu.Unlock()
			if gate != nil {
				<-gate
			}
		}
		m := new(dns.Msg)
		m.SetReply(r)
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String(), s
}

// releaseAll lets every held and future NOTIFY through.
func (s *secondary) releaseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = true
	for _, gate := range s.gates {
		select {
		case <-gate:
		default:
			close(gate)
		}
	}
}

// next waits for the next NOTIFY round.
func (s *secondary) next(t *testing.T, what string) round {
	t.Helper()
	select {
	case r := <-s.rounds:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("no NOTIFY %s within 10s", what)
		return round{}
	}
}

// Updates made while a NOTIFY round is outstanding coalesce into one more
// round after it: the secondary learns of every change, without one
// NOTIFY per update.
func TestUpdatesNotifySecondaries(t *testing.T) {
	sec, s := startSecondary(t)
	_, tcp := startServer(t, `example.org:0 {
		bind 127.0.0.1
		transfer {
			to `+sec+`
		}
		dyndns {
			allow-update 127.0.0.1
		}
	}`)
	t.Cleanup(s.releaseAll) // runs first: a held NOTIFY must not block the shutdowns

	if rc := addA(t, "tcp", tcp, "n0.example.org.", "192.0.2.1"); rc != dns.RcodeSuccess {
		t.Fatal(dns.RcodeToString[rc])
	}
	first := s.next(t, "after an update")
	// The first round is held by the secondary: these updates all come
	// while it is outstanding.
	const updates = 50
	for i := 1; i < updates; i++ {
		if rc := addA(t, "tcp", tcp, fmt.Sprintf("n%d.example.org.", i), "192.0.2.1"); rc != dns.RcodeSuccess {
			t.Fatal(dns.RcodeToString[rc])
		}
	}
	select {
	case r := <-s.rounds:
		t.Fatalf("NOTIFY %d sent while NOTIFY %d was outstanding", r.id, first.id)
	default:
	}
	first.release()
	second := s.next(t, "for the updates made while the first NOTIFY was outstanding")
	// Hold the second round: while it is outstanding, no other may start.
	select {
	case r := <-s.rounds:
		t.Errorf("a third NOTIFY (%d) for %d updates: not coalesced", r.id, updates)
	default:
	}
	second.release()
}
