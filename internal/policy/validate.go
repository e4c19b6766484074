package policy

import (
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validate records every problem of a decoded, defaulted configuration.
func validate(cfg *Config, ps *problems) {
	validateCluster(cfg.Cluster, ps)

	if cfg.StateDir == "" {
		ps.add("stateDir", "required; set a directory such as %s", DefaultStateDir)
	} else if !filepath.IsAbs(cfg.StateDir) {
		ps.add("stateDir", "%q is not an absolute path", cfg.StateDir)
	}
	if cfg.Concurrency < 1 {
		ps.add("concurrency", "%d is below 1; set how many policies may rotate at once", cfg.Concurrency)
	}
	oneOf(ps, "log.format", cfg.Log.Format, "auto", "text", "json")
	oneOf(ps, "log.level", cfg.Log.Level, "debug", "info", "warn", "error")
	if _, _, err := net.SplitHostPort(cfg.Listen); cfg.Listen != "" && err != nil {
		ps.add("listen", "%q is not host:port; write it like %s", cfg.Listen, DefaultListen)
	}

	validateDefaults(cfg.Defaults, ps)
	validatePolicies(cfg.Policies, cfg.Defaults, ps)
}

func validateCluster(c Cluster, ps *problems) {
	requireUUID(ps, "cluster.accountId", c.AccountID)
	requireUUID(ps, "cluster.clusterId", c.ClusterID)
	requireURL(ps, "cluster.managementURL", c.ManagementURL)
	if c.DataPlaneURL != "" {
		checkURL(ps, "cluster.dataPlaneURL", c.DataPlaneURL)
	}

	mt := c.ManagementToken
	if mt.Env != "" && mt.File != "" {
		ps.add("cluster.managementToken", "env and file are both set; keep one of them")
	}
	if mt.Env != "" && !envNamePattern.MatchString(mt.Env) {
		ps.add("cluster.managementToken.env", "%s", hiddenEnvProblem("INFLUX_MANAGEMENT_TOKEN"))
	}
	if mt.File != "" && !filepath.IsAbs(mt.File) {
		ps.add("cluster.managementToken.file", "%s", hiddenPathProblem)
	}

	positive(ps, "cluster.requestTimeout", c.RequestTimeout)
	if !(c.RateLimit > 0) {
		ps.add("cluster.rateLimit", "%v must be greater than 0 requests per second", c.RateLimit)
	}
	if c.MaxRetries < 0 {
		ps.add("cluster.maxRetries", "%d is negative; use 0 to disable retries", c.MaxRetries)
	}
}

func validateDefaults(d Defaults, ps *problems) {
	positive(ps, "defaults.grace", d.Grace)
	positive(ps, "defaults.propagationTimeout", d.PropagationTimeout)
	nonNegative(ps, "defaults.propagationWait", d.PropagationWait)
	nonNegative(ps, "defaults.minInterval", d.MinInterval)
	atMostMaxWait(ps, "defaults.grace", d.Grace)
	atMostMaxWait(ps, "defaults.propagationTimeout", d.PropagationTimeout)
	atMostMaxWait(ps, "defaults.propagationWait", d.PropagationWait)
}

func requireUUID(ps *problems, path, value string) {
	switch {
	case value == "":
		ps.add(path, "required; copy the UUID from the console")
	case !uuidPattern.MatchString(value):
		ps.add(path, "%q is not a UUID (like 11111111-2222-4333-8444-555555555555)", value)
	}
}

func requireURL(ps *problems, path, value string) {
	if value == "" {
		ps.add(path, "required")
		return
	}
	checkURL(ps, path, value)
}

func checkURL(ps *problems, path, value string) {
	u, err := url.Parse(value)
	switch {
	case err != nil:
		ps.add(path, "%q is not a valid URL", value)
	case u.Scheme != "http" && u.Scheme != "https":
		ps.add(path, "%q must start with https:// or http://", value)
	case u.Host == "":
		ps.add(path, "%q has no host", value)
	}
}

func oneOf(ps *problems, path, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		ps.add(path, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
}

func positive(ps *problems, path string, d time.Duration) {
	if d <= 0 {
		ps.add(path, "%s must be greater than 0", d)
	}
}

func nonNegative(ps *problems, path string, d time.Duration) {
	if d < 0 {
		ps.add(path, "%s is negative; use 0 or a positive duration", d)
	}
}

// maxWait bounds the waits inside one rotation: the grace window and the
// propagation timeouts. A longer wait is almost certainly a typo, and the
// old token would stay valid for that long.
const maxWait = 90 * 24 * time.Hour

func atMostMaxWait(ps *problems, path string, d time.Duration) {
	if d > maxWait {
		ps.add(path, "%s is longer than 90d; a rotation waits that long before the old token is deleted", d)
	}
}
