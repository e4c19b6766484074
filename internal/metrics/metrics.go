// Package metrics exports rotatord's Prometheus metrics: counters and
// histograms fed by the rotation engine and the Management API client, and
// gauges read from the engine's status and the schedule at scrape time.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric name.
const namespace = "rotatord"

// stepIdle is the step reported for a policy with no rotation running.
const stepIdle = "idle"

// Metrics holds rotatord's metrics on a registry of its own. It implements
// rotate.Observer. All methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	rotations           *prometheus.CounterVec
	rotationDuration    *prometheus.HistogramVec
	propagationDuration *prometheus.HistogramVec
	orphans             *prometheus.CounterVec
	panics              *prometheus.CounterVec
	requests            *prometheus.CounterVec
	requestDuration     *prometheus.HistogramVec
	currentStep         *prometheus.GaugeVec

	mu    sync.Mutex
	steps map[string]string // policy to the step its gauge is set for
	state *stateCollector
}

// New creates the metrics and registers them, with the Go runtime and
// process collectors, on reg. A nil reg gets a new registry.
func New(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{reg: reg, steps: map[string]string{}}
	m.rotations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "rotations_total",
		Help: "Rotations finished, by policy and result.",
	}, []string{"policy", "result"})
	m.rotationDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "rotation_duration_seconds",
		Help:    "Time from the start of a rotation to its end, grace window included.",
		Buckets: []float64{1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600},
	}, []string{"policy"})
	m.propagationDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "propagation_duration_seconds",
		Help:    "Time until a new token was accepted by the data plane.",
		Buckets: []float64{1, 2, 5, 10, 30, 60, 120, 300, 600, 1800},
	}, []string{"policy"})
	m.orphans = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "orphaned_tokens_total",
		Help: "Tokens deleted because no sink held their secret.",
	}, []string{"policy"})
	m.panics = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "panics_total",
		Help: "Panics recovered during a rotation.",
	}, []string{"policy"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "management_requests_total",
		Help: "Management API requests, by operation and HTTP status (0 when no response arrived).",
	}, []string{"operation", "status"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "management_request_duration_seconds",
		Help:    "Management API request latency.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"operation"})
	m.currentStep = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "current_step",
		Help: "1 for the step each policy's rotation is in; the step is \"idle\" between rotations.",
	}, []string{"policy", "step"})
	m.state = &stateCollector{}

	reg.MustRegister(m.rotations, m.rotationDuration, m.propagationDuration, m.orphans,
		m.panics, m.requests, m.requestDuration, m.currentStep, m.state,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// StepEntered records that a policy's rotation entered step. The empty
// step, which the engine reports when a rotation ends, is "idle".
func (m *Metrics) StepEntered(policy, step string) {
	if step == "" {
		step = stepIdle
	}
	m.setStep(policy, step)
}

// RotationFinished counts a finished rotation and records its duration.
func (m *Metrics) RotationFinished(policy, result string, elapsed time.Duration) {
	m.rotations.WithLabelValues(policy, result).Inc()
	m.rotationDuration.WithLabelValues(policy).Observe(elapsed.Seconds())
	m.setStep(policy, stepIdle)
}

// PropagationFinished records how long a new token took to work.
func (m *Metrics) PropagationFinished(policy string, elapsed time.Duration) {
	m.propagationDuration.WithLabelValues(policy).Observe(elapsed.Seconds())
}

// OrphanDeleted counts a token deleted because no sink held its secret.
func (m *Metrics) OrphanDeleted(policy string) {
	m.orphans.WithLabelValues(policy).Inc()
}

// PanicRecovered counts a panic recovered during a rotation.
func (m *Metrics) PanicRecovered(policy string) {
	m.panics.WithLabelValues(policy).Inc()
}

// ObserveRequest records one Management API request. Status is the HTTP
// status code, or 0 when the request got no response.
func (m *Metrics) ObserveRequest(operation string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(operation, strconv.Itoa(status)).Inc()
	m.requestDuration.WithLabelValues(operation).Observe(elapsed.Seconds())
}

// setStep moves the policy's current_step gauge to step, removing the
// series of the step it was in.
func (m *Metrics) setStep(policy, step string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.steps[policy]; ok && prev != step {
		m.currentStep.DeleteLabelValues(policy, prev)
	}
	m.steps[policy] = step
	m.currentStep.WithLabelValues(policy, step).Set(1)
}
