package emulator

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/rotatord/rotatord/internal/clock"
)

// Operation names for Requests and SetFault: the Management API's
// operationIds, and three names for the data plane.
const (
	OpGetClusterDatabases          = "GetClusterDatabases"
	OpCreateClusterDatabase        = "CreateClusterDatabase"
	OpUpdateClusterDatabase        = "UpdateClusterDatabase"
	OpDeleteClusterDatabase        = "DeleteClusterDatabase"
	OpRenameClusterDatabase        = "RenameClusterDatabase"
	OpUndeleteClusterDatabase      = "UndeleteClusterDatabase"
	OpCreateClusterDatabaseTable   = "CreateClusterDatabaseTable"
	OpDeleteClusterDatabaseTable   = "DeleteClusterDatabaseTable"
	OpRenameClusterDatabaseTable   = "RenameClusterDatabaseTable"
	OpUndeleteClusterDatabaseTable = "UndeleteClusterDatabaseTable"
	OpGetDatabaseTokens            = "GetDatabaseTokens"
	OpCreateDatabaseToken          = "CreateDatabaseToken"
	OpGetDatabaseToken             = "GetDatabaseToken"
	OpUpdateDatabaseToken          = "UpdateDatabaseToken"
	OpDeleteDatabaseToken          = "DeleteDatabaseToken"

	OpPing  = "Ping"
	OpQuery = "Query"
	OpWrite = "Write"
)

// Fault is a misbehaviour injected into one operation. Its effects apply in
// order: Latency, then the error, then LoseResponse.
type Fault struct {
	// Latency delays each request on the emulator's clock, so a fake clock
	// must be advanced past it.
	Latency time.Duration
	// ErrorRate is the fraction of requests, from 0 to 1, that fail with
	// Status without running the operation. When Status is set and
	// ErrorRate is 0, every request fails.
	ErrorRate float64
	// Status is the HTTP status of an injected error, 500 when zero.
	Status int
	// LoseResponse runs the operation, then closes the connection without
	// a response, so the client cannot tell whether the operation happened.
	LoseResponse bool
	// Times is how many requests the fault affects before it clears
	// itself; 0 means every request until cleared.
	Times int
}

type faultState struct {
	fault     Fault
	remaining int
}

// SetFault injects f into the operation named by its operationId, or by
// OpPing, OpQuery or OpWrite. A zero Fault clears the operation's fault,
// and an empty operation clears every fault.
func (e *Emulator) SetFault(operation string, f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case operation == "":
		e.faults = map[string]*faultState{}
	case f == Fault{}:
		delete(e.faults, operation)
	default:
		e.faults[operation] = &faultState{fault: f, remaining: f.Times}
	}
}

// ClearFaults removes every injected fault.
func (e *Emulator) ClearFaults() { e.SetFault("", Fault{}) }

// takeFault returns the fault for one request of the operation and counts
// the use against Times.
func (e *Emulator) takeFault(operation string) Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	state := e.faults[operation]
	if state == nil {
		return Fault{}
	}
	if state.fault.Times > 0 {
		state.remaining--
		if state.remaining <= 0 {
			delete(e.faults, operation)
		}
	}
	return state.fault
}

// applyFault waits out the latency and returns the injected error, if any.
func (e *Emulator) applyFault(ctx context.Context, f Fault) error {
	if f.Latency > 0 {
		if err := clock.Sleep(ctx, e.cfg.Clock, f.Latency); err != nil {
			return newError(http.StatusServiceUnavailable,
				"request ended during injected latency: %v", err)
		}
	}
	if f.Status == 0 && f.ErrorRate <= 0 {
		return nil
	}
	rate := f.ErrorRate
	if rate <= 0 {
		rate = 1
	}
	if rand.Float64() >= rate {
		return nil
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return newError(status, "injected fault")
}

// dropConnection closes the client's connection without writing a
// response. Where the connection cannot be taken over, as on HTTP/2, the
// handler aborts, which resets the stream.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
