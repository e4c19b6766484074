package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/secret"
)

// accessTokenPrefix starts every secret string, as on the real API.
const accessTokenPrefix = "apiv1_"

// TokenInfo is a database token as the emulator stores it, without its
// secret string.
type TokenInfo struct {
	ID          string
	Description string
	Permissions []mgmt.Permission
	CreatedAt   time.Time
	ExpiresAt   *time.Time
	// RevokedAt stays nil: deleting a token removes it outright.
	RevokedAt *time.Time
}

// token is a stored token: its metadata, its creation order and the
// SHA-256 hash of its secret string, which is all the emulator keeps of it.
type token struct {
	info TokenInfo
	seq  int64
	hash [32]byte
}

// createdTokenBody is the create response, the only one with accessToken.
type createdTokenBody struct {
	mgmt.Token
	AccessToken string `json:"accessToken"`
}

func cloneInfo(info TokenInfo) TokenInfo {
	info.Permissions = append([]mgmt.Permission{}, info.Permissions...)
	if info.ExpiresAt != nil {
		at := *info.ExpiresAt
		info.ExpiresAt = &at
	}
	if info.RevokedAt != nil {
		at := *info.RevokedAt
		info.RevokedAt = &at
	}
	return info
}

func (e *Emulator) wireToken(t *token) mgmt.Token {
	info := cloneInfo(t.info)
	return mgmt.Token{
		AccountID:   e.cfg.AccountID,
		ClusterID:   e.cfg.ClusterID,
		ID:          info.ID,
		Description: info.Description,
		Permissions: info.Permissions,
		CreatedAt:   info.CreatedAt,
		ExpiresAt:   info.ExpiresAt,
		RevokedAt:   info.RevokedAt,
	}
}

// sortedTokens returns the tokens in creation order. The caller holds e.mu.
func (e *Emulator) sortedTokens() []*token {
	out := make([]*token, 0, len(e.tokens))
	for _, t := range e.tokens {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *token) int { return int(a.seq - b.seq) })
	return out
}

func (e *Emulator) listTokens(*http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []mgmt.Token{}
	for _, t := range e.sortedTokens() {
		out = append(out, e.wireToken(t))
	}
	return out, nil
}

func (e *Emulator) createToken(r *http.Request) (any, error) {
	obj, err := decodeObject(r, "description", "permissions", "expiresAt")
	if err != nil {
		return nil, err
	}
	var info TokenInfo
	if err := requireField(obj, "description", &info.Description); err != nil {
		return nil, err
	}
	if info.Permissions, _, err = decodePermissions(obj); err != nil {
		return nil, err
	}
	var expiresAt time.Time
	if present, err := decodeField(obj, "expiresAt", &expiresAt); err != nil {
		return nil, err
	} else if present {
		expiresAt = expiresAt.UTC()
		info.ExpiresAt = &expiresAt
	}

	created, err := e.addToken(info)
	if err != nil {
		return nil, err
	}
	return createdTokenBody{Token: created.Token, AccessToken: created.AccessToken.Reveal()}, nil
}

// SeedToken creates a token directly, without HTTP, for test setup. It
// validates req like the create operation and counts no request.
func (e *Emulator) SeedToken(req mgmt.CreateTokenRequest) (mgmt.CreatedToken, error) {
	for i, p := range req.Permissions {
		if err := validatePermission(fmt.Sprintf("permissions[%d]", i), p); err != nil {
			return mgmt.CreatedToken{}, fmt.Errorf("seed token: %w", err)
		}
	}
	info := TokenInfo{
		Description: req.Description,
		Permissions: req.Permissions,
		ExpiresAt:   req.ExpiresAt,
	}
	created, err := e.addToken(cloneInfo(info))
	if err != nil {
		return mgmt.CreatedToken{}, fmt.Errorf("seed token: %w", err)
	}
	return created, nil
}

// addToken stores a new token with a fresh ID and secret string.
func (e *Emulator) addToken(info TokenInfo) (mgmt.CreatedToken, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if info.ExpiresAt != nil && !info.ExpiresAt.After(now) {
		return mgmt.CreatedToken{}, badRequest("invalid expiresAt %s: must be in the future",
			info.ExpiresAt.Format(time.RFC3339))
	}
	if info.Permissions == nil {
		info.Permissions = []mgmt.Permission{}
	}
	info.ID = uuid.NewString()
	info.CreatedAt = now

	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never returns an error since Go 1.24.
	accessToken := accessTokenPrefix + hex.EncodeToString(raw)

	e.tokenSeq++
	t := &token{info: info, seq: e.tokenSeq, hash: sha256.Sum256([]byte(accessToken))}
	e.tokens[info.ID] = t
	e.secrets[t.hash] = info.ID
	return mgmt.CreatedToken{Token: e.wireToken(t), AccessToken: secret.NewToken(accessToken)}, nil
}

// tokenFromPath returns the token named by the tokenId path value. The
// caller holds e.mu.
func (e *Emulator) tokenFromPath(r *http.Request) (*token, error) {
	id := r.PathValue("tokenId")
	if !isUUID(id) {
		return nil, badRequest("invalid tokenId %q: must be a UUID", id)
	}
	// Token IDs are stored in lower case, as uuid.NewString returns them.
	t := e.tokens[strings.ToLower(id)]
	if t == nil {
		return nil, notFound("token %s not found", id)
	}
	return t, nil
}

func (e *Emulator) getToken(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.tokenFromPath(r)
	if err != nil {
		return nil, err
	}
	return e.wireToken(t), nil
}

func (e *Emulator) updateToken(r *http.Request) (any, error) {
	obj, err := decodeObject(r, "description", "permissions")
	if err != nil {
		return nil, err
	}
	var description string
	hasDescription, err := decodeField(obj, "description", &description)
	if err != nil {
		return nil, err
	}
	perms, hasPerms, err := decodePermissions(obj)
	if err != nil {
		return nil, err
	}
	if !hasDescription && !hasPerms {
		return nil, badRequest("empty update: set description, permissions or both")
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.tokenFromPath(r)
	if err != nil {
		return nil, err
	}
	if hasDescription {
		t.info.Description = description
	}
	if hasPerms {
		t.info.Permissions = perms
	}
	return e.wireToken(t), nil
}

func (e *Emulator) deleteToken(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.tokenFromPath(r)
	if err != nil {
		return nil, err
	}
	delete(e.tokens, t.info.ID)
	delete(e.secrets, t.hash)
	return nil, nil
}

// Tokens returns the live tokens in creation order.
func (e *Emulator) Tokens() []TokenInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []TokenInfo{}
	for _, t := range e.sortedTokens() {
		out = append(out, cloneInfo(t.info))
	}
	return out
}

// TokenIDForSecret returns the ID of the live token whose secret string is
// s.
func (e *Emulator) TokenIDForSecret(s string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.secrets[sha256.Sum256([]byte(s))]
	return id, ok
}
