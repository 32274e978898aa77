package webhook

import (
	"os"
	"path/filepath"
	"testing"

	sigsjson "sigs.k8s.io/json"
)

// FuzzHandler feeds random bytes and mutated fixtures to the HTTP handler:
// it must never panic, always answer with an AdmissionReview, and echo the
// request's UID whenever the request carried one, even when the rest of the
// review does not decode; its patch must give the object the generic diff
// gives (checkOracle); and the review read in one pass must get the answer
// it gets read by decodeReview (checkOnePass). The seeds are every request
// fixture, so `go test` proves the operations against the oracle, and the
// one pass against decodeReview, over the fixtures and the saved corpus.
func FuzzHandler(f *testing.F) {
	fixtures, err := filepath.Glob("testdata/requests/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range fixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	fx := newFixture(f, "testdata/config.yaml")
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := post(t, fx.mutate, body)
		checkOnePass(t, fx.mutateHandler, body)
		checkOracle(t, fx.mutateHandler, body, resp.Patch)
		checkOracle(t, fx.auditHandler, body, post(t, fx.audit, body).Patch)
		// Read as the API server's decoder reads: case-sensitively.
		var in struct {
			Request *struct {
				UID string `json:"uid"`
			} `json:"request"`
		}
		if sigsjson.UnmarshalCaseSensitivePreserveInts(body, &in) == nil && in.Request != nil && in.Request.UID != "" && string(resp.UID) != in.Request.UID {
			t.Fatalf("response UID %q, request UID %q", resp.UID, in.Request.UID)
		}
	})
}
