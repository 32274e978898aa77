package policy

import (
	"context"
	"errors"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// FieldManager owns, in server-side apply, every field Apply writes; a hand
// edit of those fields is overwritten by the next Apply.
const FieldManager = "pullthrough-policy"

// resources are the kinds a Set holds, bindings after their policies: the
// order in which Apply prunes them in reverse.
var resources = []schema.GroupVersionResource{
	admissionregistrationv1.SchemeGroupVersion.WithResource("mutatingadmissionpolicies"),
	admissionregistrationv1.SchemeGroupVersion.WithResource("mutatingadmissionpolicybindings"),
	admissionregistrationv1.SchemeGroupVersion.WithResource("validatingadmissionpolicies"),
	admissionregistrationv1.SchemeGroupVersion.WithResource("validatingadmissionpolicybindings"),
}

// objects returns the set's objects, each in resources' order and every
// policy before its bindings, so that a binding never names a policy that
// is not there yet.
func (s *Set) objects() [][]runtime.Object {
	out := make([][]runtime.Object, len(resources))
	for _, p := range s.Mutating {
		out[0] = append(out[0], p)
	}
	for _, b := range s.MutatingBindings {
		out[1] = append(out[1], b)
	}
	for _, p := range s.Validating {
		out[2] = append(out[2], p)
	}
	for _, b := range s.ValidatingBindings {
		out[3] = append(out[3], b)
	}
	return out
}

// Applied is what one Apply changed.
type Applied struct {
	// Applied is how many objects were sent, Pruned how many objects of an
	// earlier Set (labelled as Generate labels them) were deleted because
	// this Set no longer has them.
	Applied, Pruned int
}

// Apply puts set in force on the API server behind client: every object is
// server-side applied (FieldManager, forced), then the objects an earlier
// Set left behind are deleted, so that a config switched to audit mode or a
// guard turned off stops acting at once. With owner, every object names it
// as its owner, so the garbage collector deletes the policies with it (the
// chart passes its release's ClusterRole: uninstalling the release removes
// the rewrite). An error names the object; what was applied before it
// stays, and the next Apply converges.
func Apply(ctx context.Context, client dynamic.Interface, set *Set, owner *metav1.OwnerReference) (Applied, error) {
	var done Applied
	keep := make([]map[string]bool, len(resources))
	for i, objs := range set.objects() {
		keep[i] = map[string]bool{}
		for _, o := range objs {
			u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
			if err != nil {
				return done, fmt.Errorf("encode %s: %w", resources[i].Resource, err)
			}
			obj := &unstructured.Unstructured{Object: u}
			if owner != nil {
				obj.SetOwnerReferences([]metav1.OwnerReference{*owner})
			}
			name := obj.GetName()
			if _, err := client.Resource(resources[i]).Apply(ctx, name, obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
				return done, fmt.Errorf("apply %s %s: %w", resources[i].Resource, name, err)
			}
			keep[i][name] = true
			done.Applied++
		}
	}
	var errs []error
	for i := len(resources) - 1; i >= 0; i-- {
		n, err := prune(ctx, client.Resource(resources[i]), keep[i])
		done.Pruned += n
		if err != nil {
			errs = append(errs, fmt.Errorf("prune %s: %w", resources[i].Resource, err))
		}
	}
	return done, errors.Join(errs...)
}

// prune deletes the objects of one resource that carry Generate's labels
// and are not in keep; an object already gone is not an error.
func prune(ctx context.Context, client dynamic.ResourceInterface, keep map[string]bool) (int, error) {
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(managedBy).String()})
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, o := range list.Items {
		if keep[o.GetName()] {
			continue
		}
		if err := client.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s: %w", o.GetName(), err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
