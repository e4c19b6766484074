package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/secret"
	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinks/sinktest"
)

func TestConformance(t *testing.T) {
	for _, format := range []string{FormatRaw, FormatJSON, FormatEnv} {
		t.Run(format, func(t *testing.T) {
			sinktest.Run(t, func(t *testing.T) sinktest.Store {
				cfg := policy.FileSink{Path: filepath.Join(t.TempDir(), "token"), Format: format, EnvKey: "INFLUX_TOKEN"}
				return func() sinks.Sink { return newSink(t, cfg) }
			}, sinktest.Options{})
		})
	}
}

func newSink(t *testing.T, cfg policy.FileSink) *Sink {
	t.Helper()
	s, err := New(cfg, "ingest")
	require.NoError(t, err)
	return s
}

func newSecret(t *testing.T, tokenID, token string) sinks.Secret {
	t.Helper()
	sec := sinktest.NewSecret(t, tokenID)
	sec.Token = secret.NewToken(token)
	return sec
}

func requireMode(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "mode of %s", path)
}

// requireOnlyFiles asserts the directory holds exactly names, so no temp file
// was left behind.
func requireOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	require.ElementsMatch(t, names, got)
}

func setTempHook(t *testing.T, hook func(string) error) {
	t.Helper()
	testHookTempCreated = hook
	t.Cleanup(func() { testHookTempCreated = nil })
}

func TestModesAre0600(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	// A looser mode on an earlier file must not carry over.
	require.NoError(t, os.WriteFile(path, []byte("apiv1_old"), 0o644))
	require.NoError(t, os.Chmod(path, 0o644))
	s := newSink(t, policy.FileSink{Path: path, Format: FormatRaw})
	var tempModes []os.FileMode
	setTempHook(t, func(name string) error {
		info, err := os.Stat(name)
		require.NoError(t, err)
		tempModes = append(tempModes, info.Mode().Perm())
		return nil
	})
	sec := newSecret(t, "tok-1", "apiv1_new")

	require.NoError(t, s.Stage(context.Background(), sec))
	requireMode(t, path+".pending")
	require.NoError(t, s.Promote(context.Background(), "tok-1"))

	requireMode(t, path)
	requireMode(t, filepath.Join(dir, ".token.meta.json"))
	require.Equal(t, []os.FileMode{0o600, 0o600, 0o600}, tempModes, "pending, meta and current temp files")
}

func TestNoTempFilesAfterSuccess(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, policy.FileSink{Path: filepath.Join(dir, "token"), Format: FormatEnv, EnvKey: "TOKEN"})
	sec := newSecret(t, "tok-1", "apiv1_a")

	require.NoError(t, s.Stage(context.Background(), sec))
	requireOnlyFiles(t, dir, "token.pending")
	require.NoError(t, s.Promote(context.Background(), "tok-1"))

	requireOnlyFiles(t, dir, "token", ".token.meta.json")
}

func TestNoTempFilesAfterWriteFailure(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, policy.FileSink{Path: filepath.Join(dir, "token"), Format: FormatRaw})
	injected := errors.New("injected write failure")
	setTempHook(t, func(string) error { return injected })

	err := s.Stage(context.Background(), newSecret(t, "tok-1", "apiv1_a"))

	require.ErrorIs(t, err, injected)
	requireOnlyFiles(t, dir)
}

func TestNoTempFilesAfterRenameFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	s := newSink(t, policy.FileSink{Path: path, Format: FormatRaw})
	// A non-empty directory where the pending file belongs makes the rename fail.
	require.NoError(t, os.MkdirAll(filepath.Join(path+".pending", "blocker"), 0o700))

	err := s.Stage(context.Background(), newSecret(t, "tok-1", "apiv1_a"))

	require.ErrorContains(t, err, "rename temp file")
	requireOnlyFiles(t, dir, "token.pending")
}

func TestNewRejectsBadPath(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "directory"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "real"), nil, 0o600))
	require.NoError(t, os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "link")))

	tests := []struct {
		name, path, want string
	}{
		{"missing directory", filepath.Join(dir, "absent", "token"),
			"directory " + filepath.Join(dir, "absent") + " does not exist: create it or mount the volume"},
		{"directory", filepath.Join(dir, "directory"), filepath.Join(dir, "directory") + " is a directory"},
		{"symlink", filepath.Join(dir, "link"), filepath.Join(dir, "link") + " is a symbolic link"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(policy.FileSink{Path: tc.path}, "ingest")

			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  policy.FileSink
		want string
	}{
		{"no path", policy.FileSink{}, "path is missing"},
		{"bad format", policy.FileSink{Path: filepath.Join(dir, "t"), Format: "yaml"}, `format "yaml" is invalid`},
		{"bad env key", policy.FileSink{Path: filepath.Join(dir, "t"), Format: FormatEnv, EnvKey: "1X"}, `envKey "1X" is invalid`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, "ingest")

			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestReadAfterCrashBetweenRenames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	s := newSink(t, policy.FileSink{Path: path, Format: FormatRaw})
	old, next := newSecret(t, "tok-1", "apiv1_old"), newSecret(t, "tok-2", "apiv1_new")
	require.NoError(t, s.Stage(context.Background(), old))
	require.NoError(t, s.Promote(context.Background(), "tok-1"))
	require.NoError(t, s.Stage(context.Background(), next))
	// The crash: the side file already describes tok-2, the content is tok-1.
	meta := metaDocument{Metadata: next.Metadata, TokenSHA256: tokenHash("apiv1_new")}
	data, err := marshalIndented(meta)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".token.meta.json"), data, 0o600))

	st, err := newSink(t, policy.FileSink{Path: path, Format: FormatRaw}).Read(context.Background())

	require.NoError(t, err)
	require.NotNil(t, st.Current)
	require.Equal(t, "apiv1_old", st.Current.Token.Reveal())
	require.Empty(t, st.Current.TokenID)
	require.NotNil(t, st.Pending)
	require.Equal(t, "tok-2", st.Pending.TokenID)
}

