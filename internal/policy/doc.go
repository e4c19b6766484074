// Package policy loads, defaults and validates the rotatord configuration:
// the cluster to talk to, the rotation policies and their sinks.
//
// A configuration is read from YAML through koanf, overridden by ROTATORD_
// environment variables, filled with defaults and then validated as a
// whole. Validation reports every problem at once, each with the path of
// the offending value, so an operator can fix a file in one pass.
package policy
