package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBodyBytes caps request bodies. Real bodies are a few hundred bytes.
const maxBodyBytes = 1 << 20

// apiError is a failed request: the HTTP status and the message of the
// JSON error body.
type apiError struct {
	status  int
	message string
}

func (e *apiError) Error() string { return e.message }

func newError(status int, format string, args ...any) *apiError {
	return &apiError{status: status, message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, format, args...)
}

func notFound(format string, args ...any) *apiError {
	return newError(http.StatusNotFound, format, args...)
}

func conflict(format string, args ...any) *apiError {
	return newError(http.StatusConflict, format, args...)
}

func unauthorized(format string, args ...any) *apiError {
	return newError(http.StatusUnauthorized, format, args...)
}

// statusOf returns the HTTP status that writeError sends for err.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status
	}
	return http.StatusInternalServerError
}

// errorBody is the error schema of the Management API.
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(errorBody{Code: status, Message: "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// writeError writes err as a JSON error body. Errors that are not apiError
// become 500.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = newError(http.StatusInternalServerError, "internal error: %v", err)
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	writeJSON(w, ae.status, errorBody{Code: ae.status, Message: ae.message})
}

// decodeObject reads a request body that must be one JSON object whose
// keys are all in allowed. Keys match exactly, unlike encoding/json's
// case-insensitive field matching, so a misspelt key is rejected.
func decodeObject(r *http.Request, allowed ...string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		return nil, badRequest("invalid JSON request body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badRequest("invalid JSON request body: unexpected data after the object")
	}
	if obj == nil {
		return nil, badRequest("invalid JSON request body: expected an object")
	}
	return obj, checkKeys("request body", obj, allowed)
}

// decodeNested decodes raw, the value of field, as a JSON object whose keys
// are all in allowed.
func decodeNested(
	field string, raw json.RawMessage, allowed ...string,
) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, badRequest("invalid %s: expected a JSON object", field)
	}
	return obj, checkKeys(field, obj, allowed)
}

func checkKeys(field string, obj map[string]json.RawMessage, allowed []string) error {
	for key := range obj {
		known := false
		for _, a := range allowed {
			known = known || key == a
		}
		if !known {
			return badRequest("invalid %s: unknown property %q (allowed: %s)",
				field, key, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// decodeField decodes the property name of obj into dst. It reports
// whether the property was present, and rejects null and wrong types.
func decodeField(obj map[string]json.RawMessage, name string, dst any) (bool, error) {
	raw, ok := obj[name]
	if !ok {
		return false, nil
	}
	if string(raw) == "null" {
		return true, badRequest("invalid %s: must not be null", name)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return true, badRequest("invalid %s: %v", name, err)
	}
	return true, nil
}

// requireField decodes a property that must be present.
func requireField(obj map[string]json.RawMessage, name string, dst any) error {
	present, err := decodeField(obj, name, dst)
	if err != nil {
		return err
	}
	if !present {
		return badRequest("missing required property %q", name)
	}
	return nil
}

// muxErrorWriter turns the plain-text 404 and 405 responses of
// http.ServeMux into JSON error bodies, keeping headers such as Allow.
type muxErrorWriter struct {
	http.ResponseWriter
	replaced bool
}

func (w *muxErrorWriter) WriteHeader(status int) {
	if status < 400 {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.replaced = true
	w.Header().Del("X-Content-Type-Options")
	message := strings.ToLower(http.StatusText(status))
	writeJSON(w.ResponseWriter, status, errorBody{Code: status, Message: message})
}

func (w *muxErrorWriter) Write(p []byte) (int, error) {
	if w.replaced {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}
