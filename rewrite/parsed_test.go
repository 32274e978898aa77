package rewrite

import (
	"fmt"
	"testing"

	"github.com/distribution/reference"
)

// TestParseImage: the memo answers what a parse answers, the first time and
// every time after, and holds no more than maxParsed references.
func TestParseImage(t *testing.T) {
	tests := []struct {
		image string
		want  parsedImage
	}{
		{"nginx", parsedImage{"docker.io/library/nginx", "", true}},
		{"nginx:1.27", parsedImage{"docker.io/library/nginx", ":1.27", true}},
		{"registry-1.docker.io/nginx:1", parsedImage{"docker.io/library/nginx", ":1", true}},
		{"Docker.IO/nginx", parsedImage{"docker.io/library/nginx", "", true}},
		{"quay.io/calico/node:v3.28.0@" + digest, parsedImage{"quay.io/calico/node", ":v3.28.0@" + digest, true}},
		{"ghcr.io/acme/app@" + digest, parsedImage{"ghcr.io/acme/app", "@" + digest, true}},
		{"docker.io/UPPER/case", parsedImage{}},
		{"", parsedImage{}},
		{"nginx:", parsedImage{}},
	}
	for _, tt := range tests {
		for _, pass := range []string{"first", "memo"} {
			if got := parseImage(tt.image); got != tt.want {
				t.Errorf("%s parse of %q = %+v, want %+v", pass, tt.image, got, tt.want)
			}
		}
	}
	for i := range maxParsed + 10 {
		parseImage(fmt.Sprintf("example.com/bound/app-%d", i))
	}
	stored := 0
	parsedImages.m.Range(func(any, any) bool { stored++; return true })
	if stored > maxParsed {
		t.Errorf("the memo holds %d references, more than maxParsed (%d)", stored, maxParsed)
	}
	// Past the bound, a reference is still read right.
	if named, err := reference.ParseNormalizedNamed("example.com/late/app:1"); err != nil || parseImage("example.com/late/app:1") != (parsedImage{canonicalName(named), ":1", true}) {
		t.Errorf("past the bound: %+v (%v)", parseImage("example.com/late/app:1"), err)
	}
}
