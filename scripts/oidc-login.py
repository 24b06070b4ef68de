#!/usr/bin/env python3
"""Logs in at the local demo OpenID provider (tests/oidc-provider) the way a browser does,
with the authorization code flow and PKCE, and prints the ID token: for the HTTP API part
of ./scripts/run-local.sh, where a bearer token is needed without a browser.

Usage: oidc-login.py ISSUER CLIENT_ID REDIRECT_URI LOGIN PASSWORD

Only the Python standard library; follows the provider's redirects itself and stops at
the redirect URI (nothing needs to listen there). The token goes to stdout only.
"""
import base64
import hashlib
import http.cookiejar
import json
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def main(issuer, client_id, redirect_uri, login, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def fetch(url, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            response = opener.open(url, data=body, timeout=10)
            return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode(errors="replace")

    with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=10) as r:
        meta = json.load(r)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "client_id": client_id, "response_type": "code", "scope": "openid",
        "redirect_uri": redirect_uri, "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16), "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    url = f"{meta['authorization_endpoint']}?{query}"
    for _ in range(12):
        status, headers, text = fetch(url)
        if status in (301, 302, 303, 307, 308):
            url = urllib.parse.urljoin(url, headers["Location"])
            if url.startswith(redirect_uri):
                break
            continue
        form = re.search(r'<form method="post" action="([^"]+)"', text)
        if status != 200 or not form:
            sys.exit(f"oidc-login: unexpected answer {status} at {url}")
        action = urllib.parse.urljoin(url, form.group(1).replace("&amp;", "&"))
        status, headers, text = fetch(action, {"login": login, "password": password})
        if status not in (301, 302, 303):
            sys.exit(f"oidc-login: the login was refused ({status})")
        url = urllib.parse.urljoin(action, headers["Location"])
    params = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    if "code" not in params:
        sys.exit(f"oidc-login: no code came back: {params.get('error', ['?'])[0]}")
    body = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": params["code"][0],
        "redirect_uri": redirect_uri, "client_id": client_id, "code_verifier": verifier,
    }).encode()
    with urllib.request.urlopen(meta["token_endpoint"], data=body, timeout=10) as r:
        print(json.load(r)["id_token"])


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(*sys.argv[1:])
