package main

import (
	"encoding/base64"
	"strings"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// The keys of the existing vectors: an account and an operator identity key.
const (
	accountSeed  = "SAAEDKAN2LGSR2T2XFPNJYLQL4NGE2UY6P2NLOIO2EWZY2ENQPEL2YMF7E"
	operatorSeed = "SOAABEEEHFJY4IWPV4TZYWS37LDDIVJDR7KZ3ZDP6SG3DXWJAR6EOEN5BE"
	// Times on either side of the years the tests run in, so time checks never drift.
	past   = 1577836800 // 2020-01-01
	future = 4102444800 // 2100-01-01
	// The iat written into hand-made payloads.
	handIat = 1795344916
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

var (
	headerV2 = b64(`{"typ":"JWT","alg":"ed25519-nkey"}`)
	headerV1 = b64(`{"typ":"JWT","alg":"ed25519"}`)
)

// A user key from fixed bytes: generic claims accept any issuer kind.
func userSeed() string {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(7 * (i + 1))
	}
	kp, err := nkeys.FromRawSeed(nkeys.PrefixByteUser, raw)
	must(err)
	seed, err := kp.Seed()
	must(err)
	return string(seed)
}

// encoded is a token made by GenericClaims.Encode.
type encoded struct {
	name, note, seed, sub string
	data                  map[string]interface{}
	setup                 func(*jwt.GenericClaims)
	// goVersionBytes: Go's own bytes depend on the Go version, so re-encoding is not compared.
	goVersionBytes bool
}

func none(*jwt.GenericClaims) {}

func encodedCases() []encoded {
	return []encoded{
		{name: "generic-type-generic", seed: accountSeed, sub: "anything",
			note: `nats.type "generic" (Go's GenericClaim constant, not a type jwt.Decode knows); made by GenericClaims.Encode`,
			data: map[string]interface{}{"type": "generic", "note": "hello"}, setup: none},
		{name: "generic-type-unknown", seed: accountSeed, sub: "UNKNOWN TYPE",
			note:  `nats.type "something_else" with aud and a far exp`,
			data:  map[string]interface{}{"a": 1, "type": "something_else"},
			setup: func(gc *jwt.GenericClaims) { gc.Audience = "anyone"; gc.Expires = future }},
		{name: "generic-no-type", seed: operatorSeed, sub: "no type",
			note:  "nats without type: list, object, bool; nbf in the past",
			data:  map[string]interface{}{"list": []interface{}{"x", 2, false}, "obj": map[string]interface{}{"k": "v"}, "flag": true},
			setup: func(gc *jwt.GenericClaims) { gc.NotBefore = past; gc.Name = "no type" }},
		{name: "generic-no-nats", seed: accountSeed, sub: "bare",
			note: "Data nil: no nats object at all, so Encode adds no version", setup: none},
		{name: "generic-odd-keys", seed: accountSeed, sub: "odd keys",
			note: "keys: empty, &, <>, non-ASCII (precomposed and combining), U+2028, control character, dot, space, emoji; keys sort by bytes",
			data: map[string]interface{}{
				"": "empty key", "&": "amp", "<a&b>": "html", "日本語": "値", "ключ": "значение",
				"\u00e9": "precomposed", "e\u0301": "combining", "\u2028": "line separator",
				"ctl\u0007key": "bell in the key", "a.b": "dot", " ": "space", "😀": "emoji",
				"type": "Über<&>",
			}, setup: none},
		{name: "generic-control-chars", seed: accountSeed, sub: "control characters",
			note: "control characters in values: NUL, U+0001..U+001F, tab, newline, CR, DEL, ESC sequences, U+2028/U+2029, quote and backslash",
			data: map[string]interface{}{
				"nul": "a\u0000b", "low": "\u0001\u0002\u001e\u001f", "ws": "tab\there\nline\rcr",
				"del": "del\u007f", "esc": "\u001b[31mred\u001b[0m\u001b]0;title\u0007",
				"seps": "ls\u2028ps\u2029", "quotes": "quote\" backslash\\ slash/",
				"type": "controls",
			}, setup: none},
		{name: "generic-nested-arrays", seed: accountSeed, sub: "nested",
			note: "arrays in arrays, empty arrays, objects inside arrays, mixed element types",
			data: map[string]interface{}{
				"deep":  []interface{}{[]interface{}{1, []interface{}{2, []interface{}{3, []interface{}{}}}}},
				"empty": []interface{}{[]interface{}{}, []interface{}{[]interface{}{}}},
				"objs":  []interface{}{map[string]interface{}{"k": []interface{}{nil, true, false}}, map[string]interface{}{}},
				"mixed": []interface{}{1, "1", 1.5, nil, map[string]interface{}{"a": []interface{}{"b"}}},
				"grid":  []interface{}{[]interface{}{"a", "b"}, []interface{}{"c"}},
			}, setup: none},
		{name: "generic-float64-numbers", seed: accountSeed, sub: "numbers",
			note: "numbers Go holds as float64: 1e+300, 5e-324, 0.000001 and 1e-07 either side of the exponent switch, -1e+21, 1.5, 2.0 written as 2",
			data: map[string]interface{}{
				"big": 1e300, "tiny": 5e-324, "micro": 0.000001, "below": 0.0000001,
				"ints": []interface{}{123456789012345, -9007199254740992}, "neg": -1e21,
				"half": 1.5, "two": 2.0, "type": "metrics",
			}, setup: none},
		{name: "generic-expired", seed: accountSeed, sub: "expired",
			note:  "exp in the past: decodes; Validate adds only the non-blocking time check",
			data:  map[string]interface{}{"type": "session"},
			setup: func(gc *jwt.GenericClaims) { gc.Expires = past }},
		{name: "generic-not-yet-valid", seed: accountSeed, sub: "later",
			note:  "nbf in the future: decodes; Validate adds only the non-blocking time check",
			data:  map[string]interface{}{"type": "session"},
			setup: func(gc *jwt.GenericClaims) { gc.NotBefore = future }},
		{name: "generic-signed-by-user", seed: userSeed(), sub: "user-signed",
			note: "signed by a user key: generic claims have no issuer-kind check",
			data: map[string]interface{}{"type": "note", "text": "from a user"}, setup: none},
		{name: "generic-backspace-formfeed", seed: accountSeed, sub: "bs ff",
			note: "backspace and form feed in a value: Go 1.19 writes them as \\u0008 and \\u000c, Go 1.22 and later (and this crate) as \\b and \\f, so re-encoding is not compared",
			data: map[string]interface{}{"bf": "back\bspace form\ffeed", "type": "controls"}, setup: none, goVersionBytes: true},
	}
}

// handMade is a payload written here ("%s" is the issuer) and signed here.
type handMade struct {
	name, note, seed, payload    string
	v1Header, sigOverPayloadOnly bool
	tamper                       func(string) string
	// negative: DecodeGeneric must refuse it (the file name starts with neg-).
	negative bool
}

// swapInPayload changes the payload after signing.
func swapInPayload(from, to string) func(string) string {
	return func(token string) string {
		parts := strings.Split(token, ".")
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		must(err)
		parts[1] = b64(strings.Replace(string(raw), from, to, 1))
		return strings.Join(parts, ".")
	}
}

const std = `"jti":"HANDMADE","iat":1795344916,"iss":"%s","sub":"hand-made"`

func handMadeCases() []handMade {
	return []handMade{
		{name: "generic-empty-nats", seed: accountSeed, payload: `{` + std + `,"nats":{}}`,
			note: "nats is {}: Go keeps an empty map and json.Marshal omits it (omitempty), so claims has no nats"},
		{name: "generic-null-nats", seed: accountSeed, payload: `{` + std + `,"nats":null}`,
			note: "nats is null: no body"},
		{name: "generic-unknown-top-level-fields", seed: accountSeed,
			payload: `{` + std + `,"tags":["t1"],"type":"","version":2,"extra":{"k":1},"nats":{"type":"widget","version":2}}`,
			note:    "top-level tags, empty type, version and an unknown object: GenericClaims keeps none of them"},
		{name: "generic-newer-version", seed: accountSeed,
			payload: `{` + std + `,"nats":{"type":"future","version":3}}`,
			note:    "nats.version 3: DecodeGeneric does not look at the version; jwt.Decode refuses it as newer"},
		{name: "generic-type-not-a-string", seed: accountSeed,
			payload: `{` + std + `,"nats":{"type":5,"version":2}}`,
			note:    "nats.type is a number: only jwt.Decode reads it (and fails); DecodeGeneric keeps it as data"},
		{name: "generic-big-integers", seed: accountSeed,
			payload: `{` + std + `,"nats":{"n":[9007199254740993,12345678901234567890,-9223372036854775809],"type":"counter","version":2}}`,
			note:    "integers beyond 2^53 in the body: Go decodes them through float64, so claims holds the rounded values"},
		{name: "generic-v1-top-level-type", seed: accountSeed, v1Header: true, sigOverPayloadOnly: true,
			payload: `{"jti":"HANDMADE","iat":1795344916,"iss":"%s","name":"v1 generic","sub":"hand-made","tags":["a","b"],"type":"custom_v1","nats":{"x":1}}`,
			note:    "v1 token of an unknown type: DecodeGeneric (alg ed25519) verifies the payload only and copies the top-level type and tags into nats; jwt.Decode treats it as v1 too but keeps only nats"},
		{name: "generic-v1-header-nats-type", seed: accountSeed, v1Header: true, sigOverPayloadOnly: true,
			payload: `{` + std + `,"nats":{"type":"widget","version":1}}`,
			note:    "alg ed25519, unknown nats.type, signature over the payload only: both Go decoders take the v1 rule"},
		{name: "neg-generic-v2-header-payload-only-sig", seed: accountSeed, sigOverPayloadOnly: true, negative: true,
			payload: `{` + std + `,"nats":{"type":"widget","version":2}}`,
			note:    "alg ed25519-nkey but the signature covers the payload only: DecodeGeneric refuses; jwt.Decode, which verifies every unknown type with the v1 rule, accepts it"},
		{name: "neg-generic-v1-header-v2-sig", seed: accountSeed, v1Header: true, negative: true,
			payload: `{` + std + `,"nats":{"type":"widget","version":2}}`,
			note:    "alg ed25519 with the signature over header.payload: the v1 rule fails in both Go decoders"},
		{name: "neg-generic-tampered-payload", seed: accountSeed, negative: true,
			payload: `{` + std + `,"nats":{"type":"widget","version":2}}`,
			tamper:  swapInPayload("widget", "gadget"),
			note:    "nats.type changed after signing"},
		{name: "neg-generic-top-level-type-not-a-string", seed: accountSeed, negative: true,
			payload: `{` + std + `,"type":5,"nats":{"type":"widget","version":2}}`,
			note:    "top-level type is a number: DecodeGeneric reads the top-level type, tags and version into typed fields and fails"},
		{name: "neg-generic-top-level-tags-not-a-list", seed: accountSeed, negative: true,
			payload: `{` + std + `,"tags":"a","nats":{"type":"widget","version":2}}`,
			note:    "top-level tags is a string: DecodeGeneric fails to read it"},
		{name: "neg-generic-top-level-version-not-an-int", seed: accountSeed, negative: true,
			payload: `{` + std + `,"version":2.5,"nats":{"type":"widget","version":2}}`,
			note:    "top-level version is not an integer: DecodeGeneric fails to read it"},
	}
}
