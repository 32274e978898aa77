package pullsecret

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/wellknown"
)

// Action is what the replicator does in one namespace; the empty Action is
// nothing.
type Action string

// The actions, also the "action" label of pullthrough_pull_secret_writes_total.
const (
	ActionNone   Action = ""
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
)

// actions are the values of the "action" label, each series made at start.
var actions = []Action{ActionCreate, ActionUpdate, ActionDelete}

// Copy is what the replicator knows of the Secret of the source's name in a
// namespace: its metadata, never its data.
type Copy struct {
	// Owned: it carries wellknown.LabelCopiedFrom with the source's namespace.
	Owned bool
	// Hash is its wellknown.AnnotationSourceHash.
	Hash string
	// uid and resourceVersion are the preconditions of its update or delete.
	uid             types.UID
	resourceVersion string
}

// Decide returns what to do in a namespace: sourceHash is Hash of the source
// ("" when there is none), held what the namespace holds (nil: nothing of
// that name), qualifies whether its pods are rewritten (see qualifies).
func Decide(sourceHash string, held *Copy, qualifies bool) Action {
	switch {
	case held != nil && !held.Owned:
		return ActionNone // someone else's Secret: never touched
	case sourceHash == "":
		if held != nil {
			return ActionDelete
		}
		return ActionNone
	case held == nil:
		if qualifies {
			return ActionCreate
		}
		return ActionNone
	case held.Hash != sourceHash:
		return ActionUpdate // kept current even where it no longer qualifies
	default:
		return ActionNone
	}
}

// qualifies reports whether the pods of the namespace named name, labelled
// labels, are rewritten under cfg, so that it needs the copy: enforce in
// force, not excluded, not the source's namespace, not being deleted.
func qualifies(cfg *config.Config, source, name string, labels map[string]string, deleting bool) bool {
	if name == source || deleting || cfg.NamespaceExcluded(name) {
		return false
	}
	mode, _ := config.ModeOf(labels)
	return cfg.ModeIn(mode) == config.ModeEnforce
}

// Hash is the SHA-256 of a Secret's type and data, in key order: what a
// copy's wellknown.AnnotationSourceHash is compared with.
func Hash(s *corev1.Secret) string {
	keys := make([]string, 0, len(s.Data))
	for k := range s.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := [][]byte{[]byte(s.Type)}
	for _, k := range keys {
		parts = append(parts, []byte(k), s.Data[k])
	}
	h := sha256.New()
	for _, b := range parts {
		// Each length before its bytes, so that no two different secrets hash alike.
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// copyOf reads a Secret's metadata as a Copy of source's namespace.
func copyOf(m *metav1.ObjectMeta, source string) *Copy {
	return &Copy{Owned: m.Labels[wellknown.LabelCopiedFrom] == source, Hash: m.Annotations[wellknown.AnnotationSourceHash]}
}
