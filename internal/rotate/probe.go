package rotate

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/secret"
)

// Prober checks whether the data plane accepts a token.
type Prober interface {
	// Probe returns true once the data plane accepts the token. A false
	// result with a nil error means "not yet"; an error means the probe
	// could not tell, and the caller tries again.
	Probe(ctx context.Context, token secret.Token, target ProbeTarget) (bool, error)
}

// ProbeTarget is the request that shows a token is known: a query on a
// database the token can read, or an empty write to one it can write.
type ProbeTarget struct {
	Database string
	Write    bool
}

// String describes the probe request for plans and logs.
func (t ProbeTarget) String() string {
	if t.Write {
		return "empty write to " + t.Database
	}
	return "query on " + t.Database
}

// probeTarget picks the request for a token with perms, preferring a read.
// databases are the policy's own, used when a permission names "*". It
// returns false when no request can tell, such as for a token with no
// permissions.
func probeTarget(perms []mgmt.Permission, databases []string) (ProbeTarget, bool) {
	pick := func(action string) (string, bool) {
		for _, p := range perms {
			if p.Action != action {
				continue
			}
			if p.Resource != mgmt.AllDatabases {
				return p.Resource, true
			}
			if len(databases) > 0 {
				return databases[0], true
			}
		}
		return "", false
	}
	if db, ok := pick(mgmt.ActionRead); ok {
		return ProbeTarget{Database: db}, true
	}
	if db, ok := pick(mgmt.ActionWrite); ok {
		return ProbeTarget{Database: db, Write: true}, true
	}
	return ProbeTarget{}, false
}

// HTTPProber probes a cluster's data plane over HTTP.
type HTTPProber struct {
	BaseURL string
	Client  *http.Client
}

// Probe sends the target's request. Any response but 401 shows the token is
// known: a 403 or 404 means the token is active but the request is not
// allowed, which still proves propagation.
func (p HTTPProber) Probe(ctx context.Context, token secret.Token, target ProbeTarget) (bool, error) {
	req, err := p.request(ctx, target)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+token.Reveal())
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("probe data plane: %w", redactURLError(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return false, fmt.Errorf("probe data plane: server returned %d", resp.StatusCode)
	}
	return resp.StatusCode != http.StatusUnauthorized, nil
}

func (p HTTPProber) request(ctx context.Context, target ProbeTarget) (*http.Request, error) {
	base := strings.TrimRight(p.BaseURL, "/")
	if target.Write {
		u := base + "/api/v2/write?bucket=" + url.QueryEscape(target.Database)
		return http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(""))
	}
	q := url.Values{"db": {target.Database}, "q": {"SHOW MEASUREMENTS"}}
	return http.NewRequestWithContext(ctx, http.MethodGet, base+"/query?"+q.Encode(), nil)
}

// redactURLError drops the request details from a transport error; the
// URL holds no secret, but keeping errors short keeps logs readable.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s %s: %w", ue.Op, ue.URL, ue.Err)
	}
	return err
}
