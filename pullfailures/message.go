package pullfailures

import (
	"strconv"
	"strings"
)

// Reason is why a pull failed, the "reason" label: a closed set.
type Reason string

// The reasons, by the registry's answer.
const (
	Reason429   Reason = "429"   // too many requests: the upstream's pull limit, through the proxy
	Reason401   Reason = "401"   // credentials refused or missing (HTTP 401 or 403)
	Reason404   Reason = "404"   // the proxy has no such manifest or repository
	ReasonOther Reason = "other" // anything else: unreachable, TLS, a server error, a bad platform
)

// Reasons lists every Reason, in label order.
var Reasons = []Reason{Reason429, Reason401, Reason404, ReasonOther}

const (
	// pullFailedPrefix begins the kubelet's message for a failed pull
	// (pkg/kubelet/images: "Failed to pull image %q: %v").
	pullFailedPrefix = "Failed to pull image "
	// combinedPrefix begins a message the kubelet's event correlator
	// aggregated from similar events.
	combinedPrefix = "(combined from similar events): "
)

// reasonWords are what the runtime's error says for each reason, lower-cased,
// in the order they are tried: containerd writes "unexpected status from HEAD
// request to URL: 429 Too Many Requests" and the registry's error code
// ("toomanyrequests: …"), "pull access denied, … authorization failed", "…:
// not found".
var reasonWords = []struct {
	reason Reason
	words  []string
}{
	{Reason429, []string{"429 too many requests", "toomanyrequests"}},
	{Reason401, []string{"401 unauthorized", "403 forbidden", "authorization failed", "pull access denied", "no basic auth credentials", "unauthorized:", "denied:"}},
	{Reason404, []string{"404 not found", ": not found", "manifest unknown", "name unknown"}},
}

// Parse reads a kubelet event message: the image of a failed pull and why;
// false for any other message ("Error: ErrImagePull", a container's failure).
func Parse(message string) (image string, reason Reason, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimPrefix(message, combinedPrefix), pullFailedPrefix)
	if !ok {
		return "", "", false
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "", "", false
	}
	if image, err = strconv.Unquote(quoted); err != nil {
		return "", "", false
	}
	return image, classify(strings.ToLower(rest[len(quoted):])), true
}

// classify is the reason an error's lower-cased text names.
func classify(text string) Reason {
	for _, r := range reasonWords {
		for _, w := range r.words {
			if strings.Contains(text, w) {
				return r.reason
			}
		}
	}
	return ReasonOther
}
