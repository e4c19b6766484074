#!/bin/sh
# Build the servers the integration tests run against, unless they are
# already in the cache directory, and print their paths.
#
#   vault-1.21.0  from the tools/vault module (a cold build takes minutes)
#   kumo-0.33.1   the AWS Secrets Manager emulator
#
# The directory is $XDG_CACHE_HOME/rotatord/bin, or ~/.cache/rotatord/bin,
# which is where internal/testenv looks for them.
set -eu

VAULT_VERSION=1.21.0
KUMO_VERSION=0.33.1

root=$(cd "$(dirname "$0")/.." && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/rotatord/bin"
mkdir -p "$cache"

vault="$cache/vault-$VAULT_VERSION"
if [ ! -x "$vault" ]; then
	echo "building vault $VAULT_VERSION into $vault (a cold build takes several minutes)" >&2
	# Build to a temp name first, so an interrupted build leaves no binary
	# that looks complete.
	(cd "$root/tools/vault" && go build -mod=mod -o "$vault.partial" github.com/hashicorp/vault)
	mv "$vault.partial" "$vault"
fi

kumo="$cache/kumo-$KUMO_VERSION"
if [ ! -x "$kumo" ]; then
	# A plain "kumo" from an earlier manual install is reused when the module
	# version recorded in the binary matches.
	if [ -x "$cache/kumo" ] &&
		go version -m "$cache/kumo" | grep -q "mod[[:space:]]*github.com/sivchari/kumo[[:space:]]*v$KUMO_VERSION"; then
		cp "$cache/kumo" "$kumo"
	else
		echo "installing kumo $KUMO_VERSION into $kumo" >&2
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		GOBIN="$tmp" go install "github.com/sivchari/kumo/cmd/kumo@v$KUMO_VERSION"
		mv "$tmp/kumo" "$kumo"
	fi
fi

echo "vault: $vault"
echo "kumo: $kumo"
