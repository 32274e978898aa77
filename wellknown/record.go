package wellknown

import (
	"bytes"
	"encoding/json"
)

// EncodeRecord is the one encoding of the annotations' JSON objects: keys
// sorted (encoding/json sorts map keys), so the same content always has
// the same text and a reinvocation or a second run writes nothing; no HTML
// escaping, so a ConfigMap's '<' or '&' reads as written.
func EncodeRecord(record map[string]string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(record) // a map[string]string always encodes
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// DecodeRecord reads an annotation EncodeRecord wrote; an error for a value
// that is not a JSON object of strings (edited by hand).
func DecodeRecord(value string) (map[string]string, error) {
	record := map[string]string{}
	if err := json.Unmarshal([]byte(value), &record); err != nil {
		return nil, err
	}
	return record, nil
}
