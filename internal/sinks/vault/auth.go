package vault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/approle"

	"github.com/rotatord/rotatord/internal/policy"
)

// Auth methods.
const (
	AuthToken   = "token"
	AuthAppRole = "approle"
)

// defaultTokenEnv is read when the token method names neither a variable
// nor a file, as the Vault CLI does.
const defaultTokenEnv = "VAULT_TOKEN"

// authenticator gives the client a Vault token and returns the secret that
// describes it: its TTL and whether it is renewable.
type authenticator interface {
	login(ctx context.Context, client *api.Client) (*api.Secret, error)
}

func newAuthenticator(cfg policy.VaultAuth) (authenticator, error) {
	switch cfg.Method {
	case "", AuthToken:
		if cfg.TokenEnv != "" && cfg.TokenFile != "" {
			return nil, errors.New("auth: set tokenEnv or tokenFile, not both")
		}
		if cfg.TokenEnv == "" && cfg.TokenFile == "" {
			cfg.TokenEnv = defaultTokenEnv
		}
		return tokenAuth{env: cfg.TokenEnv, file: cfg.TokenFile}, nil
	case AuthAppRole:
		return newAppRoleAuth(cfg)
	default:
		return nil, fmt.Errorf("auth: method %q is invalid: use token or approle", cfg.Method)
	}
}

// tokenAuth reads a token from an environment variable or a file. It reads
// the source again on every login, so a token that an agent rewrites in
// the file is picked up once the old one cannot be renewed.
type tokenAuth struct {
	env  string
	file string
}

func (a tokenAuth) login(ctx context.Context, client *api.Client) (*api.Secret, error) {
	token, err := a.read()
	if err != nil {
		return nil, err
	}
	client.SetToken(token)

	self, err := client.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up vault token from %s: %w", a.source(), err)
	}
	return tokenSecret(token, self)
}

func (a tokenAuth) source() string {
	if a.file != "" {
		return "file " + a.file
	}
	return "environment variable " + a.env
}

func (a tokenAuth) read() (string, error) {
	var token string
	if a.file != "" {
		data, err := os.ReadFile(a.file)
		if err != nil {
			return "", fmt.Errorf("read vault token: %w", err)
		}
		token = strings.TrimSpace(string(data))
	} else {
		token = strings.TrimSpace(os.Getenv(a.env))
	}
	if token == "" {
		return "", fmt.Errorf("read vault token: %s is empty or unset", a.source())
	}
	return token, nil
}

// tokenSecret turns a lookup-self response into the auth secret that
// api.LifetimeWatcher renews.
func tokenSecret(token string, self *api.Secret) (*api.Secret, error) {
	ttl, err := self.TokenTTL()
	if err != nil {
		return nil, fmt.Errorf("parse vault token TTL: %w", err)
	}
	renewable, err := self.TokenIsRenewable()
	if err != nil {
		return nil, fmt.Errorf("parse vault token renewable flag: %w", err)
	}
	return &api.Secret{Auth: &api.SecretAuth{
		ClientToken:   token,
		Renewable:     renewable,
		LeaseDuration: int(ttl.Seconds()),
	}}, nil
}

// appRoleAuth logs in with a role ID and a secret ID read from an
// environment variable or a file at each login.
type appRoleAuth struct {
	method *approle.AppRoleAuth
	mount  string
}

func newAppRoleAuth(cfg policy.VaultAuth) (authenticator, error) {
	if cfg.RoleID == "" {
		return nil, errors.New("auth: roleId is missing for the approle method")
	}
	if (cfg.SecretIDEnv == "") == (cfg.SecretIDFile == "") {
		return nil, errors.New("auth: set exactly one of secretIdEnv and secretIdFile for the approle method")
	}
	mount := cfg.AppRoleMount
	if mount == "" {
		mount = "approle"
	}

	method, err := approle.NewAppRoleAuth(cfg.RoleID,
		&approle.SecretID{FromEnv: cfg.SecretIDEnv, FromFile: cfg.SecretIDFile},
		approle.WithMountPath(mount))
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return appRoleAuth{method: method, mount: mount}, nil
}

// login logs in on a clone of client without a token, so requests in
// flight keep the old token until the new one is set.
func (a appRoleAuth) login(ctx context.Context, client *api.Client) (*api.Secret, error) {
	loginClient, err := client.Clone()
	if err != nil {
		return nil, fmt.Errorf("log in at auth/%s/login: %w", a.mount, err)
	}
	loginClient.ClearToken()
	if ns := client.Namespace(); ns != "" {
		loginClient.SetNamespace(ns)
	}

	s, err := loginClient.Auth().Login(ctx, a.method)
	if err != nil {
		return nil, fmt.Errorf("log in at auth/%s/login: %w", a.mount, err)
	}
	if s == nil || s.Auth == nil {
		return nil, fmt.Errorf("log in at auth/%s/login: response has no auth data", a.mount)
	}
	client.SetToken(s.Auth.ClientToken)
	return s, nil
}
