package policy

import (
	"time"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// Config is a whole rotatord configuration file after defaults are applied.
type Config struct {
	Cluster     Cluster   `koanf:"cluster"`
	StateDir    string    `koanf:"stateDir"`
	Concurrency int       `koanf:"concurrency"`
	Log         Log       `koanf:"log"`
	Listen      string    `koanf:"listen"`
	Defaults    Defaults  `koanf:"defaults"`
	Policies    []Policy  `koanf:"policies"`
	Warnings    []string  `koanf:"-"`
	Source      string    `koanf:"-"`
	Loaded      time.Time `koanf:"-"`
}

// Cluster identifies the cluster the policies rotate tokens on, with the
// URLs of its Management API and data plane.
type Cluster struct {
	AccountID       string          `koanf:"accountId"`
	ClusterID       string          `koanf:"clusterId"`
	ManagementURL   string          `koanf:"managementURL"`
	DataPlaneURL    string          `koanf:"dataPlaneURL"`
	ManagementToken ManagementToken `koanf:"managementToken"`
	RequestTimeout  time.Duration   `koanf:"requestTimeout"`
	// RateLimit is the maximum number of Management API requests per second.
	RateLimit  float64 `koanf:"rateLimit"`
	MaxRetries int     `koanf:"maxRetries"`
}

// ManagementToken names the source the management token is read from. The token
// itself never appears in the configuration file.
type ManagementToken struct {
	Env  string `koanf:"env"`
	File string `koanf:"file"`
}

// Log sets the log format ("auto", "text" or "json") and level.
type Log struct {
	Format string `koanf:"format"`
	Level  string `koanf:"level"`
}

// Defaults fill the timing fields a policy leaves empty.
type Defaults struct {
	Grace              time.Duration `koanf:"grace"`
	PropagationTimeout time.Duration `koanf:"propagationTimeout"`
	PropagationWait    time.Duration `koanf:"propagationWait"`
	MinInterval        time.Duration `koanf:"minInterval"`
}

// Policy is the rotation of one database token: what it replaces, where
// the secret goes and when.
type Policy struct {
	Name        string            `koanf:"name"`
	Token       TokenRef          `koanf:"token"`
	Permissions []mgmt.Permission `koanf:"permissions"`
	Databases   []Database        `koanf:"databases"`
	Sinks       []Sink            `koanf:"sinks"`

	// Grace is how long the old token stays valid after the new one works.
	Grace time.Duration `koanf:"grace"`
	// PropagationTimeout bounds the wait for the data plane to accept the
	// new token.
	PropagationTimeout time.Duration `koanf:"propagationTimeout"`
	// PropagationWait replaces the probe when no data-plane URL is set or
	// the token has no permissions to probe with.
	PropagationWait time.Duration `koanf:"propagationWait"`
	// Lifetime, if set, becomes the new token's expiresAt.
	Lifetime time.Duration `koanf:"lifetime"`

	// Schedule is a cron spec (five fields or a descriptor, optionally
	// prefixed with CRON_TZ=Zone).
	Schedule string `koanf:"schedule"`
	// MaxAge rotates the token once it is older than this.
	MaxAge time.Duration `koanf:"maxAge"`
	// ExpiryMargin rotates the token this long before its expiresAt.
	ExpiryMargin time.Duration `koanf:"expiryMargin"`
	// MinInterval is the least time between two rotations of the policy.
	MinInterval time.Duration `koanf:"minInterval"`
	// Jitter delays each scheduled rotation by a random time up to this.
	Jitter time.Duration `koanf:"jitter"`
	// MaxFailures is how many failed attempts in a row mark the policy as
	// needing attention.
	MaxFailures int `koanf:"maxFailures"`
	// SyncInterval is how often the policy's "rotatord sync" sidecars poll
	// the central sink. The grace window must exceed it, so every sidecar
	// copies the new secret before the old token is deleted.
	SyncInterval time.Duration `koanf:"syncInterval"`
}

// TokenRef names the token a policy rotates: by ID, or by description when
// the first token is to be created by rotatord.
type TokenRef struct {
	ID          string `koanf:"id"`
	Description string `koanf:"description"`
}

// Database is a database a policy needs, with the settings it must have.
type Database struct {
	Name               string               `koanf:"name"`
	MaxTables          int                  `koanf:"maxTables"`
	MaxColumnsPerTable int                  `koanf:"maxColumnsPerTable"`
	RetentionPeriod    time.Duration        `koanf:"retentionPeriod"`
	PartitionTemplate  []mgmt.PartitionPart `koanf:"partitionTemplate"`
	Tables             []Table              `koanf:"tables"`
}

// Table is a table to create in a database before any write, so it gets
// its own partition template.
type Table struct {
	Name              string               `koanf:"name"`
	PartitionTemplate []mgmt.PartitionPart `koanf:"partitionTemplate"`
}

// Sink types.
const (
	SinkFile  = "file"
	SinkVault = "vault"
	SinkAWSSM = "awssm"
)

// Sink is one place a policy's secret is stored. Type selects which of the
// type-specific sections applies.
type Sink struct {
	Type  string    `koanf:"type"`
	File  FileSink  `koanf:",squash"`
	Vault VaultSink `koanf:",squash"`
	AWSSM AWSSMSink `koanf:",squash"`
}

// FileSink writes the secret to a local file for a sidecar or an
// application to read.
type FileSink struct {
	Path string `koanf:"path"`
	// Format is "raw" (the bare token), "json" (token and metadata) or
	// "env" (a KEY=value line).
	Format string `koanf:"format"`
	EnvKey string `koanf:"envKey"`
}

// VaultSink writes the secret to a Vault KV secrets engine.
type VaultSink struct {
	Address   string `koanf:"address"`
	Namespace string `koanf:"namespace"`
	Mount     string `koanf:"mount"`
	// SecretPath is the secret's path inside the mount.
	SecretPath string    `koanf:"secretPath"`
	KVVersion  int       `koanf:"kvVersion"`
	CAS        *bool     `koanf:"cas"`
	Auth       VaultAuth `koanf:"auth"`
}

// VaultAuth is the Vault sink's login method: "token" (from TokenEnv or
// TokenFile) or "approle" (RoleID with a secret ID from SecretIDEnv or
// SecretIDFile).
type VaultAuth struct {
	Method       string `koanf:"method"`
	TokenEnv     string `koanf:"tokenEnv"`
	TokenFile    string `koanf:"tokenFile"`
	RoleID       string `koanf:"roleId"`
	SecretIDEnv  string `koanf:"secretIdEnv"`
	SecretIDFile string `koanf:"secretIdFile"`
	AppRoleMount string `koanf:"approleMount"`
}

// AWSSMSink writes the secret to AWS Secrets Manager with the standard
// AWSPENDING, AWSCURRENT and AWSPREVIOUS staging labels.
type AWSSMSink struct {
	SecretID string            `koanf:"secretId"`
	Region   string            `koanf:"region"`
	Endpoint string            `koanf:"endpoint"`
	KMSKeyID string            `koanf:"kmsKeyId"`
	Tags     map[string]string `koanf:"tags"`
	// ValueFormat is "json" (token and metadata) or "raw".
	ValueFormat string `koanf:"valueFormat"`
}
