package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rotatord/rotatord/internal/secret"
)

// credentialName is the systemd credential that holds the management token
// (LoadCredential=management-token:/path in the unit).
const credentialName = "management-token"

// ReadManagementToken reads the Management API token: from the environment
// variable named by managementToken.env, or from the file named by
// managementToken.file. When the variable is unset or empty, a systemd
// credential $CREDENTIALS_DIRECTORY/management-token is used if present.
// Files must not be readable or writable by group or others.
func (c Cluster) ReadManagementToken(getenv func(string) string) (secret.Token, error) {
	mt := c.ManagementToken
	if mt.File != "" {
		return readTokenFile(mt.File)
	}

	name := mt.Env
	if name == "" {
		name = DefaultManagementTokenEnv
	}
	if value := strings.TrimSpace(getenv(name)); value != "" {
		return secret.NewToken(value), nil
	}

	if dir := getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		path := filepath.Join(dir, credentialName)
		if _, err := os.Stat(path); err == nil {
			return readTokenFile(path)
		}
	}
	return secret.Token{}, fmt.Errorf("read management token: environment variable %s is not set; "+
		"set it, set cluster.managementToken.file, or pass a systemd credential named %s", name, credentialName)
}

// readTokenFile reads a token from a file that only its owner can access,
// with any trailing newline removed.
func readTokenFile(path string) (secret.Token, error) {
	info, err := os.Stat(path)
	if err != nil {
		return secret.Token{}, fmt.Errorf("read management token: %w", err)
	}
	if mode := info.Mode().Perm(); mode&0o077 != 0 {
		return secret.Token{}, fmt.Errorf("read management token: %s has mode %04o, which lets group or others "+
			"access it; run chmod 600 %s", path, mode, path)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		return secret.Token{}, fmt.Errorf("read management token: %w", err)
	}
	value := strings.TrimRight(string(data), "\r\n")
	if strings.TrimSpace(value) == "" {
		return secret.Token{}, fmt.Errorf("read management token: %s is empty", path)
	}
	return secret.NewToken(value), nil
}
