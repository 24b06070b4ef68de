// Command go-peer answers proof-flow credential requests the way a plain Go responder
// would, for benchmarks only: it does the work the provisioner's proof flow does without
// its registry (parse the JSON request, check the caller's account from
// Nats-Request-Info, the key's kind, the timestamp window, an in-memory nonce guard and
// the ed25519 proof over the v2 canonical string (v1 when the request says so), then sign a user JWT with the tenant's signing key and reply), with
// nats.go and jwt/v2, so that scripts/bench.sh can print our rate next to it.
//
// Build (GOPATH mode, Debian's packages):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o go-peer .
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

type request struct {
	Name         string   `json:"name"`
	PublicKey    string   `json:"public_key"`
	Ts           int64    `json:"ts"`
	Nonce        string   `json:"nonce"`
	Proof        string   `json:"proof"`
	Tenant       string   `json:"tenant,omitempty"`
	Token        *string  `json:"token,omitempty"`
	TTL          *uint64  `json:"ttl,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	IDToken      *string  `json:"id_token,omitempty"`
	ProofVersion int      `json:"proof_version,omitempty"`
}

// canonical is the string the request's proof signs: nats-provisioner-proof-v2 when it
// says proof_version 2 (README.md, "The credential request"), else v1.
func canonical(req *request) string {
	v1 := fmt.Sprintf("tenant=%s\nname=%s\npublic_key=%s\nts=%d\nnonce=%s",
		req.Tenant, req.Name, req.PublicKey, req.Ts, req.Nonce)
	if req.ProofVersion != 2 {
		return "nats-provisioner-proof-v1\n" + v1
	}
	digest := func(secret *string) string {
		if secret == nil {
			return ""
		}
		sum := sha256.Sum256([]byte(*secret))
		return hex.EncodeToString(sum[:])
	}
	ttl := ""
	if req.TTL != nil {
		ttl = strconv.FormatUint(*req.TTL, 10)
	}
	tags := append([]string(nil), req.Tags...)
	sort.Strings(tags)
	for i, t := range tags {
		tags[i] = fmt.Sprintf("%d:%s", len(t), t)
	}
	return fmt.Sprintf("nats-provisioner-proof-v2\n%s\nttl=%s\ntoken_sha256=%s\nid_token_sha256=%s\ntags=%s",
		v1, ttl, digest(req.Token), digest(req.IDToken), strings.Join(tags, ","))
}

type reply struct {
	Jwt     string `json:"jwt"`
	Expires int64  `json:"expires"`
	Account string `json:"account"`
	Name    string `json:"name"`
	// RequestID is what the provisioner's reply carries; the peer makes one up.
	RequestID string `json:"request_id"`
}

type requestInfo struct {
	Acc string `json:"acc"`
}

// nonces is the replay guard: a nonce is accepted once per key within twice the window.
type nonces struct {
	sync.Mutex
	seen map[string]int64
}

func (n *nonces) fresh(key string, now, keepUntil int64) bool {
	n.Lock()
	defer n.Unlock()
	if until, ok := n.seen[key]; ok && until >= now {
		return false
	}
	n.seen[key] = keepUntil
	if len(n.seen) > 1_000_000 {
		for k, until := range n.seen {
			if until < now {
				delete(n.seen, k)
			}
		}
	}
	return true
}

func main() {
	url := flag.String("s", nats.DefaultURL, "NATS URL")
	creds := flag.String("creds", "", "creds of the responder (the estate's provisioner)")
	seedFile := flag.String("sk", "", "the tenant's signing key seed file")
	account := flag.String("account", "", "the tenant account's public key")
	subject := flag.String("subject", "creds.request", "request subject")
	queue := flag.String("queue", "provisioner", "queue group")
	workers := flag.Int("workers", 2, "goroutines handling requests")
	window := flag.Int64("window", 60, "accepted skew of a proof's ts, seconds")
	flag.Parse()

	seed, err := os.ReadFile(*seedFile)
	if err != nil {
		log.Fatalf("reading the signing key: %v", err)
	}
	signer, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	if err != nil {
		log.Fatalf("the signing key: %v", err)
	}
	nc, err := nats.Connect(*url, nats.UserCredentials(*creds))
	if err != nil {
		log.Fatalf("connecting: %v", err)
	}
	guard := &nonces{seen: map[string]int64{}}
	msgs := make(chan *nats.Msg, 4096)
	if _, err := nc.ChanQueueSubscribe(*subject, *queue, msgs); err != nil {
		log.Fatalf("subscribing: %v", err)
	}
	for i := 0; i < *workers; i++ {
		go func() {
			for m := range msgs {
				handle(m, signer, *account, *window, guard)
			}
		}()
	}
	nc.Flush()
	fmt.Println("serving")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	nc.Drain()
}

func refuse(m *nats.Msg, code int, text string) {
	out := nats.NewMsg(m.Reply)
	out.Header.Set("Nats-Service-Error-Code", fmt.Sprint(code))
	out.Header.Set("Nats-Service-Error", text)
	out.Data = []byte(fmt.Sprintf(`{"error":{"code":%q,"reason":%q}}`, text, text))
	m.RespondMsg(out)
}

func handle(m *nats.Msg, signer nkeys.KeyPair, account string, window int64, guard *nonces) {
	var info requestInfo
	if err := json.Unmarshal([]byte(m.Header.Get("Nats-Request-Info")), &info); err != nil || info.Acc != account {
		refuse(m, 403, "identity_unverified")
		return
	}
	var req request
	if err := json.Unmarshal(m.Data, &req); err != nil {
		refuse(m, 400, "invalid_json")
		return
	}
	if !nkeys.IsValidPublicUserKey(req.PublicKey) {
		refuse(m, 400, "public_key_invalid")
		return
	}
	now := time.Now().Unix()
	if req.Ts < now-window || req.Ts > now+window {
		refuse(m, 400, "stale_timestamp")
		return
	}
	if req.ProofVersion != 0 && req.ProofVersion != 1 && req.ProofVersion != 2 {
		refuse(m, 400, "bad_request")
		return
	}
	sig, err := base64.RawURLEncoding.DecodeString(req.Proof)
	if err != nil {
		refuse(m, 403, "proof_invalid")
		return
	}
	user, err := nkeys.FromPublicKey(req.PublicKey)
	if err != nil || user.Verify([]byte(canonical(&req)), sig) != nil {
		refuse(m, 403, "proof_invalid")
		return
	}
	if !guard.fresh(req.PublicKey+"."+req.Nonce, now, now+2*window) {
		refuse(m, 409, "nonce_replayed")
		return
	}
	claims := jwt.NewUserClaims(req.PublicKey)
	claims.Name = req.Name
	claims.IssuerAccount = account
	claims.Expires = now + 3600
	claims.Pub.Allow.Add("tenant.acme."+req.Name+".>", "svc.>")
	claims.Sub.Allow.Add("tenant.acme."+req.Name+".>", "_INBOX."+req.Name+".>")
	token, err := claims.Encode(signer)
	if err != nil {
		refuse(m, 500, "internal")
		return
	}
	body, _ := json.Marshal(reply{Jwt: token, Expires: claims.Expires, Account: account, Name: req.Name, RequestID: claims.ID})
	m.Respond(body)
}
