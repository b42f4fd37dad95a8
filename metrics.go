package dyndns

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	queries = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "queries_total",
		Help:      "Counter of queries answered from dyndns zones.",
	}, []string{"server", "zone"})

	updates = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "updates_total",
		Help:      "Counter of UPDATE messages, by response code.",
	}, []string{"server", "zone", "rcode"})

	zoneRecords = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "zone_records",
		Help:      "Explicit records in each zone.",
	}, []string{"zone"})

	zoneSerial = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "zone_serial",
		Help:      "SOA serial of each zone.",
	}, []string{"zone"})
)

func serverOf(ctx context.Context) string { return metrics.WithServer(ctx) }
