package webhook

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// Path is a URL path the webhook serves. The API server picks one per
// namespace by the label wellknown.LabelMode (pullthrough.dev/mode), so a
// path stands for the namespace's mode, which config.Config.ModeIn turns into
// the mode in force; a Path is not a config.Mode.
type Path string

// The paths: PathMutate for no label or config.ModeEnforce, PathAudit for
// config.ModeAudit, PathAuditUnknownMode for any value that is not a mode (a
// typo must never enforce), none for config.ModeOff.
const (
	PathMutate           Path = "/mutate-pods"
	PathAudit            Path = "/audit-pods"
	PathAuditUnknownMode Path = "/audit-pods-unknown-mode"
)

// namespaceMode is the mode of the namespaces routed to p.
func (p Path) namespaceMode() config.Mode {
	if p == PathMutate {
		return config.ModeEnforce
	}
	return config.ModeAudit
}

// operationOther is the "operation" label of a request that is neither a
// CREATE nor an UPDATE.
const operationOther = "other"

// Request results, the "result" label of pullthrough_admission_requests_total.
const (
	resultPatched   = "patched"   // allowed with a patch
	resultUnchanged = "unchanged" // allowed, nothing to patch
	resultRejected  = "rejected"  // not a Pod, or unreadable: error response
	resultDenied    = "denied"    // unrouted: deny, and an image no mirror covers
	resultError     = "error"     // internal error: allowed unchanged
	// resultTooManyImages: more images than Limits.MaxPodImages, allowed
	// unchanged with one warning.
	resultTooManyImages = "too-many-images"
	// resultOverloaded: refused with HTTP 429 before its body was read, for
	// lack of room among the request bytes in flight (Limits.MaxBytesInFlight).
	resultOverloaded = "overloaded"
)

// results are the values of the "result" label, each series made at start.
var results = []string{resultPatched, resultUnchanged, resultRejected, resultDenied, resultError, resultTooManyImages, resultOverloaded}

// PodHandler rewrites the images of Pods. One handler serves each path.
type PodHandler struct {
	// State holds the config in force and the proxy's health, read per request.
	State *State
	// Metrics counts every request and image.
	Metrics *Metrics
	// Path is the path the handler serves: with the config in force, it
	// gives the mode (config.Config.ModeIn); on PathAuditUnknownMode every
	// answer also carries wellknown.WarningUnknownMode.
	Path Path
	// Limits bound the images decided and the warnings sent per pod; the
	// zero value is DefaultLimits.
	Limits Limits
}

var _ admission.Handler = (*PodHandler)(nil)

// Handle answers one AdmissionRequest and records it in the metrics.
func (h *PodHandler) Handle(ctx context.Context, req admission.Request) admission.Response {
	start := time.Now()
	resp, result := h.handle(ctx, req)
	h.Metrics.observeRequest(operationLabel(req.Operation), result, time.Since(start))
	return resp
}

// operationLabel bounds the "operation" label: the request body is not
// trusted to name a real operation.
func operationLabel(op admissionv1.Operation) string {
	if op == admissionv1.Create || op == admissionv1.Update {
		return string(op)
	}
	return operationOther
}

func (h *PodHandler) handle(ctx context.Context, req admission.Request) (admission.Response, string) {
	p, old, early, result := decodeRequest(req)
	if p == nil {
		return early, result
	}
	limits := h.Limits.withDefaults()
	if n := p.Spec.Images(); n > limits.MaxPodImages {
		// Deciding is work per image, and a pod of 40,000 containers fits the
		// API server's request size: past the cap the pod is left as written.
		logf.FromContext(ctx).Info("pod has more images than are decided per pod; allowing it unchanged",
			"uid", req.UID, "namespace", req.Namespace, "name", podName(p, req), "images", n, "limit", limits.MaxPodImages)
		return admission.Allowed("").WithWarnings(wellknown.WarningTooManyImages(strconv.Itoa(n), limits.MaxPodImages)), resultTooManyImages
	}
	pp, changes, replaced, denial := h.plan(ctx, req, p, old)
	if denial != "" {
		logf.FromContext(ctx).Info("denied pod: an image would be pulled from a public registry no mirror covers",
			"uid", req.UID, "namespace", req.Namespace, "name", podName(p, req))
		return admission.Denied(denial), resultDenied
	}
	for _, key := range replaced {
		logf.FromContext(ctx).Info("annotation was not pullthrough's JSON; replaced", "annotation", key,
			"uid", req.UID, "namespace", req.Namespace, "name", podName(p, req))
	}
	warnings := capWarnings(warningsFor(changes), limits.MaxWarnings)
	if h.Path == PathAuditUnknownMode {
		// The person whose pod was left alone learns why, before the per-image lines.
		warnings = append([]string{wellknown.WarningUnknownMode}, warnings...)
	}
	if pp.empty() {
		return admission.Allowed("").WithWarnings(warnings...), resultUnchanged
	}
	ops, err := pp.ops(p)
	if err != nil {
		// Never the reason a pod fails to start: allow it as it came.
		logf.FromContext(ctx).Error(err, "cannot build the patch; allowing the pod unchanged",
			"uid", req.UID, "namespace", req.Namespace, "name", podName(p, req))
		h.Metrics.internalErrors.Inc()
		return admission.Allowed(""), resultError
	}
	logf.FromContext(ctx).V(1).Info("patched pod", "uid", req.UID, "namespace", req.Namespace,
		"name", podName(p, req), "rewritten", len(pp.images), "path", h.Path)
	return admission.Patched("", ops...).WithWarnings(warnings...), resultPatched
}

