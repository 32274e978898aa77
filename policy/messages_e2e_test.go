package policy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/admission"

	"github.com/pullthrough/pullthrough/webhook"
	"github.com/pullthrough/pullthrough/wellknown"
)

// pullthroughWarnings are the texts of the warnings pullthrough's
// validating policies sent, without the API server's prefix, sorted.
func pullthroughWarnings(raw []string) []string {
	var out []string
	for _, w := range raw {
		if _, text, ok := strings.Cut(w, "': "); ok && strings.HasPrefix(w, "Validation failed for ValidatingAdmissionPolicy 'pullthrough-") {
			out = append(out, text)
		}
	}
	slices.Sort(out)
	return out
}

// messages are what a person creating a pod reads: the warnings, and the
// reason the pod was denied ("" when it was admitted).
type messages struct {
	warnings []string
	denial   string
}

// webhookMessages are the webhook's messages for r, less the documented
// differences (docs/policy-engine.md): the enforce path's "X -> Y" lines and
// the unparseable lines, which the policies do not send.
func webhookMessages(t *testing.T, hook *webhookEngine, r request) messages {
	t.Helper()
	_, warnings, denial := hook.answer(t, r)
	warnings = slices.DeleteFunc(slices.Clone(warnings), func(w string) bool {
		return strings.Contains(w, " -> ") || strings.Contains(w, ": cannot read ")
	})
	slices.Sort(warnings)
	return messages{warnings: warnings, denial: denial}
}

// policyMessages are the API server's messages for a dry run of p in ns
// (send makes the request), with the policies' prefixes taken away.
func (e *policyEnv) policyMessages(ctx context.Context, send func(context.Context) error) (messages, error) {
	e.warnings.Take()
	err := send(ctx)
	m := messages{warnings: pullthroughWarnings(e.warnings.Take())}
	if err != nil {
		_, reason, ok := strings.Cut(err.Error(), "ValidatingAdmissionPolicy 'pullthrough-")
		if !ok {
			return m, err
		}
		_, m.denial, _ = strings.Cut(reason, "denied request: ")
	}
	return m, nil
}

// expectMessages requires the same messages of the API server's policies as
// of the webhook, polling while the API server loads the policies.
func (e *policyEnv) expectMessages(t *testing.T, what string, want messages, send func(context.Context) error) {
	t.Helper()
	var got messages
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		got, err = e.policyMessages(ctx, send)
		return err == nil && slices.Equal(got.warnings, want.warnings) && got.denial == want.denial, err
	})
	if err != nil {
		t.Errorf("%s: the policies and the webhook disagree (%v):\n policy:  %q\n          denial %q\n webhook: %q\n          denial %q",
			what, err, got.warnings, got.denial, want.warnings, want.denial)
	}
}

// TestMessagesOnAPIServer sends the same pods through both engines, the
// policies on a real kube-apiserver and the webhook's handler, and requires
// the same warnings and the same denial, word for word, under unrouted: warn
// and deny, in every kind of namespace: every place an image is named
// (containers, init containers, a kubectl debug container, image volumes),
// excluded images, public registries named by host and by wildcard,
// registries no rule names, images already on the proxy, an unparseable
// one, an opted-out pod.
func TestMessagesOnAPIServer(t *testing.T) {
	pods := map[string]*corev1.Pod{
		"every location": with(podOf([]string{"app=ghcr.io/acme/app:1", "gpu=nvcr.io/nvidia/cuda:12", "own=registry.internal/x"},
			[]string{"init=mcr.microsoft.com/dotnet/runtime:8.0", "native=docker.io/bitnami/redis"}, nil),
			imageVolume("models", "nvcr.io/nim/meta/llama3:1.0"), imageVolume("weights", "ghcr.io/acme/models:v1")),
		"excluded and public": podOf([]string{"bb=busybox:1.36", "secret=ghcr.io/acme/secret", "acr=x.azurecr.io/a",
			"vendor=registry.vendor.example:5000/a", "regional=eu.gcr.io:443/p/a"}, nil, nil),
		"not routed":    podOf([]string{"own=registry.internal/x", "local=localhost:5000/x", "proxied=proxy.example.internal/ghcr/a"}, nil, nil),
		"all rewritten": podOf([]string{"web=nginx", "app=ghcr.io/acme/app:1"}, nil, nil),
		"unparseable":   podOf([]string{"bad=ghcr.io/Acme/app", "gpu=nvcr.io/nvidia/cuda:12"}, nil, nil),
		"opted out":     with(podOf([]string{"gpu=nvcr.io/nvidia/cuda:12"}, nil, nil), labelled(wellknown.LabelSkip, "true")),
		"volume only":   with(podOf([]string{"app=proxy.example.internal/ghcr/a"}, nil, nil), imageVolume("models", "nvcr.io/nim/meta/llama3:1.0")),
		"nothing to do": podOf([]string{"own=registry.internal/x"}, nil, nil),
	}
	for _, unrouted := range []string{"warn", "deny"} {
		t.Run("unrouted "+unrouted, func(t *testing.T) {
			e := startPolicyEnvYAML(t, testConfigs["paths"]+"unrouted: "+unrouted+"\n")
			if e == nil {
				return
			}
			ctx := t.Context()
			hooks := map[string]*webhookEngine{"team": e.hook, "labelled": e.hook, "excluded": e.hook, "audited": e.audit,
				"typo": newWebhookEngine(t, e.cfg, webhook.PathAuditUnknownMode), "off": nil}
			for name, p := range pods {
				for ns, hook := range hooks {
					// The webhook is not called in an off namespace, nor
					// for an opted-out pod (the chart's objectSelector).
					var want messages
					if hook != nil && p.Labels[wellknown.LabelSkip] != "true" {
						want = webhookMessages(t, hook, request{op: admission.Create, namespace: ns, pod: p})
					}
					e.expectMessages(t, name+" in "+ns, want, func(ctx context.Context) error {
						_, err := e.dryRun(ctx, ns, p)
						return err
					})
				}
			}
			// kubectl debug: the ephemeral container, through its subresource.
			p := podOf([]string{"app=registry.internal/app"}, nil, nil)
			p.Name, p.Namespace = "debugged", "team"
			created, err := e.cs.CoreV1().Pods("team").Create(ctx, p, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			debug := created.DeepCopy()
			debug.Spec.EphemeralContainers = append(debug.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debug", Image: "nvcr.io/nvidia/tools:1", TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent}})
			want := webhookMessages(t, e.hook, request{op: admission.Update, subResource: "ephemeralcontainers", namespace: "team", pod: debug, old: created})
			if want.warnings == nil && want.denial == "" {
				t.Fatal("the webhook has nothing to say about a debug container from a public registry: the case tests nothing")
			}
			e.expectMessages(t, "kubectl debug", want, func(ctx context.Context) error {
				_, err := e.cs.CoreV1().Pods("team").UpdateEphemeralContainers(ctx, p.Name, debug, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
				return err
			})
		})
	}
}
