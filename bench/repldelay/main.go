// Command repldelay is bench/etcd.sh's helper for two dyndns replicas that
// share zones through etcd (the update load itself is dnsperf's, as in
// run.sh and scale.sh):
//
//	repldelay delay -a ADDR [-b ADDR] -zone Z -n N [-prefix P] [-net 10.250] [-timeout 5s] [-poll 0]
//	    sends N UPDATEs, one at a time over one TCP connection, to replica A,
//	    each adding a fresh host (P<i>.Z A NET.x.y); a background poller asks
//	    replica B over UDP for the pending name as fast as it can (-poll: a
//	    pause between polls) from before the UPDATE is sent. Per update:
//	    ack = from sending to A's NOERROR, delay = from A's NOERROR to the
//	    first answer of B that has the new address (negative when B
//	    answered before A's NOERROR reached us). Without -b, nothing is
//	    polled: the UPDATE round trip alone. Prints one line of
//	    "key=value" figures (ms), plus the samples to -out when given.
//	repldelay check -s ADDR -zone Z [-first K] FILE...
//	    asks server ADDR for the first K hosts each dnsperf update FILE adds
//	    ("add NAME TTL A ADDR" lines; all of them without -first) and prints
//	    "present=N absent=M other=O": names that answer their address, that
//	    do not exist, and anything else (a wrong address, an error, no
//	    answer after 3 tries).
//	repldelay txn -endpoints URL,... [-n 200] [-prefix /bench]
//	    runs N etcd transactions one at a time, each shaped as dyndns's
//	    commit (compare the head's value, put a log record of 200 bytes and
//	    the head), and prints "n=N p50_ms=... p99_ms=...": etcd's own
//	    commit latency, without dyndns.
//	repldelay fsync -dir DIR [-d 1s]
//	    writes 4 KiB and fdatasyncs a file in DIR for -d, and prints
//	    "n=N mean_ms=M p50_ms=... p99_ms=...": the disk's sync latency, what
//	    a journal or etcd's WAL pays per commit.
//
// Exit status 1 on a usage error or when the servers cannot be reached.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: repldelay delay|check|fsync [flags]")
		os.Exit(1)
	}
	var err error
	switch os.Args[1] {
	case "delay":
		err = delay(os.Args[2:])
	case "check":
		err = check(os.Args[2:])
	case "txn":
		err = txn(os.Args[2:])
	case "fsync":
		err = fsync(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "repldelay:", err)
		os.Exit(1)
	}
}

// ---------------------------------------------------------------- delay

// target is the name the poller looks for, and what it found.
type target struct {
	name string
	addr net.IP
	seen chan time.Time // gets the time of B's first right answer
}

