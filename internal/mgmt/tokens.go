package mgmt

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rotatord/rotatord/internal/secret"
)

// tokenWire is a database token as the API sends it. AccessToken is set
// only in create responses.
type tokenWire struct {
	AccountID   *string       `json:"accountId"`
	ClusterID   *string       `json:"clusterId"`
	ID          *string       `json:"id"`
	Description *string       `json:"description"`
	Permissions *[]Permission `json:"permissions"`
	CreatedAt   *time.Time    `json:"createdAt"`
	ExpiresAt   *time.Time    `json:"expiresAt"`
	RevokedAt   *time.Time    `json:"revokedAt"`
	AccessToken *string       `json:"accessToken"`
}

// minAccessTokenLength is the shortest access token the API specification
// allows.
const minAccessTokenLength = 64

// token converts a token response. A missing or null permissions list is an
// error rather than an empty one: a copy of the token made from it would
// silently lose every permission.
func (o owner) token(w tokenWire) (Token, error) {
	if err := o.check(w.AccountID, w.ClusterID); err != nil {
		return Token{}, err
	}
	checks := []error{
		required("id", w.ID != nil),
		required("description", w.Description != nil),
		required("permissions", w.Permissions != nil && *w.Permissions != nil),
		required("createdAt", w.CreatedAt != nil),
	}
	for _, err := range checks {
		if err != nil {
			return Token{}, err
		}
	}
	if !isUUID(*w.ID) {
		return Token{}, fmt.Errorf("%w: token id %q is not a UUID", ErrMalformedResponse, *w.ID)
	}

	return Token{
		AccountID:   *w.AccountID,
		ClusterID:   *w.ClusterID,
		ID:          *w.ID,
		Description: *w.Description,
		Permissions: *w.Permissions,
		CreatedAt:   *w.CreatedAt,
		ExpiresAt:   w.ExpiresAt,
		RevokedAt:   w.RevokedAt,
	}, nil
}

// createdToken converts a create response, which must also carry the access
// token. Errors never quote the access token.
func (o owner) createdToken(w tokenWire) (CreatedToken, error) {
	t, err := o.token(w)
	if err != nil {
		return CreatedToken{}, err
	}
	if err := required("accessToken", w.AccessToken != nil); err != nil {
		return CreatedToken{}, err
	}

	access := *w.AccessToken
	if len(access) < minAccessTokenLength {
		return CreatedToken{}, fmt.Errorf("%w: accessToken has %d characters, fewer than %d",
			ErrMalformedResponse, len(access), minAccessTokenLength)
	}
	if strings.ContainsFunc(access, isSpaceOrControl) {
		err := fmt.Errorf("%w: accessToken contains a space or control character", ErrMalformedResponse)
		return CreatedToken{}, err
	}
	return CreatedToken{Token: t, AccessToken: secret.NewToken(access)}, nil
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// ListTokens returns every database token of the cluster, revoked ones
// included.
func (c *Client) ListTokens(ctx context.Context) ([]Token, error) {
	data, err := c.call(ctx, opListTokens, c.endpoint("tokens"), nil)
	if err != nil {
		return nil, err
	}
	tokens, err := decodeList(data, c.owner().token)
	if err != nil {
		return nil, c.malformed(opListTokens, err)
	}
	return tokens, nil
}

// GetToken returns one database token by its UUID.
func (c *Client) GetToken(ctx context.Context, id string) (Token, error) {
	if err := checkTokenID(id); err != nil {
		return Token{}, fmt.Errorf("%s: %w", opGetToken.phrase, err)
	}
	data, err := c.call(ctx, opGetToken, c.endpoint("tokens", id), nil)
	return c.tokenResponse(opGetToken, data, err)
}

// CreateToken creates a database token and returns it with its access
// token, which the API returns this one time only. A nil Permissions list
// is sent as an empty one. The call is never retried: on ErrOutcomeUnknown,
// list the tokens to find the one this call made.
func (c *Client) CreateToken(ctx context.Context, req CreateTokenRequest) (CreatedToken, error) {
	if req.Permissions == nil {
		req.Permissions = []Permission{}
	}
	data, err := c.call(ctx, opCreateToken, c.endpoint("tokens"), req)
	if err != nil {
		return CreatedToken{}, err
	}
	created, err := decodeOne(data, c.owner().createdToken)
	if err != nil {
		return CreatedToken{}, c.malformed(opCreateToken, err)
	}
	return created, nil
}

// UpdateToken changes the description or permissions of a token. A
// non-nil Permissions replaces the whole list; pointing it at a nil slice
// removes every permission. At least one field of req must be set.
func (c *Client) UpdateToken(
	ctx context.Context, id string, req UpdateTokenRequest,
) (Token, error) {
	if err := checkTokenID(id); err != nil {
		return Token{}, fmt.Errorf("%s: %w", opUpdateToken.phrase, err)
	}
	if req.Description == nil && req.Permissions == nil {
		return Token{}, fmt.Errorf("%s %s: %w: the request sets no field",
			opUpdateToken.phrase, id, errInvalidArgument)
	}
	if req.Permissions != nil && *req.Permissions == nil {
		req.Permissions = &[]Permission{}
	}
	data, err := c.call(ctx, opUpdateToken, c.endpoint("tokens", id), req)
	return c.tokenResponse(opUpdateToken, data, err)
}

// DeleteToken deletes (revokes) a database token. The call is retried on
// transient errors, so a 404 may mean that an earlier attempt deleted it.
func (c *Client) DeleteToken(ctx context.Context, id string) error {
	if err := checkTokenID(id); err != nil {
		return fmt.Errorf("%s: %w", opDeleteToken.phrase, err)
	}
	_, err := c.call(ctx, opDeleteToken, c.endpoint("tokens", id), nil)
	return err
}

func (c *Client) tokenResponse(op operation, data []byte, err error) (Token, error) {
	if err != nil {
		return Token{}, err
	}
	t, err := decodeOne(data, c.owner().token)
	if err != nil {
		return Token{}, c.malformed(op, err)
	}
	return t, nil
}