// plan decides the request's images in the mode in force, leaves as written
// those the proxy is not known to serve (servedCheck), and counts them;
// then either denies the pod (denial, under unrouted: deny) or collects what
// the patch changes, with the annotations that were not our JSON and are
// replaced.
func (h *PodHandler) plan(ctx context.Context, req admission.Request, p *pod, old *oldPod) (pp *podPatch, changes []podspec.Change, replaced []string, denial string) {
	routing, rw, mode := h.State.rewriter(h.Path, req.Namespace)
	// The served check asks only about rewrites that would be applied:
	// audit, a down proxy and a missing pull secret withhold them all.
	enforcing := rw == routing.Rewriter
	rw = h.inNamespace(ctx, routing, rw, req.Namespace)
	cfg := routing.Config
	changes = decide(rw, p, old, cfg.NamespaceExcluded(req.Namespace))
	if routing.served != nil && enforcing {
		h.State.checkServed(ctx, routing, h.Metrics, changes)
	}
	h.Metrics.countImages(changes)
	if denial = unroutedDenial(mode, cfg, changes); denial != "" {
		return nil, changes, nil, denial
	}
	// The ephemeralcontainers subresource stores only ephemeral containers:
	// the API server puts the old metadata back, so annotations are not sent.
	pp, replaced = newPodPatch(p, changes, req.SubResource == "", req.Operation == admissionv1.Create)
	// Only on CREATE (a running pod's imagePullSecrets are immutable), and
	// never when auditing, which changes nothing.
	if req.Operation == admissionv1.Create && mode == config.ModeEnforce && pullsFromProxy(changes) {
		pp.addPullSecrets(p, cfg.ImagePullSecrets)
	}
	return pp, changes, replaced, ""
}

// decodeRequest reads the pod (and, on UPDATE, the old pod) of a request
// this handler serves. A nil pod means the request is answered already: an
// error response for what is not a readable Pod, an allowance for what the
// handler does not handle.
func decodeRequest(req admission.Request) (p *pod, old *oldPod, early admission.Response, result string) {
	if req.Kind.Group != "" || req.Kind.Kind != "Pod" {
		return nil, nil, admission.Errored(http.StatusBadRequest, fmt.Errorf("pullthrough handles core/v1 Pods, not %s", req.Kind.String())), resultRejected
	}
	if (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) ||
		(req.SubResource != "" && req.SubResource != "ephemeralcontainers") {
		return nil, nil, admission.Allowed(""), resultUnchanged
	}
	p, err := podOf[pod](req.Object)
	if err != nil {
		return nil, nil, admission.Errored(http.StatusBadRequest, fmt.Errorf("decode object as a Pod: %w", err)), resultRejected
	}
	if req.Operation == admissionv1.Update {
		if old, err = podOf[oldPod](req.OldObject); err != nil {
			return nil, nil, admission.Errored(http.StatusBadRequest, fmt.Errorf("decode oldObject as a Pod: %w", err)), resultRejected
		}
	}
	return p, old, admission.Response{}, ""
}

// pullsFromProxy reports whether any image of the request will be pulled
// from the proxy: rewritten now, or already proxied (a migrated template, a
// manifest run through `pullthrough rewrite -f`), which needs the pull
// secrets just the same.
func pullsFromProxy(changes []podspec.Change) bool {
	for _, c := range changes {
		if c.Outcome.ThroughProxy() {
			return true
		}
	}
	return false
}

// podName is the pod's name, or its generateName prefix on CREATE.
func podName(p *pod, req admission.Request) string {
	switch {
	case req.Name != "":
		return req.Name
	case p.Metadata == nil:
		return ""
	case p.Metadata.Name != "":
		return p.Metadata.Name
	default:
		return p.Metadata.GenerateName
	}
}

// decide returns the decision for each image the request sets, in a
// namespace that exclude.namespaces names or not. Pod-level opt-outs are
// counted per image; on UPDATE, an image the old pod already had is not this
// request's business and is left out (and not counted again).
func decide(rw *rewrite.Rewriter, p *pod, old *oldPod, nsExcluded bool) []podspec.Change {
	var labels, annotations map[string]string
	if p.Metadata != nil {
		labels, annotations = p.Metadata.Labels, p.Metadata.Annotations
	}
	changes := podspec.DecidePod(rw, &p.Spec.Spec, podspec.OptedOut(labels, annotations), nsExcluded)
	if old == nil {
		return changes
	}
	// Keyed by list and name, not index: an UPDATE may reorder a list, and
	// an entry the old pod already had with the same image is never touched
	// (a running pod's containers and volumes are immutable).
	type entry struct{ field, name string }
	before := map[entry]string{}
	for _, c := range podspec.Skipped(&old.Spec, "") {
		before[entry{c.Field, c.Name}] = c.Old
	}
	kept := changes[:0]
	for _, c := range changes {
		if image, ok := before[entry{c.Field, c.Name}]; !ok || image != c.Old {
			kept = append(kept, c)
		}
	}
	return kept
}
