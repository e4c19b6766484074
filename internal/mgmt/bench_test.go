package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// tokenListJSON returns a token list response with n tokens of two
// permissions each, shaped like the API's responses.
func tokenListJSON(n int) []byte {
	created := time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC)
	tokens := make([]Token, n)
	for i := range tokens {
		tokens[i] = Token{
			AccountID: testAccount, ClusterID: testCluster,
			ID:          fmt.Sprintf("55555555-5555-4555-8555-%012d", i),
			Description: fmt.Sprintf("rotatord policy ingest-%d", i),
			Permissions: []Permission{
				{Action: ActionRead, Resource: "metrics"},
				{Action: ActionWrite, Resource: "metrics"},
			},
			CreatedAt: created.Add(time.Duration(i) * time.Minute),
		}
	}
	data, err := json.Marshal(tokens)
	if err != nil {
		panic(err)
	}
	return data
}

// BenchmarkListTokens measures ListTokens on a response of 1,000 tokens:
// "decode" times the decoder and its checks alone, "loopback" the whole
// call through an httptest server on 127.0.0.1.
func BenchmarkListTokens(b *testing.B) {
	data := tokenListJSON(1000)

	b.Run("decode", func(b *testing.B) {
		decode := owner{accountID: testAccount, clusterID: testCluster}.token
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeList(data, decode); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("loopback", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(data)
		}))
		defer srv.Close()
		c, err := New(testOptions(srv.URL))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.ListTokens(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
