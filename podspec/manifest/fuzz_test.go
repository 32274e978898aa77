package manifest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pullthrough/pullthrough/config"
)

// FuzzManifest: arbitrary streams never panic, and a rewritten stream is a
// fixed point (rewriting it again changes nothing and finds the same images).
func FuzzManifest(f *testing.F) {
	inputs, err := filepath.Glob("testdata/*.in.*")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range inputs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("kind: Pod\nspec:\n  containers: [{name: a, image: \"nginx\"}]\n"))
	// Merge keys, shared and inline, and an anchor merged into itself.
	f.Add([]byte("kind: Pod\nmetadata: {x: &d {image: nginx:1}}\nspec:\n  containers:\n  - <<: [*d, {name: a}]\n"))
	f.Add([]byte("kind: Pod\nspec: &s\n  <<: *s\n  containers:\n  - <<: *s\n"))
	cfg, err := config.Load("../../examples/config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	r, err := cfg.Rewriter()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, images, err := Rewrite(in, r)
		if err != nil {
			return
		}
		again, images2, err := Rewrite(out, r)
		if err != nil {
			t.Fatalf("the output does not parse again: %v\ninput: %q\noutput: %q", err, in, out)
		}
		if string(again) != string(out) || len(images2) != len(images) {
			t.Fatalf("not a fixed point:\ninput: %q\nonce:  %q\ntwice: %q", in, out, again)
		}
	})
}
