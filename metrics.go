package dyndns

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/storage"
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

	zoneLeases = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "leases",
		Help:      "Records with an update lease (RFC 9664) in each zone.",
	}, []string{"zone"})

	expirations = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "lease_expirations_total",
		Help:      "Records deleted because their lease ran out.",
	}, []string{"zone"})

	healthFailures = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "health_check_failures_total",
		Help:      "Health checks that failed, by kind (tcp, http).",
	}, []string{"kind"})

	zoneSerial = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "zone_serial",
		Help:      "SOA serial of each zone.",
	}, []string{"zone"})
)

func init() { prometheus.MustRegister(journalCollector{}, healthCollector{}) }

// journalCollector reports the journals of the open stores: fsyncs per
// journaled update is what group commit is about.
type journalCollector struct{}

var (
	journalEntriesDesc = prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "journal_entries_total"),
		"Changesets appended to each zone's journal since it was opened.", []string{"zone"}, nil)
	journalSyncsDesc = prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "journal_syncs_total"),
		"fsyncs of each zone's journal since it was opened.", []string{"zone"}, nil)
)

func (journalCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- journalEntriesDesc
	ch <- journalSyncsDesc
}

func (journalCollector) Collect(ch chan<- prometheus.Metric) {
	storage.Each(func(_, origin string, s storage.Store) {
		j, ok := s.(interface{ Stats() journal.Stats })
		if !ok {
			return
		}
		st := j.Stats()
		if st == (journal.Stats{}) {
			return // a zone in memory, or a journal that has seen nothing yet
		}
		ch <- prometheus.MustNewConstMetric(journalEntriesDesc, prometheus.CounterValue, float64(st.Records), origin)
		ch <- prometheus.MustNewConstMetric(journalSyncsDesc, prometheus.CounterValue, float64(st.Syncs), origin)
	})
}

func serverOf(ctx context.Context) string { return metrics.WithServer(ctx) }
