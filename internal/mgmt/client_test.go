package mgmt

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/secret"
)

func TestNewAppliesDefaults(t *testing.T) {
	c, err := New(Options{
		BaseURL:   "https://console.influxdata.com/api/v0/",
		AccountID: testAccount,
		ClusterID: testCluster,
		Token:     secret.NewToken(testMgmtToken),
	})
	require.NoError(t, err)

	require.Equal(t, DefaultRequestTimeout, c.timeout)
	require.Equal(t, DefaultMaxRetries, c.maxRetries)
	require.Equal(t, DefaultMinBackoff, c.minBackoff)
	require.Equal(t, DefaultMaxBackoff, c.maxBackoff)
	require.NotNil(t, c.http.CheckRedirect)
	require.Equal(t, "https://console.influxdata.com/api/v0/accounts/"+testAccount+"/clusters/"+testCluster+"/tokens",
		c.endpoint("tokens").String())
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	cases := map[string]struct {
		edit func(*Options)
		want string
	}{
		"missing url":      {func(o *Options) { o.BaseURL = "" }, "base url is missing"},
		"relative url":     {func(o *Options) { o.BaseURL = "/api/v0" }, `scheme "" is not http or https`},
		"ftp url":          {func(o *Options) { o.BaseURL = "ftp://host/api" }, `scheme "ftp"`},
		"credentials":      {func(o *Options) { o.BaseURL = "https://u:p@host/api" }, "contains credentials"},
		"query":            {func(o *Options) { o.BaseURL = "https://host/api?x=1" }, "query or fragment"},
		"bad account":      {func(o *Options) { o.AccountID = "acct" }, `account id "acct" is not a UUID`},
		"bad cluster":      {func(o *Options) { o.ClusterID = "" }, `cluster id "" is not a UUID`},
		"no token":         {func(o *Options) { o.Token = secret.Token{} }, "management token is missing"},
		"backoff inverted": {func(o *Options) { o.MinBackoff = time.Minute }, "min backoff 1m0s is above max backoff 30s"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			opts := testOptions("https://console.influxdata.com/api/v0")
			tc.edit(&opts)
			_, err := New(opts)
			require.ErrorContains(t, err, "new management api client: ")
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := New(Options{AccountID: "a", ClusterID: "b"})
	for _, want := range []string{"base url is missing", `account id "a"`, `cluster id "b"`, "token is missing"} {
		require.ErrorContains(t, err, want)
	}
}

func TestEndpointKeepsBasePathEscaping(t *testing.T) {
	opts := testOptions("http://127.0.0.1:1/proxy%2Fmgmt/api/v0")
	c := newTestClient(t, opts)

	u := c.endpoint("databases", "a/b", "tables", "x y")
	require.True(t, strings.HasPrefix(u.String(), "http://127.0.0.1:1/proxy%2Fmgmt/api/v0/accounts/"))
	require.True(t, strings.HasSuffix(u.String(), "/databases/a%2Fb/tables/x%20y"))
}

func TestUnknownOperationPhrase(t *testing.T) {
	require.Equal(t, "create token", phraseOf(OpCreateDatabaseToken))
	require.Equal(t, "Other", phraseOf("Other"))
	require.Len(t, operations, 15)
}
