//go:build tools

// Package tools pins the Vault server that the tests start in dev mode.
package tools

import _ "github.com/hashicorp/vault"
