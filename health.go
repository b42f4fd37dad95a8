package dyndns

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"sync"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/durations"
	"github.com/dyndns/dyndns/plugin/check"
	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// healthConfig is a block's health lines, with service names relative to
// its zones until the block's zones are known.
type healthConfig struct {
	checks   []check.Check
	interval time.Duration
}

// parseHealth reads "health tcp PORT [SERVICE...]" and
// "health http PORT PATH [SERVICE...]".
func parseHealth(args []string) (check.Check, error) {
	if len(args) < 2 {
		return check.Check{}, errors.New("wants tcp PORT [SERVICE...] or http PORT PATH [SERVICE...]")
	}
	c := check.Check{Kind: check.Kind(args[0])}
	port, err := strconv.Atoi(args[1])
	if err != nil || port < 1 || port > 65535 {
		return c, fmt.Errorf("%q is not a port", args[1])
	}
	c.Port = port
	rest := args[2:]
	switch c.Kind {
	case "tcp":
	case "http":
		if len(rest) == 0 || !strings.HasPrefix(rest[0], "/") {
			return c, errors.New("http wants PORT PATH, the path starting with /")
		}
		c.Path, rest = rest[0], rest[1:]
	default:
		return c, fmt.Errorf("unknown check %q, want tcp or http", args[0])
	}
	for _, svc := range rest {
		name := strings.ToLower(dns.Fqdn(svc))
		if _, ok := dns.IsDomainName(name); !ok || strings.HasSuffix(svc, ".") {
			return c, fmt.Errorf("%q is not a service name relative to the zone", svc)
		}
		c.Services = append(c.Services, strings.TrimSuffix(name, "."))
	}
	return c, nil
}

// parseInterval reads "health-interval DURATION".
func parseInterval(args []string) (time.Duration, error) {
	if len(args) != 1 {
		return 0, errors.New("wants one duration")
	}
	d, err := durations.NewDurationFromArg(args[0])
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", args[0])
	}
	return d, nil
}

// newChecker makes the block's checker: its checks name services relative
// to each of the block's zones.
func (d *DynDNS) newChecker() (*check.Checker, error) {
	cfg := check.Config{
		Interval: d.healthCfg.interval,
		Changed: func(service string, addr netip.Addr, passing bool) {
			state := "down: out of its rotation"
			if passing {
				state = "back: in its rotation again"
			}
			log.Infof("health: %s of %s is %s", addr, service, state)
		},
		Failed: func(kind check.Kind) { healthFailures.WithLabelValues(string(kind)).Inc() },
	}
	for _, c := range d.healthCfg.checks {
		rel := c.Services
		c.Services = nil
		for _, origin := range d.origins {
			for _, svc := range rel {
				c.Services = append(c.Services, svc+"."+origin)
			}
		}
		if len(rel) > 0 && len(c.Services) == 0 {
			continue
		}
		cfg.Checks = append(cfg.Checks, c)
	}
	return check.New(cfg, d.members)
}

// members lists the addresses of every derived service of the block's zones.
func (d *DynDNS) members() map[string][]netip.Addr {
	out := map[string][]netip.Addr{}
	for _, z := range d.zones {
		z.Current().Walk(func(n *zone.Node) bool {
			for _, s := range n.Derived() {
				s.Range(func(rr dns.RR) bool {
					if a, ok := check.AddrOf(rr); ok {
						out[n.Name()] = append(out[n.Name()], a)
					}
					return true
				})
			}
			return true
		})
	}
	return out
}

// healthView is the zone.Health of a block with health checks.
type healthView struct{ c *check.Checker }

func (h healthView) Down(service string) rotate.Filter {
	if s := h.c.Down(service); s != nil {
		return s // a *check.Set is a rotate.Filter; a nil one must not be
	}
	return nil
}

// healthCollector reports the members and passing members of the checked
// services of every running block. Per-service series only for services
// that health lines name (the operator bounds them); a check of every
// derived service reports its zone's total, so clients that register hosts
// cannot add series.
type healthCollector struct{}

var (
	healthMembersDesc = prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "health_members"),
		"Addresses of health-checked services.", []string{"service"}, nil)
	healthPassingDesc = prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "health_passing"),
		"Addresses of health-checked services that pass their checks.", []string{"service"}, nil)
)

// checkers are the running blocks' checkers, for the collector.
var checkers sync.Map // *DynDNS → *check.Checker

func (healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- healthMembersDesc
	ch <- healthPassingDesc
}

func (healthCollector) Collect(ch chan<- prometheus.Metric) {
	type count struct{ members, passing int }
	totals := map[string]*count{}
	checkers.Range(func(k, v any) bool {
		d := k.(*DynDNS)
		for _, st := range v.(*check.Checker).Stats() {
			label := st.Service
			if !d.namesService(st.Service) {
				label = "*"
			}
			c := totals[label]
			if c == nil {
				c = &count{}
				totals[label] = c
			}
			c.members += st.Members
			c.passing += st.Passing
		}
		return true
	})
	for label, c := range totals {
		ch <- prometheus.MustNewConstMetric(healthMembersDesc, prometheus.GaugeValue, float64(c.members), label)
		ch <- prometheus.MustNewConstMetric(healthPassingDesc, prometheus.GaugeValue, float64(c.passing), label)
	}
}

// namesService reports whether a health line of the block names service.
func (d *DynDNS) namesService(service string) bool {
	for _, c := range d.healthCfg.checks {
		for _, rel := range c.Services {
			for _, origin := range d.origins {
				if rel+"."+origin == service {
					return true
				}
			}
		}
	}
	return false
}
