package config

import (
	"os"
	"testing"
)

// FuzzParse checks the contract between validation and routing on arbitrary
// input: Parse never panics, and a config it accepts is one rewrite.New
// accepts too (both apply the same rules), valid again after a round of
// Default and Validate.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../examples/config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(example),
		"mirrors: [{source: docker.io, target: p.example/x}]\n",
		"mirrors: [{source: Docker.IO, target: p.example/x}, {source: index.docker.io/a, target: p.example/y}]\nexclude: {images: ['Docker.io/library/*']}\n",
		"mirrors: [{source: ghcr.io, target: quay.io/ghcr}, {source: quay.io, target: p.example/q}]\n",
		`{"mirrors":[{"source":"quay.io","target":"localhost:5000"}],"mode":"audit"}`,
		"mirrors: [\n",
		"mirrors: [{source: ghcr.io:443, target: P.example:443/x}]\npublicRegistries: {add: ['*.vendor.example', 'x.example:5000'], remove: [cgr.dev]}\nunrouted: deny\n",
		"mirrors: [{source: docker.io, target: p.example/x}]\npublicRegistries: {builtIn: false, add: ['*.io:5000']}\n",
		"mirrors: [{source: docker.io, target: p.example/x}, {source: docker.io, target: p.example/a, namespaces: [team-a, 'team-a-*']}, {source: docker.io, target: p.example/b, namespaceSelector: {matchLabels: {tenant: b}}}]\n",
		"mirrors: [{source: docker.io, target: p.example/a, namespaces: ['t[a-c]*']}, {source: docker.io, target: p.example/b, namespaces: ['*x'], namespaceSelector: {matchExpressions: [{key: t, operator: NotIn, values: [a]}]}}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			return
		}
		if _, err := cfg.Rewriter(); err != nil {
			t.Fatalf("Parse accepted a config that rewrite.New refuses: %v\n%s", err, data)
		}
		cfg.Default()
		if err := cfg.Validate(); err != nil {
			t.Fatalf("an accepted config is invalid after Default: %v\n%s", err, data)
		}
	})
}
