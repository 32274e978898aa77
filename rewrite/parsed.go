package rewrite

import (
	"sync"
	"sync/atomic"

	"github.com/distribution/reference"
)

// parsedImage is what Rewrite needs of an image reference: its canonical
// name and its tag and digest as written. ok is false when it does not parse.
type parsedImage struct {
	name, suffix string
	ok           bool
}

// maxParsed bounds the memo of parseImage: past it, a reference is parsed
// on each call (the memo is only a cost saving).
const maxParsed = 8192

// parsedImages memoizes parseImage for every Rewriter, Rewrite, SourceOf and
// RegistryOf alike, as a parse depends on the reference alone. A cluster's
// pods name a few hundred distinct images over and over, and parsing one
// (distribution/reference's regular expressions) was the largest part of the
// webhook's own work per pod after reading the JSON (docs/performance.md).
var parsedImages struct {
	m sync.Map // string → parsedImage
	n atomic.Int64
}

// parseImage parses image as Rewrite reads it, from the memo when it can.
func parseImage(image string) parsedImage {
	if p, ok := parsedImages.m.Load(image); ok {
		return p.(parsedImage)
	}
	var p parsedImage
	if named, err := reference.ParseNormalizedNamed(image); err == nil {
		p = parsedImage{name: canonicalName(named), suffix: tagAndDigest(named), ok: true}
	}
	if parsedImages.n.Add(1) <= maxParsed {
		parsedImages.m.Store(image, p)
	}
	return p
}
