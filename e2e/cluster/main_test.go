package cluster

import (
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// TestMain gives controller-runtime (envtest, the webhook server) a logger: without one
// it prints a stack trace once a run passes 30 s. The processes' own output is kept by
// StartForTest.
func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	os.Exit(m.Run())
}
