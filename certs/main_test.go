package certs

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// TestMain gives controller-runtime (and so the rotator, which logs through its global
// logger) a logger: stderr under -v, else none, instead of its warning that none was set.
func TestMain(m *testing.M) {
	flag.Parse()
	logger := logr.Discard()
	if testing.Verbose() {
		logger = funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{})
	}
	log.SetLogger(logger)
	os.Exit(m.Run())
}
