package policy

import (
	"fmt"
	"slices"
	"strings"
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
	ps.list = append(ps.list, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
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
