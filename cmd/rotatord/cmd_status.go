package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/rotatord/rotatord/internal/rotate"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/server"
)

// offlineTools builds the engine and a scheduler seeded from it, which
// never runs, for status and plan when no daemon responds.
func offlineTools(configPath string, stderr io.Writer) (*rotate.Engine, *schedule.Scheduler,
	error) {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return nil, nil, err
	}
	logger := newLogger(stderr, cfg.Log.Format, "warn")
	engine, err := newEngine(cfg, engineSetup{logger: logger, stderr: stderr})
	if err != nil {
		return nil, nil, err
	}
	sched, err := schedule.New(schedule.Options{Engine: engine, Policies: cfg.Policies,
		Logger: logger})
	if err != nil {
		engine.Close()
		return nil, nil, usageError{err}
	}
	return engine, sched, nil
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("status", "status [--config FILE] [--url URL] [--output text|json]", stdout)
	configPath := fs.String("config", configFlagDefault(),
		"configuration file (env ROTATORD_CONFIG)")
	url := fs.String("url", "",
		"status URL of a running daemon (default: http://LISTEN/status from the config)")
	output := fs.String("output", "text", "output format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *output != "text" && *output != "json" {
		return usageErrorf("status: --output %q is not supported; use text or json", *output)
	}
	statuses, source, err := readStatus(ctx, *configPath, *url, stderr)
	if err != nil {
		return err
	}
	if *output == "json" {
		return writeJSON(stdout, statuses)
	}
	fmt.Fprintf(stdout, "status from %s\n", source)
	for _, st := range statuses {
		printStatus(stdout, st)
	}
	return nil
}

// readStatus requests the status from the running daemon, and computes it
// from the state directory and the sinks when none responds.
func readStatus(ctx context.Context, configPath, url string,
	stderr io.Writer) ([]server.PolicyStatus, string, error) {
	if url == "" {
		if cfg, err := loadConfig(configPath); err == nil {
			url = "http://" + cfg.Listen + "/status"
		}
	}
	if url != "" {
		var statuses []server.PolicyStatus
		if err := getJSON(ctx, url, &statuses); err == nil {
			return statuses, "the running daemon at " + url, nil
		}
	}
	engine, sched, err := offlineTools(configPath, stderr)
	if err != nil {
		return nil, "", err
	}
	defer engine.Close()
	sched.Seed(ctx)
	now := time.Now()
	return server.Merge(now, engine.Status(ctx),
		sched.Due()), "the state directory and sinks (no daemon answered)", nil
}

func getJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: status %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func printStatus(w io.Writer, st server.PolicyStatus) {
	fmt.Fprintf(w, "policy %s\n", st.Policy)
	fmt.Fprintf(w, "  current token:   %s\n", orNone(st.CurrentTokenID))
	if st.TokenCreatedAt != nil {
		fmt.Fprintf(w, "  token age:       %s\n", time.Since(*st.TokenCreatedAt).Round(time.Second))
	}
	if st.TokenExpiresAt != nil {
		fmt.Fprintf(w, "  token expires:   %s\n", st.TokenExpiresAt.Format(time.RFC3339))
	}
	if st.LastRotation != nil {
		fmt.Fprintf(w, "  last rotation:   %s (%s)\n", st.LastRotation.Format(time.RFC3339),
			st.LastResult)
	}
	if st.LastError != "" {
		fmt.Fprintf(w, "  last error:      %s\n", st.LastError)
	}
	if st.NextRotation != nil {
		fmt.Fprintf(w, "  next rotation:   %s (%s)\n", st.NextRotation.Format(time.RFC3339),
			st.NextReason)
	}
	if st.Step != "" {
		fmt.Fprintf(w, "  step:            %s\n", st.Step)
	}
	if st.NeedsAttention {
		fmt.Fprintf(w, "  NEEDS ATTENTION: %d failed attempts in a row\n", st.ConsecutiveFailures)
	}
	for _, s := range st.Sinks {
		line := "current " + orNone(s.CurrentTokenID)
		if s.PendingTokenID != "" {
			line += ", pending " + s.PendingTokenID
		}
		if s.Error != "" {
			line = "error: " + s.Error
		}
		fmt.Fprintf(w, "  sink %s: %s\n", s.ID, line)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// planView is one policy's entry in the output of plan.
type planView struct {
	rotate.PlanItem
	NextRotation *time.Time `json:"nextRotation,omitempty"`
	NextReason   string     `json:"nextReason,omitempty"`
}

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plan", "plan [--config FILE] [--output text|json]", stdout)
	configPath := fs.String("config", configFlagDefault(),
		"configuration file (env ROTATORD_CONFIG)")
	output := fs.String("output", "text", "output format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *output != "text" && *output != "json" {
		return usageErrorf("plan: --output %q is not supported; use text or json", *output)
	}
	engine, sched, err := offlineTools(*configPath, stderr)
	if err != nil {
		return err
	}
	defer engine.Close()
	sched.Seed(ctx)
	items, err := engine.Plan(ctx)
	if err != nil {
		return err
	}
	views := planViews(items, sched.Due())
	if *output == "json" {
		return writeJSON(stdout, views)
	}
	for _, v := range views {
		printPlan(stdout, v)
	}
	return nil
}

func planViews(items []rotate.PlanItem, due []schedule.Due) []planView {
	byName := map[string]schedule.Due{}
	for _, d := range due {
		byName[d.Policy] = d
	}
	views := make([]planView, len(items))
	for i, item := range items {
		views[i] = planView{PlanItem: item}
		if d, ok := byName[item.Policy]; ok && !d.At.IsZero() {
			at := d.At
			views[i].NextRotation, views[i].NextReason = &at, d.Reason
		}
	}
	return views
}

func printPlan(w io.Writer, v planView) {
	when := "not scheduled; only on demand"
	if v.NextRotation != nil {
		when = fmt.Sprintf("%s (%s)", v.NextRotation.Format(time.RFC3339), v.NextReason)
	}
	fmt.Fprintf(w, "policy %s: next rotation %s\n", v.Policy, when)
	if v.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", v.Error)
	}
	for _, a := range v.Actions {
		fmt.Fprintf(w, "  - %s\n", a)
	}
}

func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", "healthcheck [--url URL | --file PATH] [--ready]", stdout)
	url := fs.String("url", "",
		"health URL to probe (default: http://127.0.0.1:9464, or $ROTATORD_LISTEN)")
	ready := fs.Bool("ready", false, "probe /readyz instead of /healthz")
	path := fs.String("file", "",
		"succeed once this file exists and is not empty, for sync sidecars")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path != "" {
		info, err := os.Stat(*path)
		if err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
		if info.Size() == 0 {
			return fmt.Errorf("healthcheck: %s is empty", *path)
		}
		return nil
	}
	target := *url
	if target == "" {
		target = "http://" + cmp.Or(os.Getenv("ROTATORD_LISTEN"), server.DefaultAddr)
		if *ready {
			target += "/readyz"
		} else {
			target += "/healthz"
		}
	}
	return server.Probe(ctx, target)
}
