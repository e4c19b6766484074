package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// PolicyState is the state of one policy that the scrape-time gauges report.
type PolicyState struct {
	Policy         string
	TokenCreatedAt time.Time // zero when unknown
	TokenExpiresAt time.Time // zero when the token does not expire
	NextRotation   time.Time // zero when nothing is scheduled
	NeedsAttention bool
}

// StateFunc returns the current state of every policy.
type StateFunc func(ctx context.Context) []PolicyState

// scrapeTimeout bounds one call of the state function during a scrape.
const scrapeTimeout = 10 * time.Second

var (
	tokenAgeDesc = prometheus.NewDesc(namespace+"_token_age_seconds",
		"Age of the policy's current token.", []string{"policy"}, nil)
	tokenExpiryDesc = prometheus.NewDesc(namespace+"_token_expiry_timestamp_seconds",
		"Unix time at which the policy's current token expires; absent when it does not expire.",
		[]string{"policy"}, nil)
	nextRotationDesc = prometheus.NewDesc(namespace+"_next_rotation_timestamp_seconds",
		"Unix time at which the policy is next due for rotation.", []string{"policy"}, nil)
	needsAttentionDesc = prometheus.NewDesc(namespace+"_policy_needs_attention",
		"1 when the policy's rotations failed too often in a row and a person should look.",
		[]string{"policy"}, nil)
)

// WatchState makes every scrape report the gauges of the policies fn
// returns, with ages computed against now.
func (m *Metrics) WatchState(fn StateFunc, now func() time.Time) {
	m.state.set(fn, now)
}

// stateCollector reads policy state at scrape time.
type stateCollector struct {
	mu  sync.Mutex
	fn  StateFunc
	now func() time.Time
}

func (c *stateCollector) set(fn StateFunc, now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now == nil {
		now = time.Now
	}
	c.fn, c.now = fn, now
}

// Describe sends the descriptors of the scrape-time gauges.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- tokenAgeDesc
	ch <- tokenExpiryDesc
	ch <- nextRotationDesc
	ch <- needsAttentionDesc
}

// Collect calls the state function and sends one sample per known value.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	fn, now := c.fn, c.now
	c.mu.Unlock()
	if fn == nil {
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	at := now()
	for _, st := range fn(ctx) {
		if !st.TokenCreatedAt.IsZero() {
			ch <- gauge(tokenAgeDesc, at.Sub(st.TokenCreatedAt).Seconds(), st.Policy)
		}
		if !st.TokenExpiresAt.IsZero() {
			ch <- gauge(tokenExpiryDesc, unixSeconds(st.TokenExpiresAt), st.Policy)
		}
		if !st.NextRotation.IsZero() {
			ch <- gauge(nextRotationDesc, unixSeconds(st.NextRotation), st.Policy)
		}
		ch <- gauge(needsAttentionDesc, boolValue(st.NeedsAttention), st.Policy)
	}
}

func gauge(desc *prometheus.Desc, v float64, policy string) prometheus.Metric {
	return prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, policy)
}

func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
