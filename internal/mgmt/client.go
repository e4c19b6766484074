// Package mgmt is a client for the InfluxDB Cloud Dedicated Management API:
// databases, tables and database tokens of one cluster.
//
// Every call is safe to make again only where the API makes it so. GET,
// PATCH and DELETE are retried on network errors, 429 and 5xx with capped
// exponential backoff and full jitter. POST and PUT are sent once. When
// their outcome is unknown, the error wraps ErrOutcomeUnknown: after a
// timeout or reset once the request was sent, a 429 or 5xx, or an
// unreadable 2xx response. The caller then lists the objects to find out
// what the attempt made before it tries again.
//
// The management token travels only in the Authorization header. It never
// appears in errors, logs or metrics, and server messages that echo it are
// redacted.
package mgmt

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/rotatord/rotatord/internal/clock"
	"github.com/rotatord/rotatord/internal/secret"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRetries     = 4
	DefaultMinBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
)

// Options configures a Client. BaseURL, AccountID, ClusterID and Token are
// required; every other field has a default.
type Options struct {
	// BaseURL is the API root, for example
	// "https://console.influxdata.com/api/v0". A trailing slash is ignored.
	BaseURL string
	// AccountID and ClusterID are the UUIDs that every path starts with.
	AccountID string
	ClusterID string
	// Token is the management token sent as a bearer token.
	Token secret.Token
	// HTTPClient sends the requests. The Client uses a copy that never
	// follows redirects. Default: a client with dial and TLS timeouts.
	HTTPClient *http.Client
	// RequestTimeout bounds each attempt, response body included. Default 30s.
	RequestTimeout time.Duration
	// MaxRetries is how many times a GET, PATCH or DELETE is repeated after
	// its first attempt. Zero means DefaultMaxRetries, negative means none.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the capped exponential backoff
	// between retries. Defaults 500ms and 30s.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Limiter, when set, is waited on before every attempt.
	Limiter *rate.Limiter
	// Logger receives a Debug record per attempt and a Warn record per
	// retry. Default: discard.
	Logger *slog.Logger
	// Observe, when set, is called after every attempt with the operation
	// ID, the HTTP status (0 on a network error) and the elapsed time.
	Observe func(operation string, status int, elapsed time.Duration)
	// Clock times the backoff sleeps. Default clock.Real{}.
	Clock clock.Clock
}

// Client calls the Management API for one cluster. It is safe for
// concurrent use.
type Client struct {
	base       *url.URL
	accountID  string
	clusterID  string
	token      secret.Token
	http       *http.Client
	timeout    time.Duration
	maxRetries int
	minBackoff time.Duration
	maxBackoff time.Duration
	limiter    *rate.Limiter
	logger     *slog.Logger
	observe    func(string, int, time.Duration)
	clock      clock.Clock
	// jitter returns a random duration in [0, max]; tests replace it.
	jitter func(max time.Duration) time.Duration
}

// New checks opts, applies defaults and returns a Client. It reports every
// invalid option at once.
func New(opts Options) (*Client, error) {
	base, err := validateOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("new management api client: %w", err)
	}

	c := &Client{
		base:       base,
		accountID:  opts.AccountID,
		clusterID:  opts.ClusterID,
		token:      opts.Token,
		http:       noRedirects(opts.HTTPClient),
		timeout:    orDefault(opts.RequestTimeout, DefaultRequestTimeout),
		maxRetries: retriesOrDefault(opts.MaxRetries),
		minBackoff: orDefault(opts.MinBackoff, DefaultMinBackoff),
		maxBackoff: orDefault(opts.MaxBackoff, DefaultMaxBackoff),
		limiter:    opts.Limiter,
		logger:     opts.Logger,
		observe:    opts.Observe,
		clock:      opts.Clock,
		jitter:     fullJitter,
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	if base.Scheme == "http" && !isLoopback(base.Hostname()) {
		c.logger.Warn("management api base url uses plain http", "host", base.Host)
	}
	return c, nil
}

// validateOptions returns the parsed base URL, or every problem in opts.
func validateOptions(opts Options) (*url.URL, error) {
	base, err := parseBaseURL(opts.BaseURL)
	errs := []error{err}
	if !isUUID(opts.AccountID) {
		errs = append(errs, fmt.Errorf("account id %q is not a UUID", opts.AccountID))
	}
	if !isUUID(opts.ClusterID) {
		errs = append(errs, fmt.Errorf("cluster id %q is not a UUID", opts.ClusterID))
	}
	if opts.Token.IsZero() {
		errs = append(errs, errors.New("management token is missing"))
	}

	minBackoff := orDefault(opts.MinBackoff, DefaultMinBackoff)
	maxBackoff := orDefault(opts.MaxBackoff, DefaultMaxBackoff)
	if minBackoff > maxBackoff {
		err := fmt.Errorf("min backoff %s is above max backoff %s", minBackoff, maxBackoff)
		errs = append(errs, err)
	}
	return base, errors.Join(errs...)
}

// parseBaseURL accepts an absolute http or https URL without credentials,
// query or fragment, and drops a trailing slash from its path.
func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("base url is missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the whole input, which may carry credentials.
		return nil, errors.New("base url is not a valid URL")
	}

	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("base url scheme %q is not http or https", u.Scheme)
	case u.Host == "":
		return nil, errors.New("base url has no host")
	case u.User != nil:
		return nil, errors.New("base url contains credentials, set Options.Token instead")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("base url must not have a query or fragment")
	}

	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// noRedirects returns a copy of hc (or of a default client) that returns
// 3xx responses as they are. Following one could send the bearer token to
// another host or replay a POST as a GET.
func noRedirects(hc *http.Client) *http.Client {
	var copied http.Client
	if hc != nil {
		copied = *hc
	} else {
		copied = http.Client{Transport: defaultTransport()}
	}
	copied.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &copied
}

func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = dialer.DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.IdleConnTimeout = 90 * time.Second
	t.MaxIdleConnsPerHost = 4
	return t
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func retriesOrDefault(n int) int {
	switch {
	case n == 0:
		return DefaultMaxRetries
	case n < 0:
		return 0
	}
	return n
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