func TestPromoteAfterCrashBetweenRenames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	s := newSink(t, policy.FileSink{Path: path, Format: FormatRaw})
	next := newSecret(t, "tok-2", "apiv1_new")
	require.NoError(t, s.Stage(context.Background(), next))
	require.NoError(t, os.WriteFile(path, []byte("apiv1_old"), 0o600))
	data, err := marshalIndented(metaDocument{Metadata: next.Metadata, TokenSHA256: tokenHash("apiv1_new")})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".token.meta.json"), data, 0o600))

	require.NoError(t, s.Promote(context.Background(), "tok-2"))

	st, err := s.Read(context.Background())
	require.NoError(t, err)
	sinktest.RequireSecret(t, next, st.Current)
	require.Nil(t, st.Pending)
}

func TestFormatBytes(t *testing.T) {
	wantJSON := `{
  "token": "apiv1_abc",
  "tokenId": "tok-1",
  "policy": "ingest",
  "accountId": "11111111-1111-4111-8111-111111111111",
  "clusterId": "22222222-2222-4222-8222-222222222222",
  "rotationId": "rot-tok-1",
  "createdAt": "2025-03-14T15:09:26.535897932Z",
  "expiresAt": "2025-06-12T15:09:26.535897932Z"
}
`
	tests := []struct {
		format string
		want   string
	}{
		{FormatRaw, "apiv1_abc"},
		{FormatEnv, "INFLUX_TOKEN=apiv1_abc\n"},
		{FormatJSON, wantJSON},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "token")
			s := newSink(t, policy.FileSink{Path: path, Format: tc.format, EnvKey: "INFLUX_TOKEN"})
			require.NoError(t, s.Stage(context.Background(), newSecret(t, "tok-1", "apiv1_abc")))
			require.NoError(t, s.Promote(context.Background(), "tok-1"))

			got, err := os.ReadFile(path)

			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
		})
	}
}

func TestStageRejectsUnstorableToken(t *testing.T) {
	tests := []struct {
		format, token, want string
	}{
		{FormatRaw, "apiv1_a b", "whitespace or a control character"},
		{FormatEnv, "apiv1_$HOME", "writes unquoted"},
		{FormatJSON, "", "token is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			s := newSink(t, policy.FileSink{Path: filepath.Join(t.TempDir(), "token"), Format: tc.format, EnvKey: "K"})

			err := s.Stage(context.Background(), newSecret(t, "tok-1", tc.token))

			require.ErrorContains(t, err, tc.want)
			if tc.token != "" {
				require.NotContains(t, err.Error(), tc.token)
			}
		})
	}
}

func TestSecretNotInErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	s := newSink(t, policy.FileSink{Path: path, Format: FormatJSON})
	sec := newSecret(t, "tok-1", "apiv1_secret_value_7f3a")
	require.NoError(t, s.Stage(context.Background(), sec))
	// Break the current path so Promote fails after reading the pending secret.
	require.NoError(t, os.Mkdir(path, 0o700))

	var errs []error
	errs = append(errs, s.Promote(context.Background(), "tok-1"))
	require.NoError(t, os.WriteFile(path+".pending", []byte(`{"token":"apiv1_secret_value_7f3a",`), 0o600))
	_, err := s.Read(context.Background())
	errs = append(errs, err, s.Discard(context.Background(), "tok-1"))

	for i, err := range errs {
		require.Error(t, err, "operation %d", i)
		require.False(t, strings.Contains(err.Error(), "apiv1_secret_value_7f3a"), "operation %d: %v", i, err)
	}
}

func TestWriteAtomicReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	require.NoError(t, WriteAtomic(path, []byte("first"), 0o600))

	require.NoError(t, WriteAtomic(path, []byte("second"), 0o640))

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "second", string(got))
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o640), info.Mode().Perm())
}

func TestNewRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".token.tmp-1", ".token.pending.tmp-2", "..token.meta.json.tmp-3"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("apiv1_partial"), 0o600))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".other.tmp-4"), nil, 0o600))

	newSink(t, policy.FileSink{Path: filepath.Join(dir, "token")})

	requireOnlyFiles(t, dir, ".other.tmp-4")
}
