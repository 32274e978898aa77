package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// ValidationFailureAnnotation is the audit annotation a ValidatingAdmissionPolicy
// binding with the Audit action writes for each request it fails: a JSON list of
// ValidationFailure. The API server declares it in no exported name.
const ValidationFailureAnnotation = "validation.policy.admission.k8s.io/validation_failure"

// ValidationFailure is one entry of ValidationFailureAnnotation: which policy and
// binding failed the request, and its message.
type ValidationFailure struct {
	Message           string   `json:"message"`
	Policy            string   `json:"policy"`
	Binding           string   `json:"binding"`
	ExpressionIndex   int      `json:"expressionIndex"`
	ValidationActions []string `json:"validationActions"`
}

// AuditPodCreates is an audit policy that records pod creates and nothing else,
// at level RequestResponse: a pod created from generateName, as every workload
// controller creates them, is named in the response alone (objectRef.name is
// taken from the request). Annotations, such as ValidationFailureAnnotation,
// are written at every level.
func AuditPodCreates() *auditv1.Policy {
	return &auditv1.Policy{
		TypeMeta:          metav1.TypeMeta{APIVersion: auditv1.SchemeGroupVersion.String(), Kind: "Policy"},
		OmitStages:        []auditv1.Stage{auditv1.StageRequestReceived},
		OmitManagedFields: true,
		Rules: []auditv1.PolicyRule{{
			Level:     auditv1.LevelRequestResponse,
			Verbs:     []string{"create"},
			Resources: []auditv1.GroupResources{{Group: "", Resources: []string{"pods"}}},
		}},
	}
}

// auditFlags writes policy into dir and returns kube-apiserver's flags that
// log what it selects to a file in dir, as JSON lines.
func auditFlags(dir string, policy *auditv1.Policy) (map[string]string, error) {
	data, err := json.Marshal(policy)
	if err != nil {
		return nil, fmt.Errorf("encoding the audit policy: %w", err)
	}
	path := auditPolicyPath(dir)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("writing the audit policy: %w", err)
	}
	return map[string]string{
		"audit-policy-file": path,
		"audit-log-path":    auditLogPath(dir),
		"audit-log-format":  "json",
		// No buffer: each request's goroutine writes its own event (the
		// default, named so that a change of default cannot batch them).
		"audit-log-mode": "blocking",
	}, nil
}

func auditPolicyPath(dir string) string { return filepath.Join(dir, "audit-policy.json") }
func auditLogPath(dir string) string    { return filepath.Join(dir, "audit.log") }

// AuditEvents returns the events kube-apiserver has written to its audit log
// (Options.Audit), oldest first. A request's ResponseComplete event is written
// as its handler finishes, which may be just after the client has its answer:
// poll for an event that a request just made should have logged. A last line
// not yet ended is being written and is left out.
func (c *Cluster) AuditEvents() ([]auditv1.Event, error) {
	if !c.audited {
		return nil, errors.New("the cluster has no audit log: set Options.Audit")
	}
	path := auditLogPath(c.dir)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // nothing logged yet
	}
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	} else {
		data = nil
	}
	var events []auditv1.Event
	for n, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e auditv1.Event
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, n+1, err)
		}
		events = append(events, e)
	}
	return events, nil
}

// CreatedName is the name of the object an audited create made: the request's
// name or, for generateName, the stored object's in the response (level
// RequestResponse); "" when neither says.
func CreatedName(e auditv1.Event) (string, error) {
	if e.ObjectRef != nil && e.ObjectRef.Name != "" {
		return e.ObjectRef.Name, nil
	}
	if e.ResponseObject == nil {
		return "", nil
	}
	var stored metav1.PartialObjectMetadata
	if err := json.Unmarshal(e.ResponseObject.Raw, &stored); err != nil {
		return "", fmt.Errorf("audit event %s: response object: %w", e.AuditID, err)
	}
	return stored.Name, nil
}

// ValidationFailures decodes an event's ValidationFailureAnnotation; none when
// no policy failed the request.
func ValidationFailures(e auditv1.Event) ([]ValidationFailure, error) {
	value, ok := e.Annotations[ValidationFailureAnnotation]
	if !ok {
		return nil, nil
	}
	var out []ValidationFailure
	if err := json.Unmarshal([]byte(value), &out); err != nil {
		return nil, fmt.Errorf("audit event %s: %s %q: %w", e.AuditID, ValidationFailureAnnotation, value, err)
	}
	return out, nil
}
