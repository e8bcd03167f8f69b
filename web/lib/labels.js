// Kvorum: the words the pages show for the server's codes, Swedish first, English beside.
// Reasons (why a link is poor, why a meeting is suspended) are worded by the server
// (`{code, params, person_id, name, sv, en}`); `reasonText` shows those, and words the older
// evidence form `{metric, value, threshold}` only as a fallback.

import { measured } from './format.js';

/** Presence in the meeting (server/views.py presence_label) -> [sv, en]. */
export const PRESENCE = {
  room: ['I rummet', 'in the room'],
  'remote-deciding': ['På distans, beslutande', 'remote, deciding'],
  'remote-attending': ['På distans, närvarande', 'remote, attending'],
  lobby: ['I lobbyn', 'in the lobby'],
  absent: ['Frånvarande', 'absent'],
};

/** The meeting's phase -> [sv, en]. */
export const PHASE = {
  scheduled: ['Inte öppnat', 'not opened'],
  open: ['Pågår', 'in session'],
  suspended: ['Avbrutet', 'suspended'],
  closed: ['Avslutat', 'closed'],
};

/** A link's quality as the dashboard shows it -> [sv, en]. */
export const QUALITY = {
  ok: ['Bra', 'good'],
  degraded: ['Försämrad', 'degraded'],
  failed: ['Bruten', 'failed'],
  hidden: ['Syns inte', 'not visible'],
  none: ['Ej ansluten', 'not connected'],
  left: ['Har lämnat', 'has left'],
  wait: ['Mäter…', 'measuring'],
};

/** A remote request's mode -> [sv, en]. */
export const MODE = {
  deciding: ['beslutande', 'deciding'],
  'attending-only': ['närvarande utan beslutanderätt', 'attending only'],
};

// Fallback only (until every reason arrives worded): metric -> [Swedish, unit].
const METRICS = {
  'transport.state': ['Förbindelsen är inte uppkopplad', ''],
  'transport.missing': ['Ingen förbindelse', ''],
  'server.restart': ['Servern startades om', ''],
  'audio.missing': ['Inget ljud når servern', ''],
  'video.missing': ['Ingen bild når servern', ''],
  'audio.live': ['Mikrofonen är avstängd', ''],
  'video.live': ['Kameran är avstängd', ''],
  'audio.silence': ['Ljudet har upphört', 's'],
  'video.freeze': ['Bilden står still', 's'],
  'audio.loss': ['Ljudpaket går förlorade', '%'],
  'video.loss': ['Bildpaket går förlorade', '%'],
  'video.fps': ['För få bilder per sekund', 'fps'],
  'video.height': ['För låg upplösning', 'px'],
  'link.delay': ['För lång fördröjning', 'ms'],
  'downlink.video.freeze': ['Bilden som tas emot står still', 's'],
  'downlink.audio.freeze': ['Ljudet som tas emot avbryts', 's'],
  'downlink.video.fps': ['Bilden som tas emot har för få bilder per sekund', 'fps'],
  'downlink.audio.concealed': ['Ljudet som tas emot hackar', '%'],
  'downlink.video.delay': ['För lång fördröjning i det som tas emot', 'ms'],
  'downlink.audio.delay': ['För lång fördröjning i det som tas emot', 'ms'],
};

/**
 * A reason as {sv, en} text: the server's own wording when it sends one; otherwise (older
 * evidence form) a Swedish sentence from the metric, with the measured value and the limit.
 */
export function reasonText(reason) {
  if (!reason) return null;
  if (typeof reason === 'string') return null;  // untranslated rule text: not shown
  if (reason.sv) return { sv: reason.sv, en: reason.en || '' };
  const [label, unit] = METRICS[reason.metric] || ['Förbindelsen håller inte kvaliteten', ''];
  if (typeof reason.value === 'number' && unit) {
    return {
      sv: `${label}: ${measured(reason.value, unit)} (gräns ${measured(reason.threshold, unit)}).`,
      en: reason.detail || '',
    };
  }
  return { sv: `${label}.`, en: reason.detail || '' };
}
