// Command workflowcheck holds the GitHub workflows to the release's
// least-privilege shape (docs/security.md), which actionlint does not know:
//
//   - every `uses:` is pinned to a full 40-hex commit, its tag in a line
//     comment (a tag or branch can be moved to other code; a commit cannot);
//     a local action (./...) is ours, a docker:// one needs a sha256 digest;
//   - a tool an action installs is pinned by version (cosign-installer's
//     cosign-release), never "whatever is current";
//   - the workflow declares its permissions (else the repository default
//     applies, which may be write-all) and grants no write at that level;
//   - only the job named "sign" may hold id-token: write (the signing
//     identity);
//   - in a job that can write, actions/checkout sets persist-credentials:
//     false, so no later step finds the token in .git/config.
//
// Usage: go run ./hack/workflowcheck FILE... (make lint runs it on
// .github/workflows). It prints one FILE:LINE: PATH: PROBLEM per line and
// exits 1 on any problem, 2 when a file cannot be read or parsed.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run checks each file and returns the exit code.
func run(files []string, out, errOut io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(errOut, "usage: workflowcheck FILE...")
		return 2
	}
	code := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(errOut, "workflowcheck:", err)
			return 2
		}
		problems, err := check(data)
		if err != nil {
			fmt.Fprintf(errOut, "workflowcheck: %s: %v\n", f, err)
			return 2
		}
		for _, p := range problems {
			fmt.Fprintf(out, "%s:%s\n", f, p)
			code = 1
		}
	}
	return code
}
