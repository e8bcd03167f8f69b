// For tests/test_pages.py: what is wrong with a page's layout, as a list of sentences.
// `selectors` name the parts that must not overlap (one inside another is fine); every part
// must be inside the window and not clipped sideways; the page must not scroll sideways;
// every visible button and summary must be a 44x44 px target (WCAG 2.5.5).
(selectors) => {
  const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const name = (e) => e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + [...e.classList].join('.')
    + (e.textContent ? ' "' + e.textContent.trim().slice(0, 30) + '"' : '');
  // what of an element shows: its box cut to every scrolling ancestor's visible box
  const shown = (e) => {
    let r = e.getBoundingClientRect();
    r = { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowY === 'visible') continue;
      const c = a.getBoundingClientRect();
      r = { left: Math.max(r.left, c.left), right: Math.min(r.right, c.right),
            top: Math.max(r.top, c.top), bottom: Math.min(r.bottom, c.bottom) };
    }
    return r;
  };
  const parts = [];
  for (const sel of selectors) for (const e of document.querySelectorAll(sel)) {
    const r = shown(e);
    if (visible(e) && r.right - r.left > 1 && r.bottom - r.top > 1) parts.push(e);
  }
  const problems = [];
  const W = document.documentElement.clientWidth;
  for (const e of parts) {
    const r = e.getBoundingClientRect();
    if (r.left < -1 || r.right > W + 1) problems.push(`${name(e)} is outside the window: ${r.left}-${r.right} of ${W}`);
    // clipped by a scrolling or overflow-hidden ancestor (other than the room's scroller)
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' || a.id === 'main') continue;
      const ar = a.getBoundingClientRect();
      if (r.right > ar.right + 1 || r.left < ar.left - 1) problems.push(`${name(e)} is clipped by ${name(a)}`);
    }
  }
  for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
    const a = parts[i], b = parts[j];
    if (a.contains(b) || b.contains(a)) continue;
    const p = shown(a), q = shown(b);
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 1 && h > 1) problems.push(`${name(a)} overlaps ${name(b)}`);
  }
  const main = document.querySelector('main');
  if (main && main.scrollWidth > main.clientWidth + 1) problems.push(`the page scrolls sideways: ${main.scrollWidth} > ${main.clientWidth}`);
  for (const e of document.querySelectorAll('button, summary')) {
    if (!visible(e)) continue;
    const r = e.getBoundingClientRect();
    if (r.height < 44 || r.width < 44) problems.push(`${name(e)} is a small target: ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return problems;
}
