package testenv

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKumoListensOnLoopback(t *testing.T) {
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, Kumo(t))
}

func TestKumoIsShared(t *testing.T) {
	require.Equal(t, Kumo(t), Kumo(t))
}

func TestKumoAnswersHealth(t *testing.T) {
	resp, err := http.Get(Kumo(t) + "/health")
	require.NoError(t, err)
	resp.Body.Close()

	require.Equal(t, http.StatusOK, resp.StatusCode)
}
