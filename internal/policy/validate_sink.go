package policy

import (
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
)

// envNamePattern is a portable shell variable name.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validateSinks checks the sinks of one policy. seen maps each sink's
// target to the path of the first sink that writes it, across policies,
// because two sinks writing one secret would overwrite each other.
func validateSinks(sinks []Sink, path string, seen map[string]string, ps *problems) {
	if len(sinks) == 0 {
		ps.add(path+".sinks", "at least one sink is required, or the new token would be lost")
		return
	}
	for i := range sinks {
		s := &sinks[i]
		spath := fmt.Sprintf("%s.sinks[%d]", path, i)
		switch s.Type {
		case SinkFile:
			validateFileSink(s.File, spath, ps)
		case SinkVault:
			validateVaultSink(s.Vault, spath, ps)
		case SinkAWSSM:
			validateAWSSMSink(s.AWSSM, spath, ps)
		case "":
			ps.add(spath+".type", "required; use file, vault or awssm")
			continue
		default:
			ps.add(spath+".type", "%q is not file, vault or awssm", s.Type)
			continue
		}
		validateSinkKeys(s, spath, ps)

		target := sinkTarget(s)
		if first, dup := seen[target]; dup && target != "" {
			ps.add(spath, "writes the same secret as %s; give each sink its own target", first)
		} else if target != "" {
			seen[target] = spath
		}
	}
}

func validateFileSink(f FileSink, path string, ps *problems) {
	switch {
	case f.Path == "":
		ps.add(path+".path", "required")
	case !filepath.IsAbs(f.Path):
		ps.add(path+".path", "%q is not an absolute path", f.Path)
	}
	oneOf(ps, path+".format", f.Format, "raw", "json", "env")
	if f.EnvKey != "" && !envNamePattern.MatchString(f.EnvKey) {
		ps.add(path+".envKey", "%q is not a valid shell variable name", f.EnvKey)
	}
}

func validateVaultSink(v VaultSink, path string, ps *problems) {
	requireURL(ps, path+".address", v.Address)
	if strings.Trim(v.Mount, "/") == "" {
		ps.add(path+".mount", "required")
	}
	if strings.Trim(v.SecretPath, "/") == "" {
		ps.add(path+".secretPath", "required; the path of the secret inside the mount")
	}
	if v.KVVersion != 1 && v.KVVersion != 2 {
		ps.add(path+".kvVersion", "%d is not 1 or 2", v.KVVersion)
	}
	if v.CAS != nil && *v.CAS && v.KVVersion == 1 {
		ps.add(path+".cas", "check-and-set needs KV version 2; set cas: false or kvVersion: 2")
	}
	validateVaultAuth(v.Auth, path+".auth", ps)
}

func validateVaultAuth(a VaultAuth, path string, ps *problems) {
	switch a.Method {
	case "token":
		exactlyOne(ps, path, "tokenEnv", a.TokenEnv, "tokenFile", a.TokenFile)
	case "approle":
		if a.RoleID == "" {
			ps.add(path+".roleId", "required for approle")
		}
		exactlyOne(ps, path, "secretIdEnv", a.SecretIDEnv, "secretIdFile", a.SecretIDFile)
	default:
		ps.add(path+".method", "%q is not token or approle", a.Method)
	}
}

// exactlyOne checks that one of an env/file pair is set, and that an env
// name is valid and a file path absolute.
func exactlyOne(ps *problems, path, envKey, env, fileKey, file string) {
	switch {
	case env == "" && file == "":
		ps.add(path, "set %s or %s", envKey, fileKey)
	case env != "" && file != "":
		ps.add(path, "%s and %s are both set; keep one of them", envKey, fileKey)
	case env != "" && !envNamePattern.MatchString(env):
		ps.add(path+"."+envKey, "%s", hiddenEnvProblem("VAULT_TOKEN"))
	case file != "" && !filepath.IsAbs(file):
		ps.add(path+"."+fileKey, "%s", hiddenPathProblem)
	}
}

func validateAWSSMSink(a AWSSMSink, path string, ps *problems) {
	if a.SecretID == "" {
		ps.add(path+".secretId", "required; the name or ARN of the secret")
	}
	if a.Endpoint != "" {
		checkURL(ps, path+".endpoint", a.Endpoint)
	}
	oneOf(ps, path+".valueFormat", a.ValueFormat, "json", "raw")
}

// sinkTarget identifies what a sink writes, so two sinks with the same
// target can be found.
func sinkTarget(s *Sink) string {
	switch s.Type {
	case SinkFile:
		if s.File.Path == "" {
			return ""
		}
		return "file|" + filepath.Clean(s.File.Path)
	case SinkVault:
		v := s.Vault
		return strings.Join([]string{"vault", strings.TrimRight(v.Address, "/"), v.Namespace,
			strings.Trim(v.Mount, "/"), strings.Trim(v.SecretPath, "/")}, "|")
	case SinkAWSSM:
		a := s.AWSSM
		if a.SecretID == "" {
			return ""
		}
		return strings.Join([]string{"awssm", a.Endpoint, a.Region, a.SecretID}, "|")
	}
	return ""
}

// validateSinkKeys rejects settings of another sink type, such as an
// address on a file sink. The sink types share one YAML mapping, so such a
// key decodes without error but would be silently ignored.
func validateSinkKeys(s *Sink, path string, ps *problems) {
	sections := []struct {
		typ   string
		value any
	}{{SinkFile, s.File}, {SinkVault, s.Vault}, {SinkAWSSM, s.AWSSM}}

	for _, section := range sections {
		if section.typ == s.Type {
			continue
		}
		v := reflect.ValueOf(section.value)
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				continue
			}
			key := keyName(v.Type().Field(i))
			ps.add(path+"."+key, "is a %s setting and has no effect on a %s sink", section.typ, s.Type)
		}
	}
}
