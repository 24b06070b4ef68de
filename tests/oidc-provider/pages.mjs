// The HTML pages of the test OpenID provider: its login form, the logout step it skips,
// the signed-out page and its error page. Plain, self-contained markup (no fonts or
// scripts from elsewhere: the machines running the tests reach no CDN), with a label on
// every input so that the browser tests find fields the way people do.

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 24rem; padding: 0 1rem; color: #1b1b1b; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { display: block; width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }
  button { margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; }
  :focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
  .error { color: #a50e0e; font-weight: 600; }
`;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text) {
  return String(text ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title, body, head = '') {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <style>${STYLE}</style>
  ${head}
</head>
<body>
  <main>
${body}
  </main>
</body>
</html>`;
}

/**
 * The login form of interaction `uid`; `error` (a sentence) when the last attempt failed,
 * `login` to keep what was typed (never the password).
 */
export function loginPage({ uid, clientId, login = '', error = '' }) {
  const alert = error ? `<p class="error" role="alert" id="login-error">${escapeHtml(error)}</p>` : '';
  return page(
    'Sign in - test identity provider',
    `<h1>Sign in</h1>
    <p>Test identity provider, signing in to <strong>${escapeHtml(clientId)}</strong>.</p>
    ${alert}
    <form method="post" action="/interaction/${encodeURIComponent(uid)}/login" autocomplete="off">
      <label for="login">Login</label>
      <input id="login" name="login" type="text" autocomplete="username" required autofocus value="${escapeHtml(login)}">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
    </form>`,
  );
}

/**
 * The RP-initiated logout step: oidc-provider asks for a confirmation by default; a
 * first-party portal's logout needs none, so the form submits itself (the button is
 * there without JavaScript). `form` is the provider's own form with its xsrf input.
 */
export function logoutPage(form) {
  const submit = "document.addEventListener('DOMContentLoaded', function () { document.getElementById('op.logoutForm').requestSubmit(document.getElementById('logout-yes')); });";
  return page(
    'Signing out - test identity provider',
    `<h1>Signing out</h1>
    ${form}
    <button id="logout-yes" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`,
    `<script>${submit}</script>`,
  );
}

/** Shown after a logout that names no (registered) post-logout redirect URI. */
export function signedOutPage() {
  return page('Signed out - test identity provider', '<h1>Signed out</h1><p>You are signed out of the test identity provider.</p>');
}

/** An error the provider reports (its `error` and `error_description`). */
export function errorPage(out) {
  const rows = Object.entries(out)
    .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
    .join('\n');
  return page('Error - test identity provider', `<h1>Something went wrong</h1>\n<div role="alert">${rows}</div>`);
}
