// Package metrics holds hubbub's Prometheus instruments.
//
// A Metrics is registered on its own prometheus.Registry, never the global one, so that a test
// process can run many servers side by side, each with its own numbers. The server and the hub
// take a *Metrics as an optional field of their Config: every method is safe on a nil *Metrics
// and then does nothing, so a server without metrics pays one nil check per event.
//
// The hot path (a delivery, a frame written) touches only pre-resolved counters and histograms:
// labelled series are curried into plain children when the Metrics is built, so no label lookup
// happens per message.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Protocol names a wire protocol in the connection metrics.
type Protocol int

// The protocols a connection may speak.
const (
	ProtoText Protocol = iota // the original text protocol
	ProtoJSON                 // hubbub.v1
	ProtoAdd                  // the add service
	numProtos
)

var protoNames = [numProtos]string{"text", "json", "add"}

// String returns the protocol's label value.
func (p Protocol) String() string { return protoNames[p] }

// DropReason says why a connection was dropped or a frame refused, as a label value.
type DropReason int

// The reasons counted by hubbub_drops_total.
const (
	DropSlowConsumer DropReason = iota // send queue full: the client reads too slowly (1008)
	DropRateLimit                      // a send refused by the per-connection token bucket
	DropAbuse                          // the connection closed for sustained rate-limit abuse (1008)
	DropReadLimit                      // a frame over the read limit (1009)
	DropProtocol                       // a protocol violation closed the connection (1002/1003/1007)
	DropTimeout                        // no pong or frame within the pong wait
	numDropReasons
)

var dropNames = [numDropReasons]string{"slow_consumer", "rate_limit", "abuse", "read_limit", "protocol", "timeout"}

// String returns the reason's label value.
func (r DropReason) String() string { return dropNames[r] }

// RefuseReason says why an HTTP upgrade was refused before it happened.
type RefuseReason int

// The reasons counted by hubbub_connections_refused_total.
const (
	RefuseMaxConns   RefuseReason = iota // the server holds --max-conns connections (503)
	RefusePerIP                          // the client's address holds --max-conns-per-ip (429)
	RefuseRate                           // the client's address connects faster than --connect-rate (429)
	RefuseDraining                       // the server is shutting down (503)
	RefuseConnecting                     // --max-connecting connections are being set up (503, shed)
	numRefuseReasons
)

var refuseNames = [numRefuseReasons]string{"max_conns", "per_ip", "connect_rate", "draining", "connecting"}

// String returns the reason's label value.
func (r RefuseReason) String() string { return refuseNames[r] }

// HTTPRefuseReason names the limit of plain HTTP connections (not WebSockets) a request on
// a new connection met (internal/server, httpconns.go): the reason it was refused, or the one
// an idle connection was closed for, to make room for it.
type HTTPRefuseReason int

// The reasons counted by hubbub_http_connections_refused_total and
// hubbub_http_connections_reclaimed_total.
const (
	HTTPRefusePerIP HTTPRefuseReason = iota // the client's address holds --max-http-conns-per-ip (503)
	HTTPRefuseMax                           // the server holds --max-http-conns (503)
	numHTTPRefuseReasons
)

var httpRefuseNames = [numHTTPRefuseReasons]string{"per_ip", "max_conns"}

// String returns the reason's label value.
func (r HTTPRefuseReason) String() string { return httpRefuseNames[r] }

// Metrics is the set of hubbub's instruments on one registry. Create it with New.
type Metrics struct {
	// Registry is the registry every instrument is registered on; Handler serves it.
	Registry *prometheus.Registry

	connections [numProtos]prometheus.Gauge
	connects    [numProtos]prometheus.Counter
	disconnects [numProtos]prometheus.Counter
	refused     [numRefuseReasons]prometheus.Counter
	drops       [numDropReasons]prometheus.Counter

	// httpConns counts the plain HTTP connections holding a slot of --max-http-conns,
	// httpIdle those of them idle between two requests, httpRefused the requests refused for
	// want of one, and httpReclaimed the idle connections closed to give theirs to another.
	httpConns     prometheus.Gauge
	httpIdle      prometheus.Gauge
	httpRefused   [numHTTPRefuseReasons]prometheus.Counter
	httpReclaimed [numHTTPRefuseReasons]prometheus.Counter

	joins       prometheus.Counter
	messagesIn  prometheus.Counter
	messagesOut prometheus.Counter
	deliveries  prometheus.Counter

	// admissionWaiting counts the upgrades waiting for an admission slot (--max-connecting).
	admissionWaiting prometheus.Gauge

	queueDepth      prometheus.Histogram
	storeAppend     prometheus.Histogram
	storeRead       prometheus.Histogram
	brokerPublish   prometheus.Histogram
	deliveryLatency prometheus.Histogram

	jwksFetches [2]prometheus.Counter // ok, error
	jwksKeys    prometheus.Gauge
	// webhookAttempts counts webhook requests by outcome: ok, failed (retried), dead.
	webhookAttempts [3]prometheus.Counter
	dispatchLease   prometheus.Gauge
	unheardNodes    prometheus.Gauge

	uploads        prometheus.Counter
	uploadBytes    prometheus.Counter
	uploadsRefused *prometheus.CounterVec
	filesCollected prometheus.Counter
}