func delay(args []string) error {
	fs := flag.NewFlagSet("delay", flag.ExitOnError)
	a := fs.String("a", "", "replica A, HOST:PORT (takes the UPDATEs, over TCP)")
	b := fs.String("b", "", "replica B, HOST:PORT (polled over UDP; none: no polling)")
	zone := fs.String("zone", "example.org", "zone")
	n := fs.Int("n", 500, "updates")
	prefix := fs.String("prefix", "rd", "host name prefix (names are PREFIX<i>)")
	network := fs.String("net", "10.250", "first two octets of the addresses")
	timeout := fs.Duration("timeout", 5*time.Second, "how long an UPDATE, or B's catching up, may take")
	poll := fs.Duration("poll", 0, "pause between two polls of B (0: none)")
	out := fs.String("out", "", "write the samples (ack_ms delay_ms per update) here")
	_ = fs.Parse(args)
	if *a == "" {
		return errors.New("delay wants -a")
	}
	origin := dns.Fqdn(*zone)

	upd, err := dns.DialTimeout("tcp", *a, *timeout)
	if err != nil {
		return err
	}
	defer upd.Close()
	// The poller: asks B for the current target until it answers the
	// target's address, then reports the time and waits for the next.
	var cur atomic.Pointer[target]
	var polls, pollNanos atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if *b != "" {
		pc, err := dns.DialTimeout("udp", *b, *timeout)
		if err != nil {
			return err
		}
		defer pc.Close()
		wg.Go(func() { poller(pc, &cur, &polls, &pollNanos, stop, *poll) })
	}
	defer func() { close(stop); wg.Wait() }()

	var acks, delays []float64
	var lost, failed int
	rcodes := map[string]int{}
	var samples strings.Builder
	for i := range *n {
		name := fmt.Sprintf("%s%d.%s", *prefix, i, origin)
		addr := net.IPv4(0, 0, byte(i/256), byte(i%256))
		if _, err := fmt.Sscanf(*network, "%d.%d", &addr[12], &addr[13]); err != nil {
			return fmt.Errorf("-net %q: %v", *network, err)
		}
		t := &target{name: name, addr: addr.To4(), seen: make(chan time.Time, 1)}
		cur.Store(t)
		m := new(dns.Msg)
		m.SetUpdate(origin)
		m.Insert([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: t.addr}})
		t0 := time.Now()
		r, err := exchange(upd, m, *timeout)
		tAck := time.Now()
		if err != nil {
			return fmt.Errorf("update %d to %s: %v", i, *a, err)
		}
		rc := dns.RcodeToString[r.Rcode]
		rcodes[rc]++
		if r.Rcode != dns.RcodeSuccess {
			failed++
			cur.Store(nil)
			// Let the poller give up on this name before the next.
			select {
			case <-t.seen:
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		ack := ms(tAck.Sub(t0))
		if *b == "" {
			acks = append(acks, ack)
			fmt.Fprintf(&samples, "%.3f\n", ack)
			continue
		}
		select {
		case seen := <-t.seen:
			d := ms(seen.Sub(tAck))
			acks = append(acks, ack)
			delays = append(delays, d)
			fmt.Fprintf(&samples, "%.3f %.3f\n", ack, d)
		case <-time.After(*timeout):
			lost++
			fmt.Fprintf(&samples, "%.3f lost\n", ack)
		}
	}
	cur.Store(nil)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(samples.String()), 0o644); err != nil {
			return err
		}
	}
	slices.Sort(acks)
	slices.Sort(delays)
	var codes []string
	for k, v := range rcodes {
		codes = append(codes, fmt.Sprintf("%s:%d", k, v))
	}
	slices.Sort(codes)
	pollMean := 0.0
	if p := polls.Load(); p > 0 {
		pollMean = float64(pollNanos.Load()) / float64(p) / 1e6
	}
	fmt.Printf("n=%d seen=%d lost=%d failed=%d rcodes=%s ack_p50=%.3f ack_p99=%.3f delay_min=%.3f delay_p50=%.3f delay_p99=%.3f delay_max=%.3f polls=%d poll_ms=%.3f\n",
		*n, len(delays), lost, failed, strings.Join(codes, ","),
		pct(acks, 0.5), pct(acks, 0.99), pct(delays, 0), pct(delays, 0.5), pct(delays, 0.99), pct(delays, 1),
		polls.Load(), pollMean)
	return nil
}

// poller asks B (on pc) for the current target until B answers the
// target's address, sends the time on the target's seen channel, and waits
// for the next target, until stop closes.
func poller(pc *dns.Conn, cur *atomic.Pointer[target], polls, pollNanos *atomic.Int64, stop <-chan struct{}, poll time.Duration) {
	q := new(dns.Msg)
	var last *target
	for {
		select {
		case <-stop:
			return
		default:
		}
		t := cur.Load()
		if t == nil || t == last {
			time.Sleep(20 * time.Microsecond)
			continue
		}
		q.SetQuestion(t.name, dns.TypeA)
		q.Id = dns.Id()
		t0 := time.Now()
		r, err := exchange(pc, q, 200*time.Millisecond)
		now := time.Now()
		if err == nil {
			polls.Add(1)
			pollNanos.Add(int64(now.Sub(t0)))
			if hasAddr(r, t.name, t.addr) {
				last = t
				t.seen <- now
				continue
			}
		}
		if poll > 0 {
			time.Sleep(poll)
		}
	}
}

// exchange sends m on c and reads until the answer with m's ID comes, or
// the deadline passes (a UDP answer to an earlier, timed-out poll is
// skipped).
func exchange(c *dns.Conn, m *dns.Msg, timeout time.Duration) (*dns.Msg, error) {
	deadline := time.Now().Add(timeout)
	_ = c.SetDeadline(deadline)
	if err := c.WriteMsg(m); err != nil {
		return nil, err
	}
	for {
		r, err := c.ReadMsg()
		if err != nil {
			return nil, err
		}
		if r.Id == m.Id {
			return r, nil
		}
	}
}

func hasAddr(r *dns.Msg, name string, addr net.IP) bool {
	if r.Rcode != dns.RcodeSuccess {
		return false
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok && strings.EqualFold(a.Hdr.Name, name) && a.A.Equal(addr) {
			return true
		}
	}
	return false
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// pct is the nearest-rank percentile p of sorted xs (NaN when empty).
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return nan()
	}
	k := int(p*float64(len(xs))+0.999999) - 1
	k = max(0, min(k, len(xs)-1))
	return xs[k]
}

func nan() float64 { var z float64; return z / z }

// ---------------------------------------------------------------- check

