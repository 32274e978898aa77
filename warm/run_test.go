package warm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/resolve"
)

// ecrLike plays an ECR pull-through cache: it serves a digest only once a tag
// pointing at it was fetched; tags maps a tag to its digest now.
type ecrLike struct {
	tags    map[string]string
	cached  map[string]bool
	fetched []string
}

func (p *ecrLike) Fetch(_ context.Context, namespace, image string) (string, resolve.Result) {
	p.fetched = append(p.fetched, namespace+" "+image)
	digest, ok := p.tags[image]
	if !ok {
		return "", resolve.Result{Status: resolve.StatusNotFound, Err: errors.New("MANIFEST_UNKNOWN")}
	}
	name, _, _ := strings.Cut(image, ":")
	p.cached[name+"@"+digest] = true
	return digest, resolve.Result{Status: resolve.StatusServed}
}

func (p *ecrLike) Verify(_ context.Context, _, image string) resolve.Result {
	if p.cached[image] {
		return resolve.Result{Status: resolve.StatusServed}
	}
	return resolve.Result{Status: resolve.StatusNotFound, Err: errors.New("MANIFEST_UNKNOWN")}
}

func TestRun(t *testing.T) {
	t.Parallel()
	const repo = "proxy.internal/hub/library/nginx"
	target := func(tag, digest string) Target {
		t := Target{Namespace: "shop", Reference: repo + ":" + tag + "@" + digest, Digest: repo + "@" + digest, Where: []string{"Deployment/web web"}}
		if tag != "" {
			t.Tag = repo + ":" + tag
		} else {
			t.Reference = repo + "@" + digest
		}
		return t
	}
	for _, tc := range []struct {
		name      string
		target    Target
		cached    bool // the digest is in the cache before
		tagStatus resolve.Status
		digest    resolve.Status
		outcome   Outcome
		errWants  string
	}{
		// The case warm exists for: the tag's pull fills the cache with the digest.
		{"tag fills the digest", target("1.27", d1), false, resolve.StatusServed, resolve.StatusServed, OutcomeWarmed, ""},
		// No tag: nothing to pull, said so; not cached, it fails.
		{"digest only, not cached", target("", d1), false, TagNone, resolve.StatusNotFound, OutcomeFailed, "no tag to pull"},
		// No tag, but the proxy has the digest: served, nothing to do.
		{"digest only, cached", target("", d1), true, TagNone, resolve.StatusServed, OutcomeServed, "no tag to pull"},
		// The tag moved on upstream: pulling it brings another digest.
		{"tag moved", target("1.28", d1), false, resolve.StatusServed, resolve.StatusNotFound, OutcomeFailed, "the tag now points at " + d2},
		// The tag is gone upstream, and the digest was never cached.
		{"tag gone", target("0.9", d1), false, resolve.StatusNotFound, resolve.StatusNotFound, OutcomeFailed, "pulling the tag: not-found"},
		// The tag is gone but the digest is cached: pods start.
		{"tag gone, digest cached", target("0.9", d1), true, resolve.StatusNotFound, resolve.StatusServed, OutcomeServed, "pulling the tag: not-found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &ecrLike{tags: map[string]string{repo + ":1.27": d1, repo + ":1.28": d2}, cached: map[string]bool{repo + "@" + d1: tc.cached}}
			got := Run(t.Context(), p, []Target{tc.target})
			if len(got) != 1 {
				t.Fatalf("Run = %d results, want 1", len(got))
			}
			r := got[0]
			if r.TagStatus != tc.tagStatus || r.DigestStatus != tc.digest || r.Outcome != tc.outcome || !reflect.DeepEqual(r.Target, tc.target) {
				t.Errorf("result = %+v, want tag %s, digest %s, outcome %s", r, tc.tagStatus, tc.digest, tc.outcome)
			}
			if (tc.errWants == "") != (r.Error == "") || !strings.Contains(r.Error, tc.errWants) {
				t.Errorf("error = %q, want one with %q", r.Error, tc.errWants)
			}
			if tc.target.Tag == "" && len(p.fetched) > 0 {
				t.Errorf("fetched %v for a reference without a tag", p.fetched)
			}
			if tc.target.Tag != "" && !reflect.DeepEqual(p.fetched, []string{"shop " + tc.target.Tag}) {
				t.Errorf("fetched %v, want the tag once with the namespace's credentials", p.fetched)
			}
			if failed := Failed(got); (len(failed) == 1) != (tc.outcome == OutcomeFailed) {
				t.Errorf("Failed = %v", failed)
			}
		})
	}
}

// TestWrite: every row, the first place and the count of the others, "-" for
// a manifest's namespace, the tag's fate; JSON has every field.
func TestWrite(t *testing.T) {
	t.Parallel()
	results := []Result{
		{Target: Target{Reference: "p.internal/a:1@" + d1, Tag: "p.internal/a:1", Digest: "p.internal/a@" + d1, Where: []string{"a.yaml:3 Pod/x app", "b.yaml:9 Pod/y app"}},
			TagStatus: resolve.StatusServed, TagDigest: d1, DigestStatus: resolve.StatusServed, Outcome: OutcomeWarmed},
		{Target: Target{Namespace: "shop", Reference: "p.internal/b@" + d2, Digest: "p.internal/b@" + d2, Where: []string{"Pod/z\napp"}},
			TagStatus: TagNone, DigestStatus: resolve.StatusNotFound, Outcome: OutcomeFailed, Error: "no tag"},
	}
	var table bytes.Buffer
	if err := WriteTable(&table, results); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"NAMESPACE  FOUND-IN",
		"-          a.yaml:3 Pod/x app (+1)  p.internal/a:1@" + d1 + "  pulled  served     warmed",
		`shop       "Pod/z\napp"`,
		"no-tag  not-found  failed",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, results); err != nil {
		t.Fatal(err)
	}
	var back []Result
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || !reflect.DeepEqual(back, results) {
		t.Errorf("JSON round trip = %+v (%v)\nwant %+v", back, err, results)
	}
	if got, want := Summary(results, 3), "warm: digest references 2: 1 warmed, 0 served, 1 failed; without a digest, left out (a proxy fills a tag on its first pull): 3"; !strings.HasPrefix(got, want) {
		t.Errorf("Summary = %q, want it to start %q", got, want)
	}
}
