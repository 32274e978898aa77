package manifest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func testRewriter(t *testing.T) *rewrite.Rewriter {
	t.Helper()
	cfg, err := config.Load("../../examples/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := cfg.Rewriter()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGolden rewrites each testdata/*.in.* file and compares the output, and
// a summary of the decisions, with the golden files beside it.
func TestGolden(t *testing.T) {
	t.Parallel()
	r := testRewriter(t)
	inputs, err := filepath.Glob("testdata/*.in.*")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, images, err := Rewrite(src, r)
			if err != nil {
				t.Fatal(err)
			}
			var summary strings.Builder
			for _, img := range images {
				fmt.Fprintf(&summary, "%d %s %s/%s line %d: %s -> %s (%s)\n", img.Document, img.Object, img.Field, img.Name, img.Line, img.Old, img.Image, img.Outcome)
			}
			golden(t, strings.Replace(in, ".in.", ".out.", 1), out)
			golden(t, strings.Replace(in, ".in.", ".images.", 1)+".txt", []byte(summary.String()))
			again, _, err := Rewrite(out, r)
			if err != nil || string(again) != string(out) {
				t.Errorf("rewriting the output again changed it (err %v)", err)
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestRewriteErrors(t *testing.T) {
	t.Parallel()
	r := testRewriter(t)
	tests := []struct{ name, in, want string }{
		{"bad yaml", "kind: Pod\nspec: [\n", "document 1"},
		{"bad yaml second document", "kind: Service\n---\nkind: Pod\n  x: [\n", "document 2"},
		{"bad json", `{"kind": "Pod"} {"kind":`, "document 2"},
		{"alias image", "kind: Pod\nmetadata: {x: &img nginx:1}\nspec:\n  containers:\n  - name: a\n    image: *img\n", "YAML alias *img"},
		{"anchored image", "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: &img nginx:1\n  - name: b\n    image: *img\n", "anchor &img"},
		{"block scalar image", "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: >-\n      nginx\n", "cannot be edited in place"},
		// A merge key shares the image with every user of the anchor:
		// editing it in place would change them all, skipping it would
		// leave a public image behind.
		{"image under a merge key", "kind: Pod\nmetadata: {name: p, x: &defaults {image: nginx:1}}\nspec:\n  containers:\n  - <<: *defaults\n    name: a\n",
			"image of container \"a\" comes through the YAML merge key <<: *defaults"},
		{"container list under a merge key", "x: &spec\n  containers:\n  - {name: a, image: nginx:1}\nkind: Pod\nmetadata: {name: p}\nspec:\n  <<: *spec\n",
			"image of container \"a\" comes through the YAML merge key <<: *spec"},
		{"merge key sequence", "kind: Pod\nmetadata: {name: p, x: &a {name: a}, y: &b {image: nginx:1}}\nspec:\n  containers:\n  - <<: [*a, *b]\n",
			"image of container \"a\" comes through the YAML merge key <<: *b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := Rewrite([]byte(tt.in), r); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestMergeKeys: an image reached through a merge key is found and decided
// like any other; only one shared through an alias fails to be edited
// (TestRewriteErrors).
func TestMergeKeys(t *testing.T) {
	t.Parallel()
	r := testRewriter(t)
	tests := []struct {
		name, in, want string
		images         []string // Old of each image found
	}{{
		// An inline mapping merged in is written once: edited in place.
		name:   "inline merge rewritten",
		in:     "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - <<: {image: ghcr.io/acme/app:1}\n    name: a\n",
		want:   "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - <<: {image: proxy.example.internal/ghcr/acme/app:1}\n    name: a\n",
		images: []string{"ghcr.io/acme/app:1"},
	}, {
		// A key written in the mapping wins over the merged one.
		name:   "own key wins over the merged one",
		in:     "kind: Pod\nmetadata: {name: p, x: &d {image: nginx:1}}\nspec:\n  containers:\n  - <<: *d\n    image: ghcr.io/acme/app:1\n    name: a\n",
		want:   "kind: Pod\nmetadata: {name: p, x: &d {image: nginx:1}}\nspec:\n  containers:\n  - <<: *d\n    image: proxy.example.internal/ghcr/acme/app:1\n    name: a\n",
		images: []string{"ghcr.io/acme/app:1"},
	}, {
		// Left as it is, so there is nothing to edit and nothing to refuse.
		name:   "merged image that stays is reported",
		in:     "kind: Pod\nmetadata: {name: p, x: &d {image: registry.corp.example/app:1}}\nspec:\n  containers:\n  - <<: *d\n    name: a\n",
		want:   "kind: Pod\nmetadata: {name: p, x: &d {image: registry.corp.example/app:1}}\nspec:\n  containers:\n  - <<: *d\n    name: a\n",
		images: []string{"registry.corp.example/app:1"},
	}, {
		// An anchor merged into itself must end, not loop.
		name: "self-merge ends",
		in:   "kind: Pod\nspec: &s\n  <<: *s\n  containers:\n  - <<: *s\n",
		want: "kind: Pod\nspec: &s\n  <<: *s\n  containers:\n  - <<: *s\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, images, err := Rewrite([]byte(tt.in), r)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out, tt.want)
			}
			var olds []string
			for _, img := range images {
				olds = append(olds, img.Old)
			}
			if !slices.Equal(olds, tt.images) {
				t.Errorf("images %q, want %q", olds, tt.images)
			}
		})
	}
}
