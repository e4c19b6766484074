package mgmt

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCreateTimeoutOutcomeUnknown(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newScriptedServer(t, hang(release), respond(createdJSON))
	opts := srv.options()
	opts.RequestTimeout = 50 * time.Millisecond
	c := newTestClient(t, opts)

	_, err := c.CreateToken(context.Background(), CreateTokenRequest{Description: "d"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, IsRetryable(err), "an attempt timeout is transient")
	require.Equal(t, 1, srv.count())
}

func TestCreateServerErrorOutcomeUnknown(t *testing.T) {
	srv := newScriptedServer(t, status(http.StatusInternalServerError))
	c := newTestClient(t, srv.options())

	_, err := c.CreateDatabase(context.Background(), CreateDatabaseRequest{Name: "db"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 500, apiErr.StatusCode)
	require.Equal(t, 500, apiErr.Code)
	require.Equal(t, OpCreateClusterDatabase, apiErr.Operation)
	require.EqualError(t, err,
		"create database: 500 Internal Server Error: Internal Server Error: "+ErrOutcomeUnknown.Error())
}

func TestCreateCancelledAfterSendOutcomeUnknown(t *testing.T) {
	received := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	srv := newScriptedServer(t, func(w http.ResponseWriter, r *http.Request) {
		close(received)
		hang(release)(w, r)
	})
	c := newTestClient(t, srv.options())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-received
		cancel()
	}()

	_, err := c.CreateToken(ctx, CreateTokenRequest{Description: "d"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, IsRetryable(err), "the caller cancelled")
}

func TestCreateNotSentOutcomeKnown(t *testing.T) {
	srv := newScriptedServer(t, respond(createdJSON))
	opts := srv.options()
	srv.server.Close()
	c := newTestClient(t, opts)

	_, err := c.CreateToken(context.Background(), CreateTokenRequest{Description: "d"})
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrOutcomeUnknown, "a refused connection carried no request")
	require.True(t, IsRetryable(err))
	require.ErrorContains(t, err, "create token: ")
}

func TestCreateMalformedAnswerOutcomeUnknown(t *testing.T) {
	srv := newScriptedServer(t, respond(`{"id":"55555555-5555-4555-8555-555555555555"}`))
	c := newTestClient(t, srv.options())

	_, err := c.CreateToken(context.Background(), CreateTokenRequest{Description: "d"})
	require.ErrorIs(t, err, ErrMalformedResponse)
	require.ErrorIs(t, err, ErrOutcomeUnknown, "the server acted but the client cannot tell on what")
	require.False(t, IsRetryable(err))
}

func TestListMalformedAnswerOutcomeKnown(t *testing.T) {
	srv := newScriptedServer(t, respond(`{}`))
	c := newTestClient(t, srv.options())

	_, err := c.ListTokens(context.Background())
	require.ErrorIs(t, err, ErrMalformedResponse)
	require.NotErrorIs(t, err, ErrOutcomeUnknown)
	require.Equal(t, 1, srv.count(), "a malformed response is not retried")
}
