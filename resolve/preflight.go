package resolve

import "context"

// Verifier tells whether the proxy serves an image, with the credentials that
// apply in a namespace (its pull secrets, as its pods would pull it).
type Verifier interface {
	Verify(ctx context.Context, namespace, image string) Result
}

// Image is one reference to check and the namespace whose credentials pull it.
type Image struct {
	Namespace, Reference string
}

// Preflight is the one check behind `pullthrough verify` and `migrate
// --verify`: it asks v about each distinct image once, however many
// containers or objects name it, and returns every answer by image. Callers
// pass the images that are (or will be) pulled through the proxy
// (rewrite.Outcome.ThroughProxy): a reference left on a public registry says
// nothing about the proxy.
func Preflight(ctx context.Context, v Verifier, images []Image) map[Image]Result {
	results := make(map[Image]Result, len(images))
	for _, img := range images {
		if _, ok := results[img]; !ok {
			results[img] = v.Verify(ctx, img.Namespace, img.Reference)
		}
	}
	return results
}
