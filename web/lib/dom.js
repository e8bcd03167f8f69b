// Kvorum: the DOM helpers every page uses (plain ES module, no build step).

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

const skip = (c) => c === null || c === undefined || c === false;

/**
 * A new element. attrs: `class`, `text` (textContent), `dataset` (object), `on<event>`
 * (listener), `true` for a boolean attribute; null, undefined and false are left out.
 * Children are nodes or text; null/undefined/false children are skipped, arrays flattened.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (skip(value)) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (skip(child)) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace a node's children, skipping null/undefined/false (conditional children). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => !skip(c)));
}

/** English beside Swedish, in smaller muted text. */
export const en = (text) => el('span', { class: 'en', lang: 'en', text });

/** Swedish first, English after it. */
export const bi = (sv, english, tag = 'span') => el(tag, { class: 'bi' }, sv, english ? [' ', en(english)] : null);

const SVG_NS = 'http://www.w3.org/2000/svg';
// 24x24 paths; currentColor. No emoji: not every room computer has an emoji font.
const ICONS = {
  pause: '<rect x="6" y="4" width="4" height="16" rx="1"/><rect x="14" y="4" width="4" height="16" rx="1"/>',
  alert: '<path d="M12 3 2 21h20L12 3Z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><rect x="11" y="9" width="2" height="6" rx="1"/><circle cx="12" cy="18" r="1.2"/>',
  speaker: '<path d="M4 9h4l5-4v14l-5-4H4z"/>',
  'speaker-on': '<path d="M4 9h4l5-4v14l-5-4H4z"/><path d="M16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
  check: '<path d="m5 12.5 4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/>',
  cross: '<path d="M6 6l12 12M18 6 6 18" fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round"/>',
  stop: '<circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2"/><path d="M7.5 16.5l9-9" stroke="currentColor" stroke-width="2"/>',
  mic: '<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M6 11a6 6 0 0 0 12 0M12 17v4M8.5 21h7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
  'mic-off': '<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M6 11a6 6 0 0 0 12 0M12 17v4M8.5 21h7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/><path d="M4 3l16 18" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/>',
  camera: '<rect x="2.5" y="6" width="13" height="12" rx="2"/><path d="m16.5 10.5 5-3v9l-5-3z"/>',
  'camera-off': '<rect x="2.5" y="6" width="13" height="12" rx="2"/><path d="m16.5 10.5 5-3v9l-5-3z"/><path d="M3 3l18 18" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/>',
  leave: '<path d="M10 4H5v16h5" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><path d="M14 8l4 4-4 4M18 12H9" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>',
};

/**
 * A small inline SVG icon. Decorative (aria-hidden) unless `label` is given: then it is an
 * image with that text alternative (role="img", aria-label, and a <title>).
 */
export function icon(name, { label = null, cls = '' } = {}) {
  const span = document.createElement('span');
  span.className = `icon ${cls}`.trim();
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '1em');
  svg.setAttribute('height', '1em');
  svg.setAttribute('fill', 'currentColor');
  svg.setAttribute('focusable', 'false');
  svg.innerHTML = (label ? `<title>${escapeText(label)}</title>` : '') + ICONS[name];
  if (label) {
    span.setAttribute('role', 'img');
    span.setAttribute('aria-label', label);
    svg.setAttribute('aria-hidden', 'true');
  } else {
    span.setAttribute('aria-hidden', 'true');
  }
  span.append(svg);
  return span;
}

function escapeText(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}
