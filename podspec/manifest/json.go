package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// jsonDocuments splits a stream of JSON values (kubectl -o json prints one;
// tools often print several) and parses each as YAML, which JSON is, so
// that the same walk and the same splicing serve both formats.
func jsonDocuments(in []byte) ([]document, error) {
	dec := json.NewDecoder(bytes.NewReader(in))
	var docs []document
	for {
		start := int(dec.InputOffset())
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs)+1, err)
		}
		// InputOffset is where the previous value ended; skip the
		// whitespace before this one so its lines count from its start.
		start += len(in[start:]) - len(bytes.TrimLeft(in[start:], " \t\r\n"))
		var n yaml.Node
		if err := yaml.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs)+1, err)
		}
		docs = append(docs, document{node: &n, base: start})
	}
}
