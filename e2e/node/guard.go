package node

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/policy"
)

// guardProbe is the pod StartLab dry-runs until the API server applies the guard.
const guardProbe = "guard-probe"

// installGuard puts the final-state guard (warn: Warn and Audit) in force on
// the enforce namespaces as a cluster on the webhook engine gets it
// (docs/policy-engine.md, "Rollout"): the pullthrough-guard* objects of
// `pullthrough policy --guard warn`'s output; the chart installs the guard
// only with engine: policy. Pods are created by controllers, which alone see a
// Warn action's warnings, so the guard is read in the audit log (Guarded).
// It returns once the API server applies the guard: a dry-run pod of a public
// image, admitted unchanged while no webhook answers, is audit-logged with the
// guard's failure. Call it before the webhook starts.
func (l *Lab) installGuard(ctx context.Context) error {
	source := "pullthrough policy --guard " + string(policy.GuardWarn)
	cmd := exec.Command(l.Bin, "policy", "--config", l.Config, "--guard", string(policy.GuardWarn))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", source, err, stderr.Bytes())
	}
	objs, err := e2e.Decode(source, out)
	if err != nil {
		return err
	}
	guard := slices.DeleteFunc(objs, func(o *unstructured.Unstructured) bool { return !strings.HasPrefix(o.GetName(), policy.NameGuard) })
	if len(guard) == 0 {
		return fmt.Errorf("%s printed no %s* object:\n%s", source, policy.NameGuard, out)
	}
	k8s, err := client.New(l.Cluster.Config(), client.Options{})
	if err != nil {
		return err
	}
	if err := e2e.Create(ctx, k8s, source, guard); err != nil {
		return err
	}
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: guardProbe}, Spec: PodSpec(Container("probe", "docker.io/library/guard-probe:0"))}
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		if _, err := l.CS.CoreV1().Pods(metav1.NamespaceDefault).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			return false, err
		}
		guarded, err := l.Guarded(metav1.NamespaceDefault)
		return len(guarded[guardProbe]) > 0, err
	})
	if err != nil {
		return fmt.Errorf("the API server never audit-logged the guard's failure for a pod of a public image: %w", err)
	}
	return nil
}

// Guarded returns the pods created in ns (dry runs included), by name, each
// with the failures of the final-state guard's policies that the API server
// wrote to its audit log for the create: none for a pod whose images were
// rewritten, one naming every container still pulled from a public registry
// for a pod admitted unchanged. A pod missing from the map was not created
// (or not yet logged).
func (l *Lab) Guarded(ns string) (map[string][]cluster.ValidationFailure, error) {
	events, err := l.Cluster.AuditEvents()
	if err != nil {
		return nil, err
	}
	out := map[string][]cluster.ValidationFailure{}
	for _, e := range events {
		// The lab's audit policy logs pod creates alone; a failed one made no pod.
		if e.ObjectRef == nil || e.ObjectRef.Namespace != ns || e.ResponseStatus == nil || e.ResponseStatus.Code >= 300 {
			continue
		}
		name, err := cluster.CreatedName(e)
		if err != nil {
			return nil, err
		}
		failures, err := cluster.ValidationFailures(e)
		if err != nil {
			return nil, err
		}
		out[name] = append(out[name], slices.DeleteFunc(failures, func(f cluster.ValidationFailure) bool {
			return !strings.HasPrefix(f.Policy, policy.NameGuard)
		})...)
	}
	return out, nil
}
