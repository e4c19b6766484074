package policy

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Problem is one invalid value in a configuration.
type Problem struct {
	// Path locates the value, like "policies[1].sinks[0].path". It is
	// empty for problems with the file as a whole.
	Path string
	// Message explains what is wrong and how to fix it.
	Message string
}

// String returns the problem as "path: message".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ValidationError lists every problem found in a configuration.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	lines = append(lines, fmt.Sprintf("invalid configuration (%d problems):", len(e.Problems)))
	if len(e.Problems) == 1 {
		lines[0] = "invalid configuration (1 problem):"
	}
	for _, p := range e.Problems {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

// problems collects problems and warnings while a configuration is checked.
type problems struct {
	list     []Problem
	warnings []string
}

func (ps *problems) add(path, format string, args ...any) {
	ps.list = append(ps.list, Problem{Path: path, Message: truncate(fmt.Sprintf(format, args...))})
}

// maxMessage bounds a problem's message, which may quote a huge value.
const maxMessage = 300

func truncate(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	n := maxMessage
	for n > 0 && !utf8.RuneStart(msg[n]) {
		n--
	}
	return msg[:n] + fmt.Sprintf("... (%d bytes cut)", len(msg)-n)
}

// Messages for the fields that name where a secret is read from. They do
// not quote the value, because a secret pasted there by mistake would
// otherwise be printed.
const hiddenPathProblem = "is not an absolute path (the value is not shown, in case it is a secret); " +
	"give the absolute path of the file that holds the secret"

func hiddenEnvProblem(example string) string {
	return "is not a valid environment variable name (the value is not shown, in case it is a secret); " +
		"give the name of the variable that holds the secret, such as " + example
}

func (ps *problems) warn(path, format string, args ...any) {
	ps.warnings = append(ps.warnings, Problem{Path: path, Message: fmt.Sprintf(format, args...)}.String())
}

// covers reports whether path is at or below the path of a recorded
// problem.
func (ps *problems) covers(path string) bool {
	for _, p := range ps.list {
		if p.Path == "" {
			continue
		}
		if path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[") {
			return true
		}
	}
	return false
}

// err returns the problems sorted in configuration order, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sorted := slices.Clone(ps.list)
	slices.SortStableFunc(sorted, func(a, b Problem) int {
		return comparePaths(a.Path, b.Path)
	})
	return &ValidationError{Problems: sorted}
}