func check(args []string) error {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	server := fs.String("s", "", "server HOST:PORT")
	first := fs.Int("first", 0, "check the first K hosts of each file (0: all)")
	workers := fs.Int("c", 32, "queries in flight")
	_ = fs.String("zone", "example.org", "zone (the files name it)")
	_ = fs.Parse(args)
	if *server == "" || fs.NArg() == 0 {
		return errors.New("check wants -s and update files")
	}
	type host struct {
		name string
		addr net.IP
	}
	var hosts []host
	for _, f := range fs.Args() {
		file, err := os.Open(f)
		if err != nil {
			return err
		}
		var origin string
		k := 0
		sc := bufio.NewScanner(file)
		for sc.Scan() && (*first == 0 || k < *first) {
			fl := strings.Fields(sc.Text())
			switch {
			case len(fl) == 1 && fl[0] != "send":
				origin = dns.Fqdn(fl[0])
			case len(fl) == 5 && fl[0] == "add" && fl[3] == "A":
				name := fl[1]
				if !dns.IsFqdn(name) {
					name += "." + origin
				}
				hosts = append(hosts, host{name, net.ParseIP(fl[4]).To4()})
				k++
			}
		}
		file.Close()
		if err := sc.Err(); err != nil {
			return err
		}
	}
	var present, absent, other atomic.Int64
	jobs := make(chan host)
	var wg sync.WaitGroup
	var dialErr atomic.Pointer[error]
	for range *workers {
		wg.Go(func() {
			c, err := dns.DialTimeout("udp", *server, 2*time.Second)
			if err != nil {
				dialErr.Store(&err)
				for range jobs {
				}
				return
			}
			defer c.Close()
			q := new(dns.Msg)
			for h := range jobs {
				q.SetQuestion(h.name, dns.TypeA)
				var r *dns.Msg
				for range 3 {
					q.Id = dns.Id()
					if r, err = exchange(c, q, time.Second); err == nil {
						break
					}
				}
				switch {
				case err == nil && hasAddr(r, h.name, h.addr):
					present.Add(1)
				case err == nil && r.Rcode == dns.RcodeNameError:
					absent.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	for _, h := range hosts {
		jobs <- h
	}
	close(jobs)
	wg.Wait()
	if e := dialErr.Load(); e != nil {
		return *e
	}
	fmt.Printf("present=%d absent=%d other=%d\n", present.Load(), absent.Load(), other.Load())
	return nil
}

// ---------------------------------------------------------------- txn

func txn(args []string) error {
	fs := flag.NewFlagSet("txn", flag.ExitOnError)
	endpoints := fs.String("endpoints", "", "etcd client URLs, comma-separated")
	n := fs.Int("n", 200, "transactions")
	prefix := fs.String("prefix", "/bench", "key prefix (deleted at the end)")
	_ = fs.Parse(args)
	if *endpoints == "" {
		return errors.New("txn wants -endpoints")
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   strings.Split(*endpoints, ","),
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx := context.Background()
	head := *prefix + "/head"
	idx := func(i int) string { return fmt.Sprintf("%020d", i) }
	if _, err := cli.Put(ctx, head, idx(0)); err != nil {
		return err
	}
	defer cli.Delete(ctx, *prefix+"/", clientv3.WithPrefix())
	val := strings.Repeat("x", 200)
	var lat []float64
	for i := range *n {
		t0 := time.Now()
		r, err := cli.Txn(ctx).
			If(clientv3.Compare(clientv3.Value(head), "=", idx(i))).
			Then(clientv3.OpPut(*prefix+"/log/"+idx(i+1), val), clientv3.OpPut(head, idx(i+1))).
			Commit()
		if err != nil {
			return err
		}
		if !r.Succeeded {
			return fmt.Errorf("transaction %d: the head moved", i)
		}
		lat = append(lat, ms(time.Since(t0)))
	}
	slices.Sort(lat)
	fmt.Printf("n=%d p50_ms=%.3f p99_ms=%.3f\n", len(lat), pct(lat, 0.5), pct(lat, 0.99))
	return nil
}

// ---------------------------------------------------------------- fsync

func fsync(args []string) error {
	fs := flag.NewFlagSet("fsync", flag.ExitOnError)
	dir := fs.String("dir", os.TempDir(), "directory on the disk to measure")
	dur := fs.Duration("d", time.Second, "how long")
	_ = fs.Parse(args)
	f, err := os.CreateTemp(*dir, "fsync-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	var lat []float64
	end := time.Now().Add(*dur)
	for time.Now().Before(end) {
		if _, err := f.Write(buf); err != nil {
			return err
		}
		t0 := time.Now()
		if err := f.Sync(); err != nil { // fsync(2); for an appended file as good as fdatasync
			return err
		}
		lat = append(lat, ms(time.Since(t0)))
	}
	slices.Sort(lat)
	sum := 0.0
	for _, l := range lat {
		sum += l
	}
	fmt.Printf("n=%d mean_ms=%.3f p50_ms=%.3f p99_ms=%.3f file=%s\n", len(lat), sum/float64(len(lat)), pct(lat, 0.5), pct(lat, 0.99), filepath.Base(f.Name()))
	return nil
}
