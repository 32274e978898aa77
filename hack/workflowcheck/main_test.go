package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// good is the release's shape in small: each case below breaks it once.
const good = `
permissions:
  contents: read
jobs:
  ci:
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
  publish:
    permissions:
      packages: write
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - uses: ./.github/actions/local
      - uses: docker://alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  sign:
    permissions:
      id-token: write
    steps:
      - uses: sigstore/cosign-installer@6f9f17788090df1f26f669e9d70d6ae9567deba6 # v4.1.2
        with:
          cosign-release: v3.0.6
`

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		old     string // replaced in good by new
		new     string
		want    string // "" for no problem, else the one problem's text
		wantLen int
	}{
		{name: "the release shape passes"},
		{name: "action pinned by tag", old: "checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n  publish", new: "checkout@v7\n  publish",
			want: `7: jobs.ci.steps[0].uses: "actions/checkout@v7": pin by full 40-hex commit, not "v7"`},
		// An abbreviated commit can collide with a commit pushed later.
		{name: "short commit", old: "cosign-installer@6f9f17788090df1f26f669e9d70d6ae9567deba6", new: "cosign-installer@6f9f177",
			want: `pin by full 40-hex commit, not "6f9f177"`},
		{name: "commit without its tag", old: "deba6 # v4.1.2", new: "deba6",
			want: `jobs.sign.steps[0].uses: "sigstore/cosign-installer@6f9f17788090df1f26f669e9d70d6ae9567deba6": name the commit's tag`},
		{name: "container by tag", old: "alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", new: "alpine:3.22",
			want: `jobs.publish.steps[2].uses: "docker://alpine:3.22": pin the image by @sha256 digest`},
		{name: "reusable workflow by branch", old: "  sign:\n", new: "  other:\n    uses: org/repo/.github/workflows/x.yaml@main\n  sign:\n",
			want: `jobs.other.uses: "org/repo/.github/workflows/x.yaml@main": pin by full 40-hex commit`},
		{name: "cosign installer without a version", old: "        with:\n          cosign-release: v3.0.6\n", new: "",
			want: "jobs.sign.steps[0].with.cosign-release: sigstore/cosign-installer needs cosign-release: vX.Y.Z"},
		{name: "cosign installer on main", old: "cosign-release: v3.0.6", new: "cosign-release: main",
			want: "jobs.sign.steps[0].with.cosign-release: sigstore/cosign-installer needs cosign-release"},
		{name: "id-token outside sign", old: "      packages: write\n", new: "      packages: write\n      id-token: write\n",
			want: `jobs.publish.permissions: id-token: write outside the "sign" job`},
		// Inherited from the workflow: the top-level grant reaches ci and
		// publish alike (publish has its own block, ci has none).
		{name: "id-token for every job", old: "permissions:\n  contents: read\n", new: "permissions:\n  id-token: write\n",
			want: "permissions: grants id-token to every job", wantLen: 3},
		{name: "write-all on a job", old: "    permissions:\n      packages: write\n", new: "    permissions: write-all\n",
			want: `jobs.publish.permissions: id-token: write outside the "sign" job`},
		{name: "no top-level permissions", old: "permissions:\n  contents: read\n", new: "",
			want: "2: permissions: missing"},
		{name: "checkout persists the token where it can write", old: "          persist-credentials: false\n", new: "",
			want: "jobs.publish.steps[0].with.persist-credentials: must be false in a job that can write (packages)"},
		{name: "persist-credentials true", old: "persist-credentials: false", new: "persist-credentials: true",
			want: "jobs.publish.steps[0].with.persist-credentials: must be false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := strings.Replace(good, tt.old, tt.new, 1)
			if tt.old != "" && src == good {
				t.Fatalf("case does not change the workflow: %q not found", tt.old)
			}
			ps, err := check([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			switch {
			case tt.want == "" && len(got) > 0:
				t.Fatalf("problems %q, want none", got)
			case tt.want != "" && (len(got) == 0 || !strings.Contains(got[0], tt.want)):
				t.Fatalf("problems %q, want first containing %q", got, tt.want)
			case tt.want != "" && len(got) != max(tt.wantLen, 1):
				t.Fatalf("problems %q, want %d", got, max(tt.wantLen, 1))
			}
		})
	}
}

// TestRun: the repository's own workflows pass, and a bad file exits 1
// naming file, line and field (what make lint shows).
func TestRun(t *testing.T) {
	t.Parallel()
	own, err := filepath.Glob("../../.github/workflows/*.yaml")
	if err != nil || len(own) == 0 {
		t.Fatalf("no workflows found (%v)", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(good, "persist-credentials: false", "persist-credentials: true", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		files    []string
		wantCode int
		wantOut  string
	}{
		{name: "the repository's workflows", files: own, wantCode: 0},
		{name: "a bad workflow", files: append([]string{bad}, own...), wantCode: 1, wantOut: bad + ":12: jobs.publish.steps[0].with.persist-credentials: must be false"},
		{name: "no file", wantCode: 2},
		{name: "a missing file", files: []string{bad + ".absent"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut strings.Builder
			if code := run(tt.files, &out, &errOut); code != tt.wantCode {
				t.Fatalf("exit %d, want %d; out %q, stderr %q", code, tt.wantCode, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q does not contain %q", out.String(), tt.wantOut)
			}
		})
	}
}
