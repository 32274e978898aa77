package pullfailures

import "testing"

// TestParse reads the kubelet's Failed event messages as the kubelet
// (pkg/kubelet/images: "Failed to pull image %q: %v") and containerd
// (core/remotes/docker: unexpected status, pull access denied, not found) write them.
func TestParse(t *testing.T) {
	t.Parallel()
	const img = "127.0.0.1:40001/library/shop:1"
	const prefix = `Failed to pull image "` + img + `": rpc error: code = Unknown desc = failed to pull and unpack image "` + img + `": failed to resolve reference "` + img + `": `
	for _, tc := range []struct {
		name, message string
		image         string
		reason        Reason
		ok            bool
	}{
		// As the real node's kubelet wrote it in e2e/node's incident (a direct pull at Docker Hub's limit).
		{"429 as the node said it", "Failed to pull image \"docker.io/calico/pod2daemon-flexvol:v3.28.0\": failed to pull and unpack image \"docker.io/calico/pod2daemon-flexvol:v3.28.0\": failed to copy: httpReadSeeker: failed open: unexpected status from GET request to https://registry-1.docker.io/v2/calico/pod2daemon-flexvol/manifests/sha256:b298b2822ae131618a5a8eba0cc016b9f2263caf11654c8658b26051a2672920: 429 Too Many Requests\ntoomanyrequests: You have reached your unauthenticated pull rate limit.",
			"docker.io/calico/pod2daemon-flexvol:v3.28.0", Reason429, true},
		// As the real node said them through the proxies (e2e/node: pull outcomes, credentials).
		{"429 through the proxy, as the node said it", `Failed to pull image "127.0.0.1:27645/library/limited:1": failed to pull and unpack image "127.0.0.1:27645/library/limited:1": failed to resolve image: unexpected status from HEAD request to https://127.0.0.1:27645/v2/library/limited/manifests/1: 429 Too Many Requests`,
			"127.0.0.1:27645/library/limited:1", Reason429, true},
		{"404 through the proxy, as the node said it", `Failed to pull image "127.0.0.1:27645/library/nowhere:1": rpc error: code = NotFound desc = failed to pull and unpack image "127.0.0.1:27645/library/nowhere:1": failed to resolve image: 127.0.0.1:27645/library/nowhere:1: not found`,
			"127.0.0.1:27645/library/nowhere:1", Reason404, true},
		{"no secret, as the node said it", `Failed to pull image "127.0.0.1:32245/acme/billing:1": failed to pull and unpack image "127.0.0.1:32245/acme/billing:1": failed to resolve image: pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
			"127.0.0.1:32245/acme/billing:1", Reason401, true},
		// The proxy passes its upstream's pull limit on (a HEAD has no body).
		{"429 from a HEAD", prefix + "unexpected status from HEAD request to https://127.0.0.1:40001/v2/library/shop/manifests/1: 429 Too Many Requests", img, Reason429, true},
		// A GET has the registry's error body, which containerd joins in.
		{"429 with the registry's code", prefix + "unexpected status from GET request to https://127.0.0.1:40001/v2/library/shop/manifests/sha256:ab: 429 Too Many Requests\ntoomanyrequests: You have reached your unauthenticated pull rate limit.", img, Reason429, true},
		// The pod's namespace lacks the pull secret the proxy needs (e2e/node's credentials scenario).
		{"no credentials", prefix + "pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials", img, Reason401, true},
		{"401 from a token endpoint", prefix + "failed to authorize: failed to fetch oauth token: unexpected status from POST request to https://auth.example/token: 401 Unauthorized", img, Reason401, true},
		// ECR refuses a role without permission with 403: credentials, as resolve classifies it.
		{"403", prefix + "unexpected status from HEAD request to https://1.dkr.ecr.eu-west-1.amazonaws.com/v2/hub/library/shop/manifests/1: 403 Forbidden", img, Reason401, true},
		// A digest an ECR cache cannot fill, a tag Harbor dropped.
		{"not found", prefix + img + ": not found", img, Reason404, true},
		{"manifest unknown", prefix + "unexpected status from GET request to https://p/v2/a/manifests/1: 404 Not Found\nmanifest unknown: manifest unknown", img, Reason404, true},
		{"connection refused", prefix + "failed to do request: Head \"https://127.0.0.1:40001/v2/library/shop/manifests/1\": dial tcp 127.0.0.1:40001: connect: connection refused", img, ReasonOther, true},
		{"server error", prefix + "unexpected status from HEAD request to https://127.0.0.1:40001/v2/library/shop/manifests/1: 502 Bad Gateway", img, ReasonOther, true},
		// The event correlator's aggregate of similar events.
		{"combined", "(combined from similar events): " + prefix + "unexpected status from HEAD request to https://x/v2/a/manifests/1: 429 Too Many Requests", img, Reason429, true},
		// An image with a digest, quoted by %q.
		{"digest", `Failed to pull image "p.internal/hub/app:1@sha256:0123": rpc error: code = NotFound desc = failed to pull and unpack image: not found`, "p.internal/hub/app:1@sha256:0123", Reason404, true},
		// The kubelet's other Failed events of a container are no pull.
		{"ErrImagePull", "Error: ErrImagePull", "", "", false},
		{"ImagePullBackOff", "Error: ImagePullBackOff", "", "", false},
		{"container start", "Error: failed to create containerd task: failed to create shim task", "", "", false},
		{"unquoted image", "Failed to pull image nginx: boom", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			image, reason, ok := Parse(tc.message)
			if image != tc.image || reason != tc.reason || ok != tc.ok {
				t.Errorf("Parse = %q, %q, %v; want %q, %q, %v", image, reason, ok, tc.image, tc.reason, tc.ok)
			}
		})
	}
}
