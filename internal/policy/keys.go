package policy

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// secretKeys are key names that suggest a secret value was written into
// the file. They are compared in lowercase.
var secretKeys = map[string]bool{
	"token":           true,
	"secretid":        true,
	"secret":          true,
	"password":        true,
	"accesstoken":     true,
	"managementtoken": true,
	"vaulttoken":      true,
}

// unknownKey records a key that struct type parent does not have. Keys that
// look like a secret get a message that points to the env or file form.
func (ps *problems) unknownKey(path, key string, parent reflect.Type) {
	var names []string
	for _, f := range schemaFields(parent) {
		names = append(names, f.name)
	}

	if secretKeys[strings.ToLower(key)] {
		ps.add(path, "%s", secretKeyMessage(key, names))
		return
	}
	if s := suggest(key, names); s != "" {
		ps.add(path, "unknown key (did you mean %q?)", s)
		return
	}
	ps.add(path, "unknown key")
}

// secretKeyMessage explains why a secret-looking key is rejected and names
// the keys that read the secret from elsewhere.
func secretKeyMessage(key string, names []string) string {
	const msg = "secrets must not be written in the configuration file"
	env, file := key+"Env", key+"File"
	if slices.Contains(names, env) && slices.Contains(names, file) {
		return fmt.Sprintf("%s; name an environment variable with %s or a file with %s", msg, env, file)
	}
	return msg + "; read it from an environment variable or a file (see the env and file keys)"
}

// suggest returns the known name closest to an unknown key, or "" when
// none is close enough to be a likely typo.
func suggest(key string, names []string) string {
	lower := strings.ToLower(key)
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return n
		}
	}

	best, bestDist := "", len(key)/3+1
	for _, n := range names {
		ln := strings.ToLower(n)
		if len(ln) >= 4 && (strings.HasPrefix(lower, ln) || strings.HasPrefix(ln, lower)) {
			return n
		}
		if d := editDistance(lower, ln); d <= bestDist && d < len(ln) {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
