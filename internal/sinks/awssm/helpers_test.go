package awssm

import (
	"testing"

	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinks/sinktest"
)

func testSecret(t testing.TB, tokenID string) sinks.Secret {
	return sinktest.NewSecret(t, tokenID)
}
