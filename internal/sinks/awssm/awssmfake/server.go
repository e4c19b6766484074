// Package awssmfake is an in-memory AWS Secrets Manager that speaks the
// service's JSON 1.1 wire protocol over httptest, for tests that run the
// real SDK client against it through an endpoint override.
//
// It implements CreateSecret, DescribeSecret, GetSecretValue,
// PutSecretValue, UpdateSecretVersionStage, TagResource, DeleteSecret and
// RestoreSecret with the staging-label rules of the Secrets Manager API
// reference: the first version of a secret always gets AWSCURRENT, moving
// AWSCURRENT moves AWSPREVIOUS to the old version, a ClientRequestToken
// names a version once and forever, and a secret scheduled for deletion
// rejects reads and writes. Errors can be injected per operation.
package awssmfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Region and account of every ARN the fake returns.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// Fault is an error the fake returns instead of running an operation.
type Fault struct {
	Status  int
	Code    string
	Message string
}

// Throttling returns the fault AWS sends when a caller exceeds the request
// rate.
func Throttling() Fault {
	return Fault{Status: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"}
}

// InternalError returns a 500 fault.
func InternalError() Fault {
	return Fault{Status: http.StatusInternalServerError, Code: "InternalServiceError",
		Message: "An error occurred on the server side."}
}

// AccessDenied returns the fault AWS sends when the caller's IAM policy
// does not allow the operation. The message names the action, as AWS's does.
func AccessDenied() Fault {
	return Fault{Status: http.StatusBadRequest, Code: "AccessDeniedException"}
}

// Server is the fake service. Its zero value is not usable; call New.
type Server struct {
	URL string

	mu      sync.Mutex
	secrets map[string]*secretRecord // by name
	faults  map[string][]Fault
	calls   map[string]int
	now     func() time.Time
	seq     int
}

// New starts a fake on a loopback port and stops it when t ends.
func New(t testing.TB) *Server {
	s := &Server{
		secrets: map[string]*secretRecord{},
		faults:  map[string][]Fault{},
		calls:   map[string]int{},
		now:     func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// FailNext makes the next n calls of op return f.
func (s *Server) FailNext(op string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[op] = append(s.faults[op], f)
	}
}

// Calls returns how many requests for op reached the fake, failed ones
// included.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// apiError is an error the fake returns on the wire.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errBadRequest(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

type handler func(s *Server, body []byte) (any, *apiError)

var handlers = map[string]handler{
	"CreateSecret":             (*Server).createSecret,
	"DescribeSecret":           (*Server).describeSecret,
	"GetSecretValue":           (*Server).getSecretValue,
	"PutSecretValue":           (*Server).putSecretValue,
	"UpdateSecretVersionStage": (*Server).updateSecretVersionStage,
	"TagResource":              (*Server).tagResource,
	"DeleteSecret":             (*Server).deleteSecret,
	"RestoreSecret":            (*Server).restoreSecret,
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	h, known := handlers[op]
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		writeError(w, errBadRequest("UnknownOperationException", "expected POST /"))
		return
	case !ok || !known:
		writeError(w, errBadRequest("UnknownOperationException", "unknown operation %q", op))
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		writeError(w, errBadRequest("SerializationException", "expected application/x-amz-json-1.1"))
		return
	}

	var body json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, errBadRequest("SerializationException", "invalid JSON body"))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	if f, ok := s.takeFault(op, body); ok {
		writeError(w, f)
		return
	}
	out, apiErr := h(s, body)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) takeFault(op string, body []byte) (*apiError, bool) {
	queue := s.faults[op]
	if len(queue) == 0 {
		return nil, false
	}
	f := queue[0]
	s.faults[op] = queue[1:]

	msg := f.Message
	if f.Code == "AccessDeniedException" && msg == "" {
		var in struct{ SecretId, Name string }
		_ = json.Unmarshal(body, &in)
		msg = fmt.Sprintf("User: arn:aws:iam::%s:user/test is not authorized to perform: "+
			"secretsmanager:%s on resource: %s because no identity-based policy allows "+
			"the secretsmanager:%s action", Account, op, in.SecretId+in.Name, op)
	}
	return &apiError{status: f.Status, code: f.Code, msg: msg}, true
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.msg})
}

// decode unmarshals a request body into in.
func decode(body []byte, in any) *apiError {
	if err := json.Unmarshal(body, in); err != nil {
		return errBadRequest("SerializationException", "invalid request body: %v", err)
	}
	return nil
}

// epoch formats t the way the JSON 1.1 protocol sends timestamps.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
