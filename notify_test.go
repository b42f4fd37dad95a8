package dyndns

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestUpdatesNotifySecondaries(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var notifies atomic.Int32
	secondary := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Opcode == dns.OpcodeNotify && r.Question[0].Name == "example.org." {
			notifies.Add(1)
			time.Sleep(20 * time.Millisecond) // a secondary busy checking the serial
		}
		m := new(dns.Msg)
		m.SetReply(r)
		w.WriteMsg(m)
	})}
	go secondary.ActivateAndServe()
	t.Cleanup(func() { secondary.Shutdown() })

	_, tcp := startServer(t, `example.org:0 {
		bind 127.0.0.1
		transfer {
			to `+pc.LocalAddr().String()+`
		}
		dyndns {
			allow-update 127.0.0.1
		}
	}`)
	const updates = 50
	for i := range updates {
		if rc := addA(t, "tcp", tcp, fmt.Sprintf("n%d.example.org.", i), "192.0.2.1"); rc != dns.RcodeSuccess {
			t.Fatal(dns.RcodeToString[rc])
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for notifies.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	n := notifies.Load()
	if n == 0 || n >= updates {
		t.Errorf("%d NOTIFYs for %d updates: want at least one, coalesced", n, updates)
	}
	t.Logf("%d NOTIFYs for %d updates", n, updates)
}
