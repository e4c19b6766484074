package main

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/testenv"
)

func TestSyncErrorLogIsRateLimited(t *testing.T) {
	var out testenv.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	down := errors.New("read vault:secret/app: connection refused")
	var last error
	repeats := 0

	for range 2*syncErrorEvery + 1 {
		repeats = logSyncError(logger, down, last, repeats)
		last = down
	}
	logSyncError(logger, nil, last, repeats)

	require.Equal(t, 3, strings.Count(out.String(), "sync failed"))
	require.Equal(t, 1, strings.Count(out.String(), "sync recovered"))
}
