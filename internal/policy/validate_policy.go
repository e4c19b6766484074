package policy

import (
	"cmp"
	"fmt"
	"regexp"
	"time"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// policyNamePattern keeps policy names safe as file and lock names.
var policyNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// minRetention is the retention period below which a database most likely
// has a unit mistake, such as 30s written for 30d.
const minRetention = time.Hour

func validatePolicies(policies []Policy, defaults Defaults, ps *problems) {
	names := map[string]string{}
	sinks := map[string]string{}
	for i := range policies {
		p := &policies[i]
		path := fmt.Sprintf("policies[%d]", i)
		validatePolicyName(p.Name, path, names, ps)
		validateToken(p, path, ps)
		validateTiming(p, defaults, path, ps)
		validateDatabases(p.Databases, path, ps)
		validateSinks(p.Sinks, path, sinks, ps)
	}
}

func validatePolicyName(name, path string, seen map[string]string, ps *problems) {
	switch {
	case name == "":
		ps.add(path+".name", "required")
	case !policyNamePattern.MatchString(name):
		ps.add(path+".name", "%q is not a valid policy name; use 1 to 63 lowercase letters, digits, "+
			"'.', '_' or '-', starting with a letter or digit", name)
	case seen[name] != "":
		ps.add(path+".name", "%q is already used by %s; policy names must be unique", name, seen[name])
	default:
		seen[name] = path
	}
}

func validateToken(p *Policy, path string, ps *problems) {
	t := p.Token
	switch {
	case t.ID == "" && t.Description == "":
		ps.add(path+".token", "set id (to rotate an existing token) or description (to create one)")
	case t.ID != "" && t.Description != "":
		ps.add(path+".token", "set id or description, not both")
	case t.ID != "" && !uuidPattern.MatchString(t.ID):
		ps.add(path+".token.id", "%q is not a UUID", t.ID)
	}

	if t.ID == "" && t.Description != "" && len(p.Permissions) == 0 {
		ps.add(path+".permissions", "required when the token is given by description, "+
			"because rotatord creates it with these permissions")
	}
	for j, perm := range p.Permissions {
		ppath := fmt.Sprintf("%s.permissions[%d]", path, j)
		if perm.Action != mgmt.ActionRead && perm.Action != mgmt.ActionWrite {
			ps.add(ppath+".action", "%q is not read or write", perm.Action)
		}
		if perm.Resource != mgmt.AllDatabases && !databaseNamePattern.MatchString(perm.Resource) {
			ps.add(ppath+".resource", "%q is not a database name or \"*\" for all databases", perm.Resource)
		}
	}
}

// validateTiming checks the timing a policy sets itself; 0 inherits the
// defaults section, which is checked on its own.
func validateTiming(p *Policy, d Defaults, path string, ps *problems) {
	for _, w := range []struct {
		key string
		d   time.Duration
	}{{"grace", p.Grace}, {"propagationTimeout", p.PropagationTimeout}, {"propagationWait", p.PropagationWait}} {
		nonNegative(ps, path+"."+w.key, w.d)
		atMostMaxWait(ps, path+"."+w.key, w.d)
	}
	nonNegative(ps, path+".maxAge", p.MaxAge)
	nonNegative(ps, path+".expiryMargin", p.ExpiryMargin)
	nonNegative(ps, path+".minInterval", p.MinInterval)
	nonNegative(ps, path+".jitter", p.Jitter)
	nonNegative(ps, path+".syncInterval", p.SyncInterval)
	if p.MaxFailures < 0 {
		ps.add(path+".maxFailures", "%d is negative", p.MaxFailures)
	}

	nonNegative(ps, path+".lifetime", p.Lifetime)
	grace, timeout := cmp.Or(p.Grace, d.Grace), cmp.Or(p.PropagationTimeout, d.PropagationTimeout)
	if least := grace + timeout; p.Lifetime > 0 && p.Lifetime <= least {
		ps.add(path+".lifetime", "%s is not longer than grace + propagationTimeout (%s), "+
			"so the token could expire during its own rotation; raise it above %s", p.Lifetime, least, least)
	}

	if p.SyncInterval > 0 && grace <= p.SyncInterval {
		ps.warn(path+".grace", "%s does not exceed syncInterval %s, so a sidecar may still serve the old "+
			"token when it is deleted; raise grace above %s", grace, p.SyncInterval, p.SyncInterval)
	}

	if p.Schedule != "" {
		if _, err := ParseSchedule(p.Schedule); err != nil {
			ps.add(path+".schedule", "%s", err.Error())
		}
	}
}
