package policy

import (
	"strings"
	"time"
)

// Defaults for settings the file leaves out.
const (
	DefaultManagementURL      = "https://console.influxdata.com/api/v0"
	DefaultManagementTokenEnv = "INFLUX_MANAGEMENT_TOKEN"
	DefaultStateDir           = "/var/lib/rotatord"
	DefaultListen             = "127.0.0.1:9464"
	DefaultFileEnvKey         = "INFLUX_TOKEN"
	DefaultVaultTokenEnv      = "VAULT_TOKEN"
	DefaultExpiryMargin       = 24 * time.Hour
	DefaultMaxFailures        = 5
)

// globalDefaults returns the defaults of settings outside of lists, keyed
// by koanf path.
func globalDefaults() map[string]any {
	values := map[string]any{
		"cluster.managementURL":       DefaultManagementURL,
		"cluster.requestTimeout":      30 * time.Second,
		"cluster.rateLimit":           5.0,
		"cluster.maxRetries":          4,
		"stateDir":                    DefaultStateDir,
		"concurrency":                 4,
		"log.format":                  "auto",
		"log.level":                   "info",
		"listen":                      DefaultListen,
		"defaults.grace":              time.Hour,
		"defaults.propagationTimeout": 10 * time.Minute,
		"defaults.propagationWait":    2 * time.Minute,
		"defaults.minInterval":        time.Hour,
	}
	out := make(map[string]any, len(values))
	for key, value := range values {
		out[strings.ReplaceAll(key, ".", keyDelim)] = value
	}
	return out
}

// applyDefaults fills what globalDefaults cannot reach: the management
// token source and the settings of each policy and sink. Policy timing is
// inherited later, by inheritTiming, so that validation checks the values
// the file gave each policy.
func applyDefaults(cfg *Config) {
	mt := &cfg.Cluster.ManagementToken
	if mt.Env == "" && mt.File == "" {
		mt.Env = DefaultManagementTokenEnv
	}
	for i := range cfg.Policies {
		p := &cfg.Policies[i]
		setDefault(&p.ExpiryMargin, DefaultExpiryMargin)
		setDefault(&p.MaxFailures, DefaultMaxFailures)
		for j := range p.Sinks {
			applySinkDefaults(&p.Sinks[j])
		}
	}
}

// inheritTiming gives every policy timing field left at 0 the value of the
// defaults section.
func inheritTiming(cfg *Config) {
	d := cfg.Defaults
	for i := range cfg.Policies {
		p := &cfg.Policies[i]
		setDefault(&p.Grace, d.Grace)
		setDefault(&p.PropagationTimeout, d.PropagationTimeout)
		setDefault(&p.PropagationWait, d.PropagationWait)
		setDefault(&p.MinInterval, d.MinInterval)
	}
}

func applySinkDefaults(s *Sink) {
	switch s.Type {
	case SinkFile:
		setDefault(&s.File.Format, "raw")
		if s.File.Format == "env" {
			setDefault(&s.File.EnvKey, DefaultFileEnvKey)
		}
	case SinkVault:
		applyVaultDefaults(&s.Vault)
	case SinkAWSSM:
		setDefault(&s.AWSSM.ValueFormat, "json")
	}
}

func applyVaultDefaults(v *VaultSink) {
	setDefault(&v.KVVersion, 2)
	setDefault(&v.Mount, "secret")
	if v.CAS == nil {
		cas := v.KVVersion == 2
		v.CAS = &cas
	}
	setDefault(&v.Auth.Method, "token")
	switch v.Auth.Method {
	case "token":
		if v.Auth.TokenEnv == "" && v.Auth.TokenFile == "" {
			v.Auth.TokenEnv = DefaultVaultTokenEnv
		}
	case "approle":
		setDefault(&v.Auth.AppRoleMount, "approle")
	}
}

// setDefault sets *field to value when it holds the zero value.
func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// Policy returns the policy with the given name.
func (c *Config) Policy(name string) (*Policy, bool) {
	for i := range c.Policies {
		if c.Policies[i].Name == name {
			return &c.Policies[i], true
		}
	}
	return nil, false
}
