// Building page elements from plain data. Text always goes in with textContent or as text
// nodes, never as HTML, so comment bodies and names cannot inject markup.

import { linkParts } from "./threads.js";

// <tag> with ``attributes`` (className, text, or attributes; null/false left out) and children.
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// Plain text with http(s) addresses made into links; line breaks are kept by CSS.
export function linkified(body) {
  const fragment = document.createDocumentFragment();
  for (const part of linkParts(body)) {
    fragment.append(part.href
      ? el("a", { href: part.href, rel: "noopener noreferrer nofollow", target: "_blank", text: part.text })
      : part.text);
  }
  return fragment;
}
