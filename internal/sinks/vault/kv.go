package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/vault/api"
)

// noCAS, passed as the cas of kvStore.put, writes without check-and-set.
const noCAS = -1

// kvStore is the part of a KV secrets engine the sink uses, so the sink's
// logic is the same for KV v1 and KV v2.
type kvStore interface {
	// get returns the latest data at path, nil if there is none, and the
	// latest version number for check-and-set (0 when the path is new or the
	// engine is KV v1).
	get(ctx context.Context, path string) (map[string]any, int, error)
	// put writes data at path. With cas >= 0 the write succeeds only if the
	// path's latest version is cas.
	put(ctx context.Context, path string, data map[string]any, cas int) error
	// setMetadata stores non-secret fields beside the secret, where the
	// engine supports it.
	setMetadata(ctx context.Context, path string, fields map[string]string) error
	// remove deletes path with every version it has.
	remove(ctx context.Context, path string) error
	// fullPath returns the API path of a secret, for errors.
	fullPath(path string) string
}

type kvV2 struct {
	client *api.Client
	mount  string
}

func (kv kvV2) get(ctx context.Context, path string) (map[string]any, int, error) {
	s, err := kv.client.KVv2(kv.mount).Get(ctx, path)
	if errors.Is(err, api.ErrSecretNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	version := 0
	if s.VersionMetadata != nil {
		version = s.VersionMetadata.Version
	}
	// A deleted or destroyed latest version has nil data but still counts
	// for check-and-set.
	return s.Data, version, nil
}

func (kv kvV2) put(ctx context.Context, path string, data map[string]any, cas int) error {
	var opts []api.KVOption
	if cas >= 0 {
		opts = append(opts, api.WithCheckAndSet(cas))
	}
	_, err := kv.client.KVv2(kv.mount).Put(ctx, path, data, opts...)
	if isCASMismatch(err) {
		return fmt.Errorf("%w: %s changed after rotatord read it at version %d: %w",
			ErrConflict, kv.fullPath(path), cas, err)
	}
	return err
}

// setMetadata replaces custom_metadata as a whole, which drops keys of an
// earlier token. It sends no other field, so the metadata endpoint leaves
// max_versions, cas_required and delete_version_after as they are.
func (kv kvV2) setMetadata(ctx context.Context, path string, fields map[string]string) error {
	custom := make(map[string]any, len(fields))
	for k, v := range fields {
		custom[k] = v
	}
	metaPath := kv.mount + "/metadata/" + path
	_, err := kv.client.Logical().WriteWithContext(ctx, metaPath, map[string]any{"custom_metadata": custom})
	if err != nil {
		return fmt.Errorf("write custom metadata at %s: %w", metaPath, err)
	}
	return nil
}

// remove deletes the metadata, which destroys every version of the secret.
func (kv kvV2) remove(ctx context.Context, path string) error {
	return kv.client.KVv2(kv.mount).DeleteMetadata(ctx, path)
}

func (kv kvV2) fullPath(path string) string { return kv.mount + "/data/" + path }

// isCASMismatch reports whether err is KV v2 rejecting a check-and-set
// version that is not the latest one.
func isCASMismatch(err error) bool {
	var resp *api.ResponseError
	if !errors.As(err, &resp) || resp.StatusCode != 400 {
		return false
	}
	for _, msg := range resp.Errors {
		if strings.Contains(msg, "check-and-set") {
			return true
		}
	}
	return false
}

type kvV1 struct {
	client *api.Client
	mount  string
}

func (kv kvV1) get(ctx context.Context, path string) (map[string]any, int, error) {
	s, err := kv.client.KVv1(kv.mount).Get(ctx, path)
	if errors.Is(err, api.ErrSecretNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return s.Data, 0, nil
}

func (kv kvV1) put(ctx context.Context, path string, data map[string]any, _ int) error {
	return kv.client.KVv1(kv.mount).Put(ctx, path, data)
}

func (kvV1) setMetadata(context.Context, string, map[string]string) error { return nil }

func (kv kvV1) remove(ctx context.Context, path string) error {
	return kv.client.KVv1(kv.mount).Delete(ctx, path)
}

func (kv kvV1) fullPath(path string) string { return kv.mount + "/" + path }
