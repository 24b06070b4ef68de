// Command gen-generic writes the golden vectors for generic claims: tokens whose `nats`
// object names a claim type Go's jwt library does not know, or no type at all. Every
// verdict in them comes from the Go library itself; nothing here re-implements its rules.
//
// Build in GOPATH mode with Debian's packages, then run it with the vectors directory:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o /tmp/gen-generic .
//	/tmp/gen-generic ..
//
// Tokens made by the library's Encode carry the clock's iat (the library stamps it), so a
// rerun changes their iat, jti and signature; hand-made tokens are fixed.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// vector is one file, in the field order of the existing vectors (see ../README.md).
// The decode_any_* fields say what jwt.Decode (rather than DecodeGeneric) does.
type vector struct {
	Name               string          `json:"name"`
	Kind               string          `json:"kind"`
	Note               string          `json:"note"`
	SignerSeed         string          `json:"signer_seed,omitempty"`
	Iat                int64           `json:"iat,omitempty"`
	JWT                string          `json:"jwt"`
	Claims             json.RawMessage `json:"claims,omitempty"`
	DecodeOK           bool            `json:"decode_ok"`
	DecodeError        string          `json:"decode_error,omitempty"`
	ValidationErrors   *[]string       `json:"validation_errors,omitempty"`
	ValidationWarnings *[]string       `json:"validation_warnings,omitempty"`
	ReencodeIdentical  *bool           `json:"reencode_identical,omitempty"`
	DecodeAnyOK        bool            `json:"decode_any_ok"`
	DecodeAnyError     string          `json:"decode_any_error,omitempty"`
	DecodeAnyClaims    json.RawMessage `json:"decode_any_claims,omitempty"`
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-generic:", err)
		os.Exit(1)
	}
}

func marshal(v interface{}) json.RawMessage {
	b, err := json.Marshal(v)
	must(err)
	return b
}

// record asks the library about token: DecodeGeneric (the vector's decoder), Validate on
// its result, and jwt.Decode.
func record(name, note, seed string, iat int64, token string) vector {
	v := vector{Name: name, Kind: "generic", Note: note, JWT: token}
	gc, err := jwt.DecodeGeneric(token)
	if err != nil {
		v.DecodeError = err.Error()
	} else {
		v.DecodeOK = true
		v.SignerSeed = seed
		v.Iat = iat
		// Taken before Validate, as for every other vector.
		v.Claims = marshal(gc)
		vr := jwt.CreateValidationResults()
		gc.Validate(vr)
		errs := []string{}
		for _, e := range vr.Errors() {
			errs = append(errs, e.Error())
		}
		warns := append([]string{}, vr.Warnings()...)
		sort.Strings(errs)
		sort.Strings(warns)
		v.ValidationErrors = &errs
		v.ValidationWarnings = &warns
		same := false
		v.ReencodeIdentical = &same
	}
	claim, err := jwt.Decode(token)
	if err != nil {
		v.DecodeAnyError = err.Error()
	} else {
		v.DecodeAnyOK = true
		v.DecodeAnyClaims = marshal(claim)
	}
	return v
}

// fromEncode makes a token with GenericClaims.Encode and records it. Encode stamps iat
// with the clock, so the decode-and-re-encode check runs inside one second; a run that
// crosses a second boundary is repeated.
func fromEncode(c encoded) vector {
	kp, err := nkeys.FromSeed([]byte(c.seed))
	must(err)
	for {
		start := time.Now().Unix()
		gc := jwt.NewGenericClaims(c.sub)
		gc.Data = c.data
		c.setup(gc)
		token, err := gc.Encode(kp)
		must(err)
		v := record(c.name, c.note, c.seed, gc.IssuedAt, token)
		if v.DecodeOK {
			back, err := jwt.DecodeGeneric(token)
			must(err)
			again, err := back.Encode(kp)
			must(err)
			same := again == token && !c.goVersionBytes
			v.ReencodeIdentical = &same
		}
		if time.Now().Unix() == start {
			return v
		}
	}
}

// byHand signs a payload written here, for shapes the library's Encode never writes.
func byHand(c handMade) vector {
	kp, err := nkeys.FromSeed([]byte(c.seed))
	must(err)
	pub, err := kp.PublicKey()
	must(err)
	header := headerV2
	if c.v1Header {
		header = headerV1
	}
	payload := b64(fmt.Sprintf(c.payload, pub))
	signed := header + "." + payload
	if c.sigOverPayloadOnly {
		signed = payload
	}
	sig, err := kp.Sign([]byte(signed))
	must(err)
	token := header + "." + payload + "." + b64(string(sig))
	if c.tamper != nil {
		token = c.tamper(token)
	}
	return record(c.name, c.note, c.seed, handIat, token)
}

func write(dir string, v vector) {
	file := v.Name + ".json"
	b, err := json.MarshalIndent(v, "", "  ")
	must(err)
	must(os.WriteFile(filepath.Join(dir, file), append(b, '\n'), 0o644))
	fmt.Printf("%s: decode_ok=%v decode_any_ok=%v %s%s\n", file, v.DecodeOK, v.DecodeAnyOK,
		v.DecodeError, v.DecodeAnyError)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen-generic VECTORS_DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	for _, c := range encodedCases() {
		write(dir, fromEncode(c))
	}
	for _, c := range handMadeCases() {
		v := byHand(c)
		if v.DecodeOK == c.negative {
			must(fmt.Errorf("%s: DecodeGeneric ok=%v, the case expects the opposite", c.name, v.DecodeOK))
		}
		write(dir, v)
	}
}
