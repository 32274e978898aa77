package migrate

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"gomodules.xyz/jsonpatch/v2"

	"github.com/pullthrough/pullthrough/internal/patch"
	"github.com/pullthrough/pullthrough/wellknown"
)

// annotationPath is the JSON pointer of wellknown.AnnotationMigratedImages.
var annotationPath = patch.Pointer("metadata", "annotations", wellknown.AnnotationMigratedImages)

// jsonNull is the value of a test operation that requires a member to be
// absent: the API server's JSON patch (evanphx/json-patch v4) treats a
// missing member as null, and any present value as different from null.
var jsonNull = json.RawMessage("null")

// applyOps builds the patch that carries out edits on an object with the
// given annotations. Every replaced value is tested first, so a concurrent
// edit makes the whole patch fail (HTTP 422) rather than be overwritten; the
// record annotation is tested the same way, then merged and written. One
// patch per object: the API server applies it whole or not at all.
func applyOps(edits []edit, annotations map[string]string) ([]jsonpatch.Operation, error) {
	record, err := readRecord(annotations)
	if err != nil {
		return nil, err
	}
	ops := make([]jsonpatch.Operation, 0, 2*len(edits)+2)
	for _, e := range edits {
		ops = patch.Replace(ops, e.path, e.old, e.new)
		// A later run's original is what that run replaced, so it wins: undo
		// then restores the value the last patch found.
		record[e.path] = e.old
	}
	return append(ops, writeAnnotation(annotations, wellknown.EncodeRecord(record))...), nil
}

// restoreOps builds the undo patch: each restorable value is tested against
// what the migrator wrote and replaced by its original; then the record
// annotation, tested unchanged, is removed, or, when some values were not
// restored (kept), replaced by the record of those alone.
func restoreOps(restores []edit, annotations, kept map[string]string) ([]jsonpatch.Operation, error) {
	ops := make([]jsonpatch.Operation, 0, 2*len(restores)+2)
	for _, e := range restores {
		ops = patch.Replace(ops, e.path, e.old, e.new)
	}
	record := annotations[wellknown.AnnotationMigratedImages]
	if len(kept) == 0 {
		return append(ops,
			jsonpatch.Operation{Operation: "test", Path: annotationPath, Value: record},
			jsonpatch.Operation{Operation: "remove", Path: annotationPath}), nil
	}
	return patch.Replace(ops, annotationPath, record, wellknown.EncodeRecord(kept)), nil
}

// writeAnnotation sets the record annotation to value, testing its current
// state first (absent, or its old value).
func writeAnnotation(annotations map[string]string, value string) []jsonpatch.Operation {
	if len(annotations) == 0 {
		// No annotations at all: the map itself must be created.
		return []jsonpatch.Operation{
			{Operation: "test", Path: patch.Pointer("metadata", "annotations"), Value: jsonNull},
			{Operation: "add", Path: patch.Pointer("metadata", "annotations"), Value: map[string]string{wellknown.AnnotationMigratedImages: value}},
		}
	}
	var current any = jsonNull
	if old, ok := annotations[wellknown.AnnotationMigratedImages]; ok {
		current = old
	}
	return []jsonpatch.Operation{
		{Operation: "test", Path: annotationPath, Value: current},
		{Operation: "add", Path: annotationPath, Value: value},
	}
}

// readRecord decodes the record annotation; absent is empty. A value that is
// not our JSON (edited by hand) is an error: overwriting it would lose what
// --undo needs.
func readRecord(annotations map[string]string) (map[string]string, error) {
	raw, ok := annotations[wellknown.AnnotationMigratedImages]
	if !ok {
		return map[string]string{}, nil
	}
	record, err := wellknown.DecodeRecord(raw)
	if err != nil {
		return nil, fmt.Errorf("annotation %s is not a JSON object of path -> original value: %w", wellknown.AnnotationMigratedImages, err)
	}
	return record, nil
}

// recordedPaths lists a record's paths in order, for stable reports.
func recordedPaths(record map[string]string) []string {
	return slices.Sorted(maps.Keys(record))
}
