// Command testcheck reads the event stream of `go test -json` on stdin and
// prints what a person reads from plain `go test`: each package's result
// line, and the whole output of every failed test. It exits 1 when a test
// failed, or when a package named on the command line (an e2e package) ran
// no test or skipped one: CI must not go green on an e2e suite that did not
// run (GOFLAGS=-short in the environment, a missing control plane, a test
// that skips on a missing file).
//
//	go test -json ./... | go run ./hack/testcheck $(go list ./e2e ./migrate ...)
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Stdin, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "testcheck:", err)
		os.Exit(1)
	}
}

// run echoes the report of in to out and checks it (see the command's doc).
func run(in io.Reader, out io.Writer, required []string) error {
	tally, err := read(in, out)
	if err != nil {
		return err
	}
	return tally.check(required)
}
