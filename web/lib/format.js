// Kvorum: numbers, times and dates the Swedish way (Intl 'sv-SE': "1,5 s", "kl. 18:00").

const LOCALE = 'sv-SE';
const formats = new Map();

/** An Intl.NumberFormat for Swedish with at most `digits` decimals (cached). */
export function nf(digits = 0) {
  if (!formats.has(digits)) formats.set(digits, new Intl.NumberFormat(LOCALE, { maximumFractionDigits: digits }));
  return formats.get(digits);
}

/** A number in Swedish ("1,5"), or "–" when there is none. */
export const fmt = (value, digits = 0) =>
  (typeof value === 'number' && Number.isFinite(value) ? nf(digits).format(value) : '–');

/** "tisdag 26 november 2026 kl. 18:00" from "2026-11-26" and "18:00" (time optional). */
export function formatDay(date, time) {
  if (!date) return '';
  const d = new Date(`${date}T${time || '00:00'}`);
  if (Number.isNaN(d.getTime())) return String(date);
  const day = d.toLocaleDateString(LOCALE, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  return time ? `${day} kl. ${time}` : day;
}

/** "26 nov. 18:42" from an ISO timestamp. */
export function formatStamp(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  return d.toLocaleString(LOCALE, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** "18:42:10" from an ISO timestamp (now when none). */
export function clock(iso) {
  const d = iso ? new Date(iso) : new Date();
  if (Number.isNaN(d.getTime())) return String(iso || '');
  return d.toLocaleTimeString(LOCALE, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Today's date as YYYY-MM-DD in local time. */
export const today = () => new Date().toLocaleDateString(LOCALE);

/**
 * A monitor value in its unit, written the Swedish way: seconds "1,12 s", fractions as
 * per cent "4,3 %", seconds as milliseconds "180 ms", "15 bilder/s", "240 px".
 */
export function measured(value, unit) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  switch (unit) {
    case 's': return `${fmt(value, 1)} s`;
    case '%': return `${fmt(value * 100, 1)} %`;
    case 'ms': return `${fmt(value * 1000)} ms`;
    case 'fps': return `${fmt(value, 1)} bilder/s`;
    case 'px': return `${fmt(value)} px`;
    default: return fmt(value, 2);
  }
}

/** Swedish genitive of a name: "Karin Linds", "Lars Nils" (no extra s after s, x or z). */
export const genitive = (name) => (/[sxz]$/i.test(name) ? name : `${name}s`);
