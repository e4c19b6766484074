package emulator

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFaultReturnsStatusWithoutRunning(t *testing.T) {
	h := newHarness(t, 0)
	h.emu.SetFault(OpCreateDatabaseToken, Fault{Status: http.StatusServiceUnavailable, Times: 1})

	h.mgmt(http.MethodPost, "/tokens", `{"description":"d"}`).requireError(t, http.StatusServiceUnavailable)
	require.Empty(t, h.emu.Tokens())

	require.Equal(t, http.StatusOK, h.mgmt(http.MethodPost, "/tokens", `{"description":"d"}`).status)
	require.Len(t, h.emu.Tokens(), 1)
	require.Equal(t, 2, h.emu.Requests(OpCreateDatabaseToken))
}

func TestFaultDefaultsTo500(t *testing.T) {
	h := newHarness(t, 0)
	h.emu.SetFault(OpGetDatabaseTokens, Fault{ErrorRate: 1})
	for range 3 {
		h.mgmt(http.MethodGet, "/tokens", "").requireError(t, http.StatusInternalServerError)
	}
}

func TestFaultTimesLimitsUses(t *testing.T) {
	h := newHarness(t, 0)
	h.emu.SetFault(OpGetClusterDatabases, Fault{Status: http.StatusBadGateway, Times: 2})
	h.mgmt(http.MethodGet, "/databases", "").requireError(t, http.StatusBadGateway)
	h.mgmt(http.MethodGet, "/databases", "").requireError(t, http.StatusBadGateway)
	require.Equal(t, http.StatusOK, h.mgmt(http.MethodGet, "/databases", "").status)
}

func TestFaultErrorRateFailsSome(t *testing.T) {
	h := newHarness(t, 0)
	h.emu.SetFault(OpPing, Fault{ErrorRate: 0.5})
	failed := 0
	const requests = 200
	for range requests {
		if h.send(http.MethodGet, h.srv.DataPlaneURL()+"/ping", "", "").status == http.StatusInternalServerError {
			failed++
		}
	}
	// The chance that all or none of 200 requests fail is 2^-199.
	require.Positive(t, failed)
	require.Less(t, failed, requests)
}

func TestFaultClearing(t *testing.T) {
	h := newHarness(t, 0)
	ping := h.srv.DataPlaneURL() + "/ping"
	fail := Fault{Status: http.StatusTeapot}

	h.emu.SetFault(OpPing, fail)
	require.Equal(t, http.StatusTeapot, h.send(http.MethodGet, ping, "", "").status)
	h.emu.SetFault(OpPing, Fault{})
	require.Equal(t, http.StatusNoContent, h.send(http.MethodGet, ping, "", "").status)

	h.emu.SetFault(OpPing, fail)
	h.emu.SetFault("", fail)
	require.Equal(t, http.StatusNoContent, h.send(http.MethodGet, ping, "", "").status)

	h.emu.SetFault(OpPing, fail)
	h.emu.ClearFaults()
	require.Equal(t, http.StatusNoContent, h.send(http.MethodGet, ping, "", "").status)
}

func TestFaultLatencyWaitsOnClock(t *testing.T) {
	h := newHarness(t, 0)
	h.emu.SetFault(OpGetDatabaseTokens, Fault{Latency: time.Minute})

	done := make(chan response, 1)
	go func() { done <- h.mgmt(http.MethodGet, "/tokens", "") }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, h.clock.BlockUntil(ctx, 1))
	select {
	case resp := <-done:
		t.Fatalf("request finished before the clock moved: %d", resp.status)
	default:
	}

	h.clock.Advance(time.Minute)
	resp := <-done
	require.Equal(t, http.StatusOK, resp.status)
}

func TestFaultLoseResponseAppliesOperation(t *testing.T) {
	h := newHarness(t, 0)
	h.emu.SetFault(OpCreateDatabaseToken, Fault{LoseResponse: true, Times: 1})

	req, err := http.NewRequest(http.MethodPost, h.scope+"/tokens", strings.NewReader(`{"description":"lost"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+DefaultManagementToken)
	resp, err := http.DefaultClient.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err)

	tokens := h.emu.Tokens()
	require.Len(t, tokens, 1)
	require.Equal(t, "lost", tokens[0].Description)

	list := h.mgmt(http.MethodGet, "/tokens", "")
	require.Equal(t, http.StatusOK, list.status)
	require.Contains(t, string(list.body), tokens[0].ID)
}

func TestFaultLoseResponseOnDelete(t *testing.T) {
	h := newHarness(t, 0)
	id, _ := h.createToken(`{"description":"d"}`)
	h.emu.SetFault(OpDeleteDatabaseToken, Fault{LoseResponse: true})

	req, err := http.NewRequest(http.MethodDelete, h.scope+"/tokens/"+id, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+DefaultManagementToken)
	resp, err := http.DefaultClient.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	require.Empty(t, h.emu.Tokens())
}
