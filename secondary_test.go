package dyndns

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Secondaries by IXFR: stock secondaries (BIND 9, Knot DNS, CoreDNS's own
// secondary plugin) follow the real binary as their primary. Each test
// starts the primary (testdata/secondary/primary.Corefile: transfer to *
// and NOTIFY to the secondary), seeds the zone, starts the secondary, and
// then after each of three phases (one update; a series of adds, deletes,
// a renumbered host and an explicit SOA change; a burst of 1,000 updates
// from concurrent TCP clients) waits until the secondary's SOA serial is
// the primary's and compares the secondary's AXFR with the primary's,
// derived service records included. Convergence times are logged.
//
// The primary must answer an IXFR for an older serial incrementally, and
// BIND and Knot must transfer incrementally (wantIncremental).
//
// named and knotd live in /usr/sbin (Debian packages bind9 and knot).

const (
	secZone        = "skynet.example.com."
	secConvergeMax = 20 * time.Second // per phase
	burstUpdates   = 1000
	burstClients   = 4
)

func TestSecondaryBIND(t *testing.T) {
	runSecondaryScenario(t, startNamed)
}

func TestSecondaryKnot(t *testing.T) {
	runSecondaryScenario(t, startKnot)
}

// CoreDNS's secondary plugin transfers with AXFR only (plugin/file
// TransferIn sends SetAxfr; its README: "Only AXFR is supported"), on
// NOTIFY from an address it transfers from and on the SOA refresh timer,
// and keeps the zone in memory only.
func TestSecondaryCoreDNS(t *testing.T) {
	runSecondaryScenario(t, startCoreDNSSecondary)
}

// stockSecondary is a running secondary server.
type stockSecondary struct {
	name string
	addr string // 127.0.0.1:port
	// exited reports whether the process has gone; output is what to show
	// when it fails.
	exited func() bool
	output func() string
	// log returns its transfer log so far; nil when the log can only be
	// read once the process has stopped (CoreDNS: finish returns it).
	log func() string
	// finish stops the process and returns its whole log, or "".
	finish func() string
	// xferLine selects the log lines worth showing, notifyLine those of
	// them about an incoming NOTIFY.
	xferLine, notifyLine func(string) bool
	// incremental and full match one incremental, one full transfer in the
	// log; nil for a secondary that only does AXFR.
	incremental, full *regexp.Regexp
	// completed is a substring of the log line that ends the transfer of
	// serial to the secondary.
	completed func(serial uint32) string
	// staleAfterRace: the secondary may end up serving an older version
	// than one it has transferred (see startCoreDNSSecondary). When it
	// lags for staleWait, the test sends it a NOTIFY itself and records
	// the serial in nudged; the end of the scenario checks, in the
	// primary's log, that the secondary had transferred that serial
	// before, so that a NOTIFY the primary failed to send is not hidden.
	staleAfterRace bool
	nudged         []uint32
}

// nudge notes a convergence the test helped with its own NOTIFY.
func (s *stockSecondary) nudge(serial uint32) string {
	if slices.Contains(s.nudged, serial) {
		return ", only after the test's own NOTIFY"
	}
	return ""
}

// staleWait is how long a secondary with staleAfterRace may lag before
// the test sends it a NOTIFY.
const staleWait = 5 * time.Second

// runSecondaryScenario runs the whole scenario against the secondary that
// start starts in dir on port, following the primary on primaryPort.
func runSecondaryScenario(t *testing.T, start func(t *testing.T, dir, port, primaryPort string) *stockSecondary) {
	root := t.TempDir()
	pdir, sdir := filepath.Join(root, "primary"), filepath.Join(root, "secondary")
	for _, d := range []string{pdir, sdir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pport := freePort(t)
	sport := freePort(t)
	for sport == pport {
		sport = freePort(t)
	}
	primary := startBinary(t, pdir, pport, secTemplate(t, "primary.Corefile", map[string]string{"SECONDARY": sport}))
	paddr := "127.0.0.1:" + pport

	// The zone the secondary starts from: two web hosts (web A and AAAA
	// are derived), a db host, and some plain records.
	secRegister(t, paddr, "cyberdyne-web-sfo-prod", "13.37.1.1")
	secRegister(t, paddr, "techcom-web-sfo-prod", "13.37.1.2")
	secRegister(t, paddr, "old-db-sfo-prod", "13.37.2.9")
	secUpdate(t, paddr, nil,
		"techcom-web-sfo-prod.skynet.example.com. 60 IN AAAA 2001:db8::2",
		`txt.skynet.example.com. 300 IN TXT "generation 1"`,
		"skynet.example.com. 3600 IN MX 10 mx.skynet.example.com.",
		"mx.skynet.example.com. 3600 IN A 13.37.3.1",
		"www.skynet.example.com. 300 IN CNAME web.skynet.example.com.")

	begin := time.Now()
	s := start(t, sdir, sport, pport)
	want := secSOA(t, paddr).Serial
	took := waitConverged(t, s, want, begin)
	t.Logf("%s: initial transfer (serial %d) served %v after starting it", s.name, want, took.Round(time.Millisecond))
	compareZones(t, "initial", paddr, s, want)
	mark := s.transfers(t, "initial transfer", 0, want, ixfrMode{})

	// One update: a new host, which derives a new service.
	prev := want
	t0 := time.Now()
	secRegister(t, paddr, "skynet-db-sfo-prod", "13.37.2.1")
	want = secSOA(t, paddr).Serial
	took = waitConverged(t, s, want, t0)
	t.Logf("%s: converged %v after one update (serial %d -> %d)%s", s.name, took.Round(time.Millisecond), prev, want, s.nudge(want))
	compareZones(t, "one update", paddr, s, want)
	mode := detectIXFR(t, paddr, prev)
	mark = s.transfers(t, "one update", mark, want, mode)

	// A series: a host leaves (db shrinks), an RRset is deleted, records
	// are added, a host is renumbered (web changes), and the SOA is set
	// explicitly with a higher serial and a new refresh.
	prev = want
	t0 = time.Now()
	secUpdate(t, paddr, []string{"old-db-sfo-prod.skynet.example.com. A"})
	secUpdate(t, paddr, []string{"txt.skynet.example.com. TXT"})
	secUpdate(t, paddr, nil,
		`skynet.example.com. 300 IN TXT "generation 2"`,
		"_http._tcp.web.skynet.example.com. 60 IN SRV 10 10 80 web.skynet.example.com.")
	secRegister(t, paddr, "cyberdyne-web-sfo-prod", "13.37.1.9")
	soa := secSOA(t, paddr)
	soa.Serial += 100
	soa.Refresh = 1800
	secUpdate(t, paddr, nil, soa.String())
	if got := secSOA(t, paddr); got.Serial != soa.Serial || got.Refresh != 1800 {
		t.Fatalf("explicit SOA change: primary has %v, want %v", got, soa)
	}
	want = soa.Serial
	took = waitConverged(t, s, want, t0)
	t.Logf("%s: converged %v after a series of 5 updates (serial %d -> %d)%s", s.name, took.Round(time.Millisecond), prev, want, s.nudge(want))
	compareZones(t, "series", paddr, s, want)
	for name, addrs := range map[string][]string{
		"web.skynet.example.com.":                    {"13.37.1.2", "13.37.1.9"},
		"db.skynet.example.com.":                     {"13.37.2.1"},
		"cyberdyne-web-sfo-prod.skynet.example.com.": {"13.37.1.9"},
	} {
		if got := secAddrs(t, s.addr, name); !slices.Equal(got, addrs) {
			t.Errorf("%s: %s A = %v on the secondary, want %v", s.name, name, got, addrs)
		}
	}
	mark = s.transfers(t, "series", mark, want, mode)

	// A burst of updates from concurrent TCP clients: every host of the
	// api service is registered, then renumbered.
	prev = want
	t0 = time.Now()
	lastAck := secBurst(t, paddr)
	want = secSOA(t, paddr).Serial
	took = waitConverged(t, s, want, lastAck)
	t.Logf("%s: %d updates from %d TCP clients took %v; converged %v after the last acknowledgement, %v after the first update (serial %d -> %d)%s",
		s.name, burstUpdates, burstClients, lastAck.Sub(t0).Round(time.Millisecond),
		took.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond), prev, want, s.nudge(want))
	compareZones(t, "burst", paddr, s, want)
	if got := secAddrs(t, s.addr, "api.skynet.example.com."); len(got) != burstUpdates/2 {
		t.Errorf("%s: api has %d addresses on the secondary, want %d", s.name, len(got), burstUpdates/2)
	}
	// Logged, not asserted: the burst is as long as the default
	// ixfr-history, and a secondary further behind than the history
	// rightly gets the whole zone.
	s.transfers(t, "burst", mark, want, ixfrMode{why: "not asserted for the burst"})

	if whole := s.finish(); whole != "" {
		logTransferLines(t, s, "whole run", whole)
	}
	primary.stop()
	out := primary.out.String()
	t.Logf("primary: %d outgoing transfers (%q), %d up-to-date IXFR answers (%q)",
		strings.Count(out, "Outgoing transfer of"), "Outgoing transfer of",
		strings.Count(out, "Outgoing noop, incremental transfer"), "Outgoing noop, incremental transfer")
	for _, serial := range s.nudged {
		// After the test's NOTIFY the secondary transferred serial once
		// and compareZones once more; any other transfer of it came
		// before the NOTIFY.
		line := fmt.Sprintf(" for %d SOA serial", serial)
		if n := strings.Count(out, line); n > 2 {
			t.Logf("%s: had transferred serial %d before the test's NOTIFY (the primary logged %q %d times), then served an older version: the race of concurrent transfers, not a missing NOTIFY",
				s.name, serial, "Outgoing transfer of ..."+line, n)
		} else {
			t.Errorf("%s: never transferred serial %d before the test's NOTIFY (the primary logged %q %d times): did the primary send a NOTIFY after its last update?",
				s.name, serial, "Outgoing transfer of ..."+line, n)
		}
	}
}

// transfers waits until the log shows the transfer of serial, logs the
// transfer lines written since the byte offset mark, checks them with
// wantIncremental and returns the new offset. Without a readable log it
// does nothing.
func (s *stockSecondary) transfers(t *testing.T, phase string, mark int, serial uint32, mode ixfrMode) int {
	t.Helper()
	if s.log == nil {
		if phase != "initial transfer" {
			t.Logf("%s: %s: AXFR only (its log is shown when it stops)", s.name, phase)
		}
		return mark
	}
	text := s.log()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(text[mark:], s.completed(serial)); text = s.log() {
		if time.Now().After(deadline) {
			t.Errorf("%s: %s: no %q in the transfer log", s.name, phase, s.completed(serial))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	segment := text[mark:]
	logTransferLines(t, s, phase, segment)
	if phase != "initial transfer" {
		wantIncremental(t, mode, s, phase, segment)
	}
	return len(text)
}

// ixfrMode says whether transfers after the first must be incremental.
type ixfrMode struct {
	want bool
	why  string
}

// detectIXFR asks the primary for an IXFR from serial from: an answer
// whose second record is an SOA is incremental (RFC 1995 §4), one whose
// second record is anything else is the whole zone.
func detectIXFR(t *testing.T, primary string, from uint32) ixfrMode {
	t.Helper()
	m := new(dns.Msg)
	m.SetIxfr(secZone, from, "ns1."+secZone, "hostmaster."+secZone)
	tr := &dns.Transfer{DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	ch, err := tr.In(m, primary)
	if err != nil {
		t.Fatalf("IXFR from %d: %v", from, err)
	}
	var rrs []dns.RR
	for env := range ch {
		if env.Error != nil {
			t.Fatalf("IXFR from %d: %v", from, env.Error)
		}
		rrs = append(rrs, env.RR...)
	}
	if len(rrs) < 2 || rrs[1].Header().Rrtype != dns.TypeSOA {
		t.Fatalf("the primary answered IXFR from serial %d with the whole zone (%d records)", from, len(rrs))
	}
	return ixfrMode{true, fmt.Sprintf("the primary answers IXFR from serial %d incrementally (%d records)", from, len(rrs))}
}

// wantIncremental checks that every transfer in log (one phase's part of
// the secondary's transfer log) was incremental, when mode wants it.
func wantIncremental(t *testing.T, mode ixfrMode, s *stockSecondary, phase, log string) {
	t.Helper()
	if s.incremental == nil {
		t.Logf("%s: %s: AXFR only", s.name, phase)
		return
	}
	inc := len(s.incremental.FindAllString(log, -1))
	full := len(s.full.FindAllString(log, -1))
	if !mode.want {
		t.Logf("%s: %s: %d incremental, %d full transfers (%s)", s.name, phase, inc, full, mode.why)
		return
	}
	if inc == 0 || full > 0 {
		t.Errorf("%s: %s: %d incremental (%q) and %d full (%q) transfers, want incremental ones only: %s",
			s.name, phase, inc, s.incremental, full, s.full, mode.why)
		return
	}
	t.Logf("%s: %s: %d incremental transfers (%s)", s.name, phase, inc, mode.why)
}

// logTransferLines logs the transfer lines of log, at most 40 of them:
// when there are more, NOTIFY lines are counted instead of shown.
func logTransferLines(t *testing.T, s *stockSecondary, phase, log string) {
	t.Helper()
	var lines, notifies []string
	for l := range strings.Lines(log) {
		l = strings.TrimRight(l, "\n")
		switch {
		case !s.xferLine(l):
		case s.notifyLine(l):
			notifies = append(notifies, l)
			lines = append(lines, l)
		default:
			lines = append(lines, l)
		}
	}
	if len(lines) > 40 {
		lines = slices.DeleteFunc(lines, s.notifyLine)
		lines = append(lines, fmt.Sprintf("(and %d lines of incoming NOTIFY)", len(notifies)))
	}
	if n := len(lines); n > 40 {
		lines = slices.Concat(lines[:15], []string{fmt.Sprintf("... %d more lines ...", n-40)}, lines[n-25:])
	}
	t.Logf("%s transfer log, %s:\n\t%s", s.name, phase, strings.Join(lines, "\n\t"))
}

// waitConverged polls the secondary's SOA until its serial is want and
// returns the time since since.
func waitConverged(t *testing.T, s *stockSecondary, want uint32, since time.Time) time.Duration {
	t.Helper()
	c := &dns.Client{Net: "udp", Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion(secZone, dns.TypeSOA)
	deadline := time.Now().Add(secConvergeMax)
	if s.staleAfterRace {
		deadline = time.Now().Add(staleWait)
	}
	nudged := false
	last := "no answer yet"
	for {
		r, _, err := c.Exchange(m, s.addr)
		switch {
		case err != nil:
			last = err.Error()
		case r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1:
			last = fmt.Sprintf("rcode %s, %d answers", dns.RcodeToString[r.Rcode], len(r.Answer))
		default:
			if soa, ok := r.Answer[0].(*dns.SOA); ok && soa.Serial == want {
				return time.Since(since)
			}
			last = r.Answer[0].String()
		}
		if s.exited() {
			t.Fatalf("%s exited while waiting for serial %d:\n%s", s.name, want, s.output())
		}
		if time.Now().After(deadline) && s.staleAfterRace && !nudged {
			t.Logf("%s: still serving %q %v after serial %d: sending it a NOTIFY", s.name, last, time.Since(since).Round(time.Millisecond), want)
			secNotify(t, s.addr)
			s.nudged = append(s.nudged, want)
			nudged = true
			deadline = time.Now().Add(secConvergeMax)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: serial %d not served within %v (last answer: %s)\n%s", s.name, want, secConvergeMax, last, s.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// secNotify sends the NOTIFY for the zone to addr from 127.0.0.1, as the
// primary does.
func secNotify(t *testing.T, addr string) {
	t.Helper()
	m := new(dns.Msg)
	m.SetNotify(secZone)
	if r := exchange(t, "udp", addr, m); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("NOTIFY to %s: %s", addr, dns.RcodeToString[r.Rcode])
	}
}

// compareZones compares the secondary's AXFR with the primary's, as sorted
// presentation strings.
//
// A secondary with staleAfterRace may also install an older transfer after
// it served want (its transfers race, see startCoreDNSSecondary): when its
// AXFR differs and its serial went back, it is waited for again (and sent a
// NOTIFY if it stays behind), and compared once more.
func compareZones(t *testing.T, phase, primary string, s *stockSecondary, want uint32) {
	t.Helper()
	p, sec := axfrRecords(t, primary), axfrRecords(t, s.addr)
	if !slices.Equal(p, sec) && s.staleAfterRace {
		if serial := secSOA(t, s.addr).Serial; serial != want {
			t.Logf("%s: %s: back at serial %d after serving %d (an older transfer finished last); waiting again", s.name, phase, serial, want)
			waitConverged(t, s, want, time.Now())
			p, sec = axfrRecords(t, primary), axfrRecords(t, s.addr)
		}
	}
	if slices.Equal(p, sec) {
		t.Logf("%s: %s: AXFR of the secondary equals the primary's (%d records)", s.name, phase, len(p))
		return
	}
	var missing, extra []string
	for _, rr := range p {
		if _, found := slices.BinarySearch(sec, rr); !found {
			missing = append(missing, rr)
		}
	}
	for _, rr := range sec {
		if _, found := slices.BinarySearch(p, rr); !found {
			extra = append(extra, rr)
		}
	}
	t.Errorf("%s: %s: AXFR of the secondary (%d records) differs from the primary's (%d records)\nmissing on the secondary (%d): %s\nonly on the secondary (%d): %s",
		s.name, phase, len(sec), len(p), len(missing), firstFew(missing), len(extra), firstFew(extra))
}

func firstFew(rrs []string) string {
	if len(rrs) > 10 {
		rrs = append(rrs[:10:10], "...")
	}
	return "\n\t" + strings.Join(rrs, "\n\t")
}

// axfrRecords transfers the zone from addr and returns its records as
// sorted presentation strings, without the closing SOA.
func axfrRecords(t *testing.T, addr string) []string {
	t.Helper()
	rrs := axfr(t, addr, secZone)
	if len(rrs) < 2 || rrs[len(rrs)-1].Header().Rrtype != dns.TypeSOA {
		t.Fatalf("AXFR from %s: %d records, not closed by an SOA", addr, len(rrs))
	}
	out := make([]string, 0, len(rrs)-1)
	for _, rr := range rrs[:len(rrs)-1] {
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

// secUpdate sends one UPDATE over TCP: the RRsets given as "name TYPE" are
// deleted, then rrs added. It fails unless the answer is NOERROR.
func secUpdate(t *testing.T, addr string, deleteRRsets []string, rrs ...string) {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate(secZone)
	for _, d := range deleteRRsets {
		name, typ, _ := strings.Cut(d, " ")
		m.RemoveRRset([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: name, Rrtype: dns.StringToType[typ], Class: dns.ClassINET}}})
	}
	for _, s := range rrs {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		m.Insert([]dns.RR{rr})
	}
	if r := exchange(t, "tcp", addr, m); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("update %v %v: %s", deleteRRsets, rrs, dns.RcodeToString[r.Rcode])
	}
}

// secRegister replaces a host's A record, as the seed clients do.
func secRegister(t *testing.T, addr, host, ip string) {
	t.Helper()
	name := host + "." + secZone
	secUpdate(t, addr, []string{name + " A"}, fmt.Sprintf("%s 60 IN A %s", name, ip))
}

// secSOA returns the SOA addr serves for the zone.
func secSOA(t *testing.T, addr string) *dns.SOA {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(secZone, dns.TypeSOA)
	r := exchange(t, "tcp", addr, m)
	if len(r.Answer) != 1 {
		t.Fatalf("SOA from %s: %v", addr, r)
	}
	soa, ok := r.Answer[0].(*dns.SOA)
	if !ok {
		t.Fatalf("SOA from %s: %v", addr, r.Answer[0])
	}
	return soa
}

// secAddrs returns the sorted addresses addr answers for name A.
func secAddrs(t *testing.T, addr, name string) []string {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	var out []string
	for _, rr := range exchange(t, "tcp", addr, m).Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	slices.Sort(out)
	return out
}

// secBurst sends burstUpdates updates from burstClients clients, each on
// its own TCP connection: host bCxK-api-sfo-prod is registered with
// 10.C.K.1, then renumbered to 10.C.K.2. It returns when the last one was
// acknowledged.
func secBurst(t *testing.T, addr string) time.Time {
	t.Helper()
	var wg sync.WaitGroup
	for c := range burstClients {
		wg.Go(func() {
			conn, err := dns.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Errorf("client %d: %v", c, err)
				return
			}
			defer conn.Close()
			for i := range burstUpdates / burstClients {
				name := fmt.Sprintf("b%dx%d-api-sfo-prod.%s", c, i/2, secZone)
				m := new(dns.Msg)
				m.SetUpdate(secZone)
				m.RemoveRRset([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET}}})
				rr, _ := dns.NewRR(fmt.Sprintf("%s 60 IN A 10.%d.%d.%d", name, c, i/2, 1+i%2))
				m.Insert([]dns.RR{rr})
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				if err := conn.WriteMsg(m); err != nil {
					t.Errorf("client %d: %s: %v", c, name, err)
					return
				}
				r, err := conn.ReadMsg()
				if err != nil {
					t.Errorf("client %d: %s: %v", c, name, err)
					return
				}
				if r.Rcode != dns.RcodeSuccess {
					t.Errorf("client %d: %s: %s", c, name, dns.RcodeToString[r.Rcode])
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return time.Now()
}

// secTemplate reads testdata/secondary/name and replaces {KEY} by vars[KEY].
func secTemplate(t *testing.T, name string, vars map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "secondary", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// extDaemon is a server the test runs in the foreground as its child.
type extDaemon struct {
	cmd  *exec.Cmd
	out  string // file with its stdout and stderr
	done chan struct{}
}

// startExternal runs the program name in dir.
func startExternal(t *testing.T, dir, name string, args ...string) *extDaemon {
	t.Helper()
	path := daemonPath(t, name)
	out := filepath.Join(dir, name+".out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	d := &extDaemon{cmd: exec.Command(path, args...), out: out, done: make(chan struct{})}
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = f, f
	if err := d.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: %v", name, err)
	}
	go func() { d.cmd.Wait(); f.Close(); close(d.done) }()
	t.Cleanup(d.stop)
	return d
}

func (d *extDaemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// stop ends the daemon with SIGTERM (SIGKILL after 10 s) and waits for it.
func (d *extDaemon) stop() {
	if d.exited() {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// daemonPath finds a server program, which Debian installs in /usr/sbin,
// often not in a user's PATH.
func daemonPath(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	pkg := map[string]string{"named": "bind9", "knotd": "knot", "knotc": "knot"}[name]
	t.Fatalf("%s not installed: install the Debian package %s (bash .ci/run does)", name, pkg)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// startNamed starts BIND 9 as a secondary.
func startNamed(t *testing.T, dir, port, primaryPort string) *stockSecondary {
	conf := filepath.Join(dir, "named.conf")
	text := secTemplate(t, "named.conf", map[string]string{"DIR": dir, "PORT": port, "PRIMARY": primaryPort})
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// -f: foreground, logging as configured. Run as root, named stays root
	// (no -u), as it does as any other user.
	if checkconf, err := exec.LookPath("named-checkconf"); err == nil {
		if out, err := exec.Command(checkconf, conf).CombinedOutput(); err != nil {
			if !strings.Contains(string(out), "max-records-per-type") {
				t.Fatalf("named-checkconf %s: %v\n%s", conf, err, out)
			}
			// A BIND older than 9.18.28: no limit to lift.
			text = regexp.MustCompile(`(?m)^\s*max-records-per-type.*\n`).ReplaceAllString(text, "")
			if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	d := startExternal(t, dir, "named", "-f", "-c", conf)
	xferLog := filepath.Join(dir, "xfer.log")
	return &stockSecondary{
		name:   "BIND " + namedVersion(t),
		addr:   "127.0.0.1:" + port,
		exited: d.exited,
		output: func() string {
			return "named output:\n" + readFile(d.out) + "\nxfer.log:\n" + tail(readFile(xferLog), 30)
		},
		log:        func() string { return readFile(xferLog) },
		finish:     func() string { d.stop(); return "" },
		xferLine:   func(l string) bool { return strings.Contains(l, "xfer-in:") || strings.Contains(l, "notify:") },
		notifyLine: func(l string) bool { return strings.Contains(l, "received notify") },
		// xfrin.c, at debug level 3.
		incremental: regexp.MustCompile(`got incremental response`),
		full:        regexp.MustCompile(`got nonincremental response`),
		completed:   func(serial uint32) string { return fmt.Sprintf("(serial %d)", serial) },
	}
}

func namedVersion(t *testing.T) string {
	out, err := exec.Command(daemonPath(t, "named"), "-v").Output()
	if err != nil {
		return "(version unknown)"
	}
	f := strings.Fields(string(out)) // BIND 9.18.49-1~deb12u3-Debian (Extended Support Version) <id:>
	if len(f) < 2 {
		return "(version unknown)"
	}
	return f[1]
}

// startKnot starts Knot DNS as a secondary.
func startKnot(t *testing.T, dir, port, primaryPort string) *stockSecondary {
	conf := filepath.Join(dir, "knot.conf")
	// The zone's primary is "master" up to Knot 3.2 and "primary" later:
	// take the first one knotc accepts.
	var checks []string
	for _, key := range []string{"primary", "master"} {
		text := secTemplate(t, "knot.conf", map[string]string{"DIR": dir, "PORT": port, "PRIMARY": primaryPort, "MASTER": key})
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(daemonPath(t, "knotc"), "-c", conf, "conf-check").CombinedOutput()
		if err == nil {
			checks = nil
			break
		}
		checks = append(checks, fmt.Sprintf("with %q: %v\n%s", key, err, out))
	}
	if checks != nil {
		t.Fatalf("knotc conf-check rejects knot.conf:\n%s", strings.Join(checks, "\n"))
	}
	d := startExternal(t, dir, "knotd", "-c", conf)
	knotLog := filepath.Join(dir, "knot.log")
	return &stockSecondary{
		name:   "Knot " + knotVersion(t),
		addr:   "127.0.0.1:" + port,
		exited: d.exited,
		output: func() string {
			return "knotd output:\n" + readFile(d.out) + "\nknot.log:\n" + tail(readFile(knotLog), 30)
		},
		log:    func() string { return readFile(knotLog) },
		finish: func() string { d.stop(); return "" },
		xferLine: func(l string) bool {
			return strings.Contains(l, "XFR, incoming") || strings.Contains(l, "refresh, ") || strings.Contains(l, "notify, incoming")
		},
		notifyLine: func(l string) bool { return strings.Contains(l, "notify, incoming") },
		// An AXFR-style answer to an IXFR is logged as "IXFR, incoming,
		// ..., receiving AXFR-style IXFR", then as an AXFR.
		incremental: regexp.MustCompile(`IXFR, incoming, remote [^,]+, finished`),
		full:        regexp.MustCompile(`AXFR, incoming, remote [^,]+, finished`),
		completed:   func(serial uint32) string { return fmt.Sprintf("-> %d,", serial) },
	}
}

func knotVersion(t *testing.T) string {
	out, err := exec.Command(daemonPath(t, "knotd"), "--version").Output()
	if err != nil {
		return "(version unknown)"
	}
	f := strings.Fields(string(out))
	return f[len(f)-1]
}

// startCoreDNSSecondary starts the custom build a second time, with the
// secondary plugin.
//
// That plugin handles every NOTIFY in its own goroutine (miekg/dns serves
// each UDP message concurrently): it checks the primary's SOA and, when it
// is newer, transfers the whole zone and installs it unconditionally
// (plugin/file Zone.TransferIn: z.setData, no serial comparison). During a
// burst, NOTIFYs arrive while earlier transfers are under way, and when an
// older transfer finishes after a newer one the secondary serves the older
// version until the next NOTIFY or SOA refresh (3600 s here). Seen about
// once in 40 runs of the burst; hence staleAfterRace.
func startCoreDNSSecondary(t *testing.T, dir, port, primaryPort string) *stockSecondary {
	d := startBinary(t, dir, port, secTemplate(t, "coredns.Corefile", map[string]string{"PRIMARY": primaryPort}))
	exited := func() bool {
		select {
		case <-d.done:
			return true
		default:
			return false
		}
	}
	return &stockSecondary{
		name:   "CoreDNS secondary",
		addr:   "127.0.0.1:" + port,
		exited: exited,
		output: func() string {
			d.stop() // its output can be read only once it has stopped
			return "CoreDNS secondary output:\n" + tail(d.out.String(), 40)
		},
		finish: func() string { d.stop(); return d.out.String() },
		xferLine: func(l string) bool {
			return strings.Contains(l, "plugin/secondary") || strings.Contains(l, "plugin/file") || strings.Contains(l, "plugin/transfer")
		},
		notifyLine:     func(l string) bool { return strings.Contains(l, "Notify from") },
		staleAfterRace: true,
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
