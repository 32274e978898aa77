// Package patch builds the JSON patch operations (RFC 6902) that the webhook
// answers with and the migrator sends, so that both guard a change the same
// way and name a value by the same JSON pointer (RFC 6901).
//
// Contract:
//   - Replace is the one builder of a replacement: a test of the old value
//     immediately before each replace of it, so a value that is not what the
//     decision was made on is never written (the API server fails the whole
//     patch instead).
//   - Pointer is the one writer of JSON pointers: each segment escaped ('~'
//     before '/') with github.com/go-openapi/jsonpointer, the library that
//     also parses and walks them where a pointer is read back.
//   - Encode writes operations byte for byte as json.Marshal does, faster
//     (TestEncodeAsMarshal holds it to that).
package patch