// latencyBuckets span 100µs to ~6.5s, for store, broker and delivery latencies.
var latencyBuckets = prometheus.ExponentialBuckets(0.0001, 2, 17)

// New returns a Metrics registered on a fresh registry, which also carries the Go runtime and
// process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{Registry: reg}
	f := func(c prometheus.Collector) { reg.MustRegister(c) }

	conns := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hubbub_connections",
		Help: "WebSocket connections open now, by protocol."}, []string{"protocol"})
	connects := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubbub_connects_total",
		Help: "WebSocket connections accepted, by protocol."}, []string{"protocol"})
	disconnects := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubbub_disconnects_total",
		Help: "WebSocket connections ended, by protocol."}, []string{"protocol"})
	for p := range numProtos {
		m.connections[p] = conns.WithLabelValues(p.String())
		m.connects[p] = connects.WithLabelValues(p.String())
		m.disconnects[p] = disconnects.WithLabelValues(p.String())
	}
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubbub_connections_refused_total",
		Help: "Upgrades refused before they happened, by reason."}, []string{"reason"})
	for r := range numRefuseReasons {
		m.refused[r] = refused.WithLabelValues(r.String())
	}
	drops := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubbub_drops_total",
		Help: "Connections dropped or frames refused, by reason."}, []string{"reason"})
	for r := range numDropReasons {
		m.drops[r] = drops.WithLabelValues(r.String())
	}
	f(conns)
	f(connects)
	f(disconnects)
	f(refused)
	f(drops)
	m.httpConns = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hubbub_http_connections",
		Help: "Plain HTTP connections (not WebSockets) open now that have made a request: what --max-http-conns and --max-http-conns-per-ip count."})
	httpRefused := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubbub_http_connections_refused_total",
		Help: "Requests on plain HTTP connections refused (503, the connection closed) because their address or the server held too many, none of them idle, by reason."}, []string{"reason"})
	m.httpIdle = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hubbub_http_connections_idle",
		Help: "Plain HTTP connections holding a slot that are idle now, kept alive between two requests: those a new connection past --max-http-conns-per-ip or --max-http-conns may close and take the slot of."})
	httpReclaimed := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubbub_http_connections_reclaimed_total",
		Help: "Idle plain HTTP connections closed to give their slot to a new connection past a limit, by the limit (per_ip: the new connection's address held --max-http-conns-per-ip, max_conns: the server held --max-http-conns)."}, []string{"reason"})
	for r := range numHTTPRefuseReasons {
		m.httpRefused[r] = httpRefused.WithLabelValues(r.String())
		m.httpReclaimed[r] = httpReclaimed.WithLabelValues(r.String())
	}
	f(m.httpConns)
	f(m.httpIdle)
	f(httpRefused)
	f(httpReclaimed)

	m.joins = prometheus.NewCounter(prometheus.CounterOpts{Name: "hubbub_joins_total",
		Help: "Room joins by local connections."})
	m.messagesIn = prometheus.NewCounter(prometheus.CounterOpts{Name: "hubbub_messages_in_total",
		Help: "Messages clients sent that were stored (received sends)."})
	m.messagesOut = prometheus.NewCounter(prometheus.CounterOpts{Name: "hubbub_messages_out_total",
		Help: "WebSocket data frames written to clients."})
	m.deliveries = prometheus.NewCounter(prometheus.CounterOpts{Name: "hubbub_deliveries_total",
		Help: "Room messages queued for local members (one per member and message)."})
	m.queueDepth = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hubbub_send_queue_depth",
		Help:    "Frames queued for a connection when its writer took a round to write.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}})
	m.storeAppend = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hubbub_store_append_seconds",
		Help: "Time to append (store durably) one message.", Buckets: latencyBuckets})
	m.storeRead = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hubbub_store_read_seconds",
		Help: "Time of one history read from the store.", Buckets: latencyBuckets})
	m.brokerPublish = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hubbub_broker_publish_seconds",
		Help: "Time to publish one message to the broker.", Buckets: latencyBuckets})
	m.deliveryLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hubbub_delivery_latency_seconds",
		Help: "Per write to a client's socket: from the server timestamp of the oldest message in it to the write (live messages only: a join's replay is not counted).", Buckets: latencyBuckets})
	jwksFetches := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubbub_jwks_fetches_total",
		Help: "Fetches of the token keys at --jwks-url, by result (ok or error)."}, []string{"result"})
	m.jwksFetches = [2]prometheus.Counter{jwksFetches.WithLabelValues("ok"), jwksFetches.WithLabelValues("error")}
	m.jwksKeys = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hubbub_jwks_keys",
		Help: "Token keys from --jwks-url in use now (0: JWKS tokens cannot be verified)."})
	f(jwksFetches)
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubbub_webhook_attempts_total",
		Help: "Webhook requests made by this node, by result: ok (a 2xx), failed (to be retried), dead (failed past --webhook-dead-after)."}, []string{"result"})
	m.webhookAttempts = [3]prometheus.Counter{attempts.WithLabelValues("ok"), attempts.WithLabelValues("failed"), attempts.WithLabelValues("dead")}
	m.dispatchLease = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hubbub_webhook_dispatching",
		Help: "1 while this node holds the dispatch lease and posts webhooks' events, else 0 (one node of a cluster)."})
	f(attempts)
	f(m.dispatchLease)
	m.unheardNodes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hubbub_unheard_nodes",
		Help: "Other nodes serving from this node's PostgreSQL that its broker does not reach (a node without --nats, or on another --nats-prefix): their clients and this node's miss each other's messages live. 0 when every node shares one NATS."})
	f(m.unheardNodes)
	m.admissionWaiting = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hubbub_connections_waiting_admission",
		Help: "WebSocket upgrades waiting for one of the --max-connecting slots (at most --connecting-queue, each at most --connecting-wait)."})
	f(m.admissionWaiting)
	m.uploads = prometheus.NewCounter(prometheus.CounterOpts{Name: "hubbub_uploads_total",
		Help: "Files stored by POST /upload."})
	m.uploadBytes = prometheus.NewCounter(prometheus.CounterOpts{Name: "hubbub_upload_bytes_total",
		Help: "Bytes of the files stored by POST /upload, as stored (after metadata stripping), thumbnails included."})
	m.uploadsRefused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubbub_uploads_refused_total",
		Help: "Uploads refused, by reason (too_large, quota, pixels, bad_image, unauthorized, at_once, failed, disabled)."}, []string{"reason"})
	// Each reason's series exists from the start, at 0, as every other labelled counter's
	// does: a series that appears with its first refusal hides that refusal from
	// increase() and rate(), and an alert on it has nothing to compare until then.
	for _, r := range UploadRefuseReasons {
		m.uploadsRefused.WithLabelValues(r)
	}
	m.filesCollected = prometheus.NewCounter(prometheus.CounterOpts{Name: "hubbub_files_collected_total",
		Help: "Files whose bytes the collector deleted (of deleted or pruned messages, or never sent)."})
	f(m.uploadsRefused)
	for _, c := range []prometheus.Collector{m.uploads, m.uploadBytes, m.filesCollected, m.joins, m.messagesIn, m.messagesOut, m.deliveries,
		m.queueDepth, m.storeAppend, m.storeRead, m.brokerPublish, m.deliveryLatency, m.jwksKeys} {
		f(c)
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Connected counts a connection accepted.
func (m *Metrics) Connected(p Protocol) {
	if m == nil {
		return
	}
	m.connects[p].Inc()
	m.connections[p].Inc()
}

// Disconnected counts a connection ended.
func (m *Metrics) Disconnected(p Protocol) {
	if m == nil {
		return
	}
	m.disconnects[p].Inc()
	m.connections[p].Dec()
}

// Refused counts an upgrade refused before it happened.
func (m *Metrics) Refused(r RefuseReason) {
	if m == nil {
		return
	}
	m.refused[r].Inc()
}

// HTTPConns moves the count of plain HTTP connections holding a slot by delta.
func (m *Metrics) HTTPConns(delta int) {
	if m == nil {
		return
	}
	m.httpConns.Add(float64(delta))
}

// HTTPRefused counts a request on a plain HTTP connection refused for r.
func (m *Metrics) HTTPRefused(r HTTPRefuseReason) {
	if m == nil {
		return
	}
	m.httpRefused[r].Inc()
}

// HTTPIdle moves the count of idle plain HTTP connections holding a slot by delta.
func (m *Metrics) HTTPIdle(delta int) {
	if m == nil {
		return
	}
	m.httpIdle.Add(float64(delta))
}

// HTTPReclaimed counts an idle plain HTTP connection closed to give its slot to a new one
// past the limit r.
func (m *Metrics) HTTPReclaimed(r HTTPRefuseReason) {
	if m == nil {
		return
	}
	m.httpReclaimed[r].Inc()
}

// Drop counts a dropped connection or refused frame.
func (m *Metrics) Drop(r DropReason) {
	if m == nil {
		return
	}
	m.drops[r].Inc()
}

// Joined counts a room join.
func (m *Metrics) Joined() {
	if m == nil {
		return
	}
	m.joins.Inc()
}

// MessageIn counts a message a client sent that was stored.
func (m *Metrics) MessageIn() {
	if m == nil {
		return
	}
	m.messagesIn.Inc()
}

// FramesOut counts n data frames written to a client.
func (m *Metrics) FramesOut(n int) {
	if m == nil || n == 0 {
		return
	}
	m.messagesOut.Add(float64(n))
}

// Delivered counts a message queued for n members.
func (m *Metrics) Delivered(n int) {
	if m == nil || n == 0 {
		return
	}
	m.deliveries.Add(float64(n))
}

// QueueDepth records how many frames a writer found queued when it took a round.
func (m *Metrics) QueueDepth(n int) {
	if m == nil {
		return
	}
	m.queueDepth.Observe(float64(n))
}

// StoreAppend records the time of a store append that started at start.
func (m *Metrics) StoreAppend(start time.Time) {
	if m == nil {
		return
	}
	m.storeAppend.Observe(time.Since(start).Seconds())
}

// StoreRead records the time of a store read that started at start.
func (m *Metrics) StoreRead(start time.Time) {
	if m == nil {
		return
	}
	m.storeRead.Observe(time.Since(start).Seconds())
}

// BrokerPublish records the time of a broker publish that started at start.
func (m *Metrics) BrokerPublish(start time.Time) {
	if m == nil {
		return
	}
	m.brokerPublish.Observe(time.Since(start).Seconds())
}

// DeliveryLatency records the time from a live message's server timestamp (stamped) to now
// (its frame written). Callers leave out history replayed to a joining client: its age is not
// a delivery's latency. A live message that comes late (a gap filled from the store, a
// catch-up after a broker outage) is recorded however late it is: that is what the metric is
// for.
func (m *Metrics) DeliveryLatency(stamped, now time.Time) {
	if m == nil || stamped.IsZero() {
		return
	}
	m.deliveryLatency.Observe(now.Sub(stamped).Seconds())
}

// Now returns the time for a latency measurement, or the zero time on a nil Metrics (so
// callers without metrics do not read the clock).
func (m *Metrics) Now() time.Time {
	if m == nil {
		return time.Time{}
	}
	return time.Now()
}

// JWKSFetched counts a fetch of the token keys at --jwks-url, failed when err is not nil,
// and records the keys in use after it. Its signature is auth.JWKSConfig.Fetched's.
func (m *Metrics) JWKSFetched(err error, keys int) {
	if m == nil {
		return
	}
	if err != nil {
		m.jwksFetches[1].Inc()
	} else {
		m.jwksFetches[0].Inc()
	}
	m.jwksKeys.Set(float64(keys))
}

// WebhookAttempt counts a webhook request: ok when err is nil, else failed, or dead when the
// delivery was given up.
func (m *Metrics) WebhookAttempt(err error, dead bool) {
	if m == nil {
		return
	}
	switch {
	case err == nil:
		m.webhookAttempts[0].Inc()
	case dead:
		m.webhookAttempts[2].Inc()
	default:
		m.webhookAttempts[1].Inc()
	}
}

// AdmissionWaiting moves the count of upgrades waiting for an admission slot by delta.
func (m *Metrics) AdmissionWaiting(delta int) {
	if m == nil {
		return
	}
	m.admissionWaiting.Add(float64(delta))
}

// UnheardNodes records how many other nodes serve from this node's store without sharing its
// broker (internal/nodecheck).
func (m *Metrics) UnheardNodes(n int) {
	if m == nil {
		return
	}
	m.unheardNodes.Set(float64(n))
}

// Dispatching records whether this node holds the webhooks' dispatch lease.
func (m *Metrics) Dispatching(held bool) {
	if m == nil {
		return
	}
	v := 0.0
	if held {
		v = 1
	}
	m.dispatchLease.Set(v)
}

// Uploaded counts a stored upload of n bytes (the file and its thumbnail).
func (m *Metrics) Uploaded(n int64) {
	if m == nil {
		return
	}
	m.uploads.Inc()
	m.uploadBytes.Add(float64(n))
}

// UploadRefuseReasons are the reasons internal/files refuses an upload for, each a series of
// hubbub_uploads_refused_total from the start (docs/operations.md lists them).
var UploadRefuseReasons = []string{"too_large", "quota", "pixels", "bad_image", "unauthorized", "at_once", "failed", "disabled"}

// UploadRefused counts an upload refused for reason, one of UploadRefuseReasons.
func (m *Metrics) UploadRefused(reason string) {
	if m == nil {
		return
	}
	m.uploadsRefused.WithLabelValues(reason).Inc()
}

// FilesCollected counts n files the collector deleted.
func (m *Metrics) FilesCollected(n int) {
	if m == nil {
		return
	}
	m.filesCollected.Add(float64(n))
}
