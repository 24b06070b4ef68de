// The API reference page: reads /openapi.json and renders every operation, grouped by
// tag, with a form to try it. Builds the page with DOM calls and text nodes only (never
// parses text as HTML), so nothing in the document can inject markup; the CSP allows no
// other script than this file. The bearer token stays in a variable of this page.
"use strict";

(function () {
  const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
  let doc = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // Plain text of a description (Markdown backticks are kept as they are: readable).
  function text(value) {
    return typeof value === "string" ? value : "";
  }

  // `#/components/schemas/Problem` → the schema it names; anything else as it is.
  function resolve(node) {
    let seen = 0;
    while (node && typeof node.$ref === "string" && seen < 20) {
      const parts = node.$ref.replace(/^#\//, "").split("/");
      node = parts.reduce((at, key) => (at ? at[decodeURIComponent(key)] : undefined), doc);
      seen += 1;
    }
    return node || {};
  }

  function refName(node) {
    return node && typeof node.$ref === "string" ? node.$ref.split("/").pop() : null;
  }

  function typeOf(schema) {
    const s = resolve(schema);
    const name = refName(schema);
    let type = Array.isArray(s.type) ? s.type.join(" | ") : s.type || "";
    if (s.type === "array" || (Array.isArray(s.type) && s.type.includes("array"))) {
      type = type.replace("array", "array of " + (typeOf(s.items || {}) || "any"));
    }
    if (s.format) type += " (" + s.format + ")";
    if (Array.isArray(s.enum)) type += " one of " + s.enum.map((v) => JSON.stringify(v)).join(", ");
    if (!type && (s.oneOf || s.anyOf)) {
      type = (s.oneOf || s.anyOf).map((one) => typeOf(one) || "object").join(" | ");
    }
    return name ? name + (type ? ": " + type : "") : type;
  }

  // A schema as a nested list of its properties, `$ref`s resolved, cycles cut.
  function schemaView(schema, depth, trail) {
    const s = resolve(schema);
    const name = refName(schema);
    if (name && trail.includes(name)) return el("span", { class: "type" }, name + " (see above)");
    const next = name ? trail.concat(name) : trail;
    const box = el("div", { class: "schema" });
    if (s.allOf) {
      for (const part of s.allOf) box.append(schemaView(part, depth, next));
      return box;
    }
    const alternatives = s.oneOf || s.anyOf;
    if (alternatives && !s.properties) {
      box.append(el("span", { class: "type" }, "one of:"));
      box.append(el("ul", {}, ...alternatives.map((one) => el("li", {}, schemaView(one, depth + 1, next)))));
      return box;
    }
    const itemSchema = s.type === "array" ? resolve(s.items || {}) : null;
    const props = s.properties || (itemSchema && itemSchema.properties);
    box.append(el("span", { class: "type" }, typeOf(schema) || "object"));
    if (s.description && depth === 0) box.append(el("p", {}, text(s.description)));
    if (!props || depth > 6) return box;
    const required = new Set(s.required || (itemSchema && itemSchema.required) || []);
    const list = el("ul");
    for (const [key, prop] of Object.entries(props)) {
      const p = resolve(prop);
      const item = el("li", {}, el("code", {}, key), " ", el("span", { class: "type" }, typeOf(prop)));
      if (required.has(key)) item.append(" ", el("span", { class: "req" }, "required"));
      if (p.description) item.append(" — ", text(p.description));
      const inner = p.type === "array" ? resolve(p.items || {}) : p;
      if (inner.properties || inner.oneOf || inner.anyOf || inner.allOf) {
        item.append(schemaView(p.type === "array" ? p.items : prop, depth + 1, next));
      }
      list.append(item);
    }
    box.append(list);
    return box;
  }

  // A JSON skeleton of a request body, to start the "try it" form from.
  function example(schema, depth) {
    const s = resolve(schema);
    if (s.example !== undefined) return s.example;
    if (depth > 4) return null;
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
    if (s.properties) {
      const out = {};
      for (const key of s.required || Object.keys(s.properties)) {
        out[key] = example(s.properties[key] || {}, depth + 1);
      }
      return out;
    }
    if (Array.isArray(s.enum)) return s.enum[0];
    if (type === "array") return [];
    if (type === "integer" || type === "number") return 0;
    if (type === "boolean") return false;
    if (type === "string") return "";
    return null;
  }

  function parametersView(params) {
    const body = el("tbody");
    for (const raw of params) {
      const p = resolve(raw);
      body.append(el("tr", {},
        el("td", {}, el("code", {}, p.name || "")),
        el("td", {}, p.in || ""),
        el("td", {}, typeOf(p.schema || {}), p.required ? el("span", { class: "req" }, " required") : null),
        el("td", {}, text(p.description))));
    }
    return el("table", {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "name"), el("th", { scope: "col" }, "in"),
        el("th", { scope: "col" }, "type"), el("th", { scope: "col" }, "description"))),
      body);
  }

  function contentView(content) {
    const box = el("div");
    for (const [media, entry] of Object.entries(content || {})) {
      box.append(el("p", {}, el("code", {}, media)));
      if (entry && entry.schema) box.append(schemaView(entry.schema, 0, []));
    }
    return box;
  }

  function responsesView(responses) {
    const list = el("dl");
    for (const [status, raw] of Object.entries(responses || {})) {
      const r = resolve(raw);
      list.append(el("dt", {}, el("strong", {}, status), " ", text(r.description)));
      list.append(el("dd", {}, contentView(r.content)));
    }
    return list;
  }

  let formCount = 0;

  // The "try it" form of one operation: its path and query parameters, its body.
  function tryView(method, path, params, requestBody) {
    formCount += 1;
    const id = "try-" + formCount;
    const form = el("form", { "aria-labelledby": id + "-h" });
    form.append(el("h4", { id: id + "-h" }, "Try it"));
    const inputs = [];
    for (const raw of params) {
      const p = resolve(raw);
      if (p.in !== "path" && p.in !== "query") continue;
      const inputId = id + "-" + p.in + "-" + p.name;
      const input = el("input", { id: inputId, name: p.name, type: "text", autocomplete: "off" });
      if (p.required) input.required = true;
      inputs.push([p, input]);
      form.append(el("label", { for: inputId }, p.name + " (" + p.in + (p.required ? ", required" : "") + ")"), input);
    }
    let bodyArea = null;
    const json = requestBody && resolve(requestBody).content && resolve(requestBody).content["application/json"];
    if (json) {
      bodyArea = el("textarea", { id: id + "-body", spellcheck: "false" });
      bodyArea.value = JSON.stringify(example(json.schema || {}, 0), null, 2);
      form.append(el("label", { for: id + "-body" }, "Request body (JSON)"), bodyArea);
    }
    const result = el("div", { role: "status", "aria-live": "polite" });
    form.append(el("button", { type: "submit" }, "Send " + method.toUpperCase()), result);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(method, path, inputs, bodyArea, result);
    });
    return form;
  }

  async function send(method, path, inputs, bodyArea, result) {
    let url = path;
    const query = new URLSearchParams();
    for (const [p, input] of inputs) {
      if (input.value === "") continue;
      if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(input.value));
      else query.append(p.name, input.value);
    }
    if ([...query.keys()].length) url += "?" + query.toString();
    const headers = { Accept: "application/json, application/problem+json, text/plain" };
    const token = document.getElementById("token").value.trim();
    if (token) headers.Authorization = "Bearer " + token;
    const init = { method: method.toUpperCase(), headers, credentials: "omit" };
    if (bodyArea) {
      headers["Content-Type"] = "application/json";
      init.body = bodyArea.value;
    }
    result.replaceChildren(el("p", {}, "Sending " + init.method + " " + url + "…"));
    try {
      const response = await fetch(url, init);
      let body = await response.text();
      try {
        body = JSON.stringify(JSON.parse(body), null, 2);
      } catch (_) { /* not JSON: shown as it came */ }
      const cls = response.ok ? "status-ok" : "status-bad";
      const shown = ["content-type", "x-request-id", "retry-after", "content-disposition"]
        .filter((h) => response.headers.get(h))
        .map((h) => h + ": " + response.headers.get(h)).join("\n");
      result.replaceChildren(
        el("p", {}, el("span", { class: cls }, String(response.status) + " " + response.statusText), " ", init.method + " " + url),
        shown ? el("pre", { "aria-label": "response headers" }, shown) : null,
        el("pre", { "aria-label": "response body" }, body || "(empty body)"));
    } catch (err) {
      result.replaceChildren(el("p", { class: "status-bad" }, "The request failed: " + String(err)));
    }
  }

  function operationView(method, path, op, shared) {
    const params = (shared || []).concat(op.parameters || []);
    const details = el("details", { class: "op", id: op.operationId || method + path });
    details.append(el("summary", {},
      el("span", { class: "method" }, method), " ", el("span", { class: "path" }, path),
      op.summary ? el("span", { class: "summary" }, op.summary) : null));
    const inner = el("div");
    if (op.description) inner.append(el("p", {}, text(op.description)));
    if (op.operationId) inner.append(el("p", {}, "Operation id: ", el("code", {}, op.operationId)));
    if (op.security && op.security.length) {
      inner.append(el("p", {}, "Needs: ", op.security.map((s) => Object.keys(s).join(" + ")).join(" or ")));
    }
    if (params.length) inner.append(el("h4", {}, "Parameters"), parametersView(params));
    if (op.requestBody) {
      const rb = resolve(op.requestBody);
      inner.append(el("h4", {}, "Request body" + (rb.required ? " (required)" : "")));
      if (rb.description) inner.append(el("p", {}, text(rb.description)));
      inner.append(contentView(rb.content));
    }
    inner.append(el("h4", {}, "Responses"), responsesView(op.responses));
    inner.append(tryView(method, path, params, op.requestBody));
    details.append(inner);
    return details;
  }

  function render() {
    document.title = (doc.info && doc.info.title ? doc.info.title : "API") + " · API reference";
    document.getElementById("title").textContent = (doc.info && doc.info.title) || "API reference";
    const description = document.getElementById("description");
    description.textContent = text(doc.info && doc.info.description) +
      (doc.info && doc.info.version ? " (version " + doc.info.version + ")" : "");
    const groups = new Map();
    for (const tag of doc.tags || []) groups.set(tag.name, { tag, ops: [] });
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        for (const name of op.tags && op.tags.length ? op.tags : ["other"]) {
          if (!groups.has(name)) groups.set(name, { tag: { name }, ops: [] });
          groups.get(name).ops.push([method, path, op, item.parameters]);
        }
      }
    }
    const main = document.getElementById("operations");
    const toc = document.getElementById("toc");
    main.replaceChildren();
    for (const { tag, ops } of groups.values()) {
      if (!ops.length) continue;
      const id = "tag-" + tag.name;
      toc.append(el("li", {}, el("a", { href: "#" + id }, tag.name)));
      const section = el("section", { "aria-labelledby": id });
      section.append(el("h2", { id }, tag.name));
      if (tag.description) section.append(el("p", {}, text(tag.description)));
      for (const [method, path, op, shared] of ops) section.append(operationView(method, path, op, shared));
      main.append(section);
    }
  }

  async function load() {
    const toggle = document.getElementById("token-show");
    const token = document.getElementById("token");
    toggle.addEventListener("click", () => {
      const shown = token.type === "text";
      token.type = shown ? "password" : "text";
      toggle.textContent = shown ? "Show" : "Hide";
      toggle.setAttribute("aria-pressed", String(!shown));
    });
    try {
      const response = await fetch("/openapi.json", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      doc = await response.json();
      render();
    } catch (err) {
      document.getElementById("load-status").textContent = "Could not load /openapi.json: " + String(err);
    }
  }

  document.addEventListener("DOMContentLoaded", load);
})();
