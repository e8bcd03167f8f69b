// Kvorum member view: join by personal link, wait in the lobby, publish camera and
// microphone, see everyone else. The chair's and secretary's dashboard (chair.js) is loaded
// on top of this page when `welcome.dashboard` is true. Protocol: docs/protocol.md.

import { $, el, en, fill, icon } from './lib/dom.js';
import { formatDay, genitive } from './lib/format.js';
import { reasonText } from './lib/labels.js';
import { Connection, startLocalMedia } from './lib/rtc.js';

const meetingId = decodeURIComponent(location.pathname.split('/').pop());
const token = new URLSearchParams(location.search).get('t');
const STATS_EVERY_MS = 1000;

const state = {
  connection: null,
  participantId: null,
  local: null,           // MediaStream from the camera and microphone
  people: new Map(),     // participant id -> {name, personId, audio, video, stream, tile}
  listeners: [],         // functions(message) added by the chair's dashboard
  welcome: null,
  admitted: false,
  linkState: 'new',      // the peer connection's state
  latest: {},            // message type -> the last one received (the dashboard loads late)
  get pc() { return this.connection && this.connection.pc; },
  get ws() { return this.connection && this.connection.ws; },
  get tracks() { return (this.connection && this.connection.tracks) || {}; },
};
window.kvorum = state;   // for the browser tests and for support staff in devtools

/** What the dashboard module gets: the page's state, a way to send, a way to listen. */
const api = {
  state,
  send: (message) => send(message),
  on: (fn) => state.listeners.push(fn),
  tileFor: (id) => tileFor(id),
};

function send(message) {
  if (state.connection) state.connection.send(message);
}

// -- the header's status: only "Ansluten" when admitted and the media link is up -----------

function showStatus() {
  let text;
  if (!state.connection) text = 'Inte ansluten';
  else if (!state.welcome) text = 'Ansluter…';
  else if (!state.admitted) text = 'I lobbyn – väntar på ordföranden';
  else if (state.linkState === 'connected') text = 'Ansluten';
  else if (state.linkState === 'failed' || state.linkState === 'disconnected') text = 'Förbindelsen bröts';
  else text = 'Ansluter…';
  $('status').textContent = text;
}

// -- before joining: which meeting, which person, the camera preview -------------------------

async function showInvitation() {
  if (!token) return;
  try {
    const response = await fetch(`/api/meetings/${encodeURIComponent(meetingId)}/me`,
      { headers: { 'X-Kvorum-Token': token } });
    const data = await response.json();
    if (!response.ok) {
      fill($('invite-error'), data.message_sv || 'Länken kunde inte läsas.', ' ', en(data.message_en || ''));
      return;
    }
    const m = data.meeting;
    $('invite-name').textContent = data.person.name;
    $('invite-role').textContent = `(${data.person.role})`;
    $('invite-committee').textContent = m.committee_name;
    $('invite-when').textContent = formatDay(m.date, m.time);
    $('invite-place').textContent = m.place;
    $('invite').hidden = false;
    $('title').textContent = `${m.committee_name} – ${formatDay(m.date, m.time)}`;
    $('join-button').replaceChildren(`Anslut som ${data.person.name} `, el('span', { lang: 'en' }, '/ Join'));
  } catch (err) {
    console.warn('invitation not shown', err);
  }
}

async function startCamera() {
  try {
    state.local = await startLocalMedia();
    $('preview').srcObject = state.local;
  } catch (err) {
    fill($('join-error'),
      'Kameran eller mikrofonen kunde inte startas. Tillåt dem i webbläsaren (ikonen i adressfältet) och ladda om sidan. ',
      en(`The camera or microphone could not start (${err.name}).`));
  }
}

// -- tiles -----------------------------------------------------------------------------------

function tileFor(id) {
  let person = state.people.get(id);
  if (!person) {
    person = { name: '…', audio: true, video: true };
    state.people.set(id, person);
  }
  if (!person.tile) {
    const video = el('video', { autoplay: true, playsinline: true });
    video.muted = true;  // sound plays through the <audio> element
    const audio = el('audio', { autoplay: true });
    person.tile = el('figure', { class: 'tile', dataset: { participant: id } },
      video, audio, el('figcaption', { class: 'name' }, el('span', { class: 'name-text' }), el('span', { class: 'flags' })));
    $('gallery').append(person.tile);
    person.stream = new MediaStream();
    video.srcObject = person.stream;
    audio.srcObject = person.stream;
  }
  renderPerson(id);
  return person;
}

function renderPerson(id) {
  const person = state.people.get(id);
  if (!person || !person.tile) return;
  person.tile.querySelector('.name-text').textContent = person.name;
  fill(person.tile.querySelector('.flags'),
    person.audio ? null : icon('mic-off', { label: `${genitive(person.name)} mikrofon är avstängd` }),
    person.video ? null : icon('camera-off', { label: `${genitive(person.name)} kamera är avstängd` }));
  person.tile.dataset.audio = String(person.audio);
  person.tile.dataset.video = String(person.video);
}

function removePerson(id) {
  const person = state.people.get(id);
  if (person && person.tile) person.tile.remove();
  state.people.delete(id);
}

function addPeople(list) {
  for (const p of list || []) {
    state.people.set(p.id, { ...(state.people.get(p.id) || {}), name: p.name, personId: p.person_id,
      audio: p.audio, video: p.video });
    tileFor(p.id);
  }
}

function onTrack(track, info) {
  const person = tileFor(info.participant);
  for (const old of person.stream.getTracks().filter((t) => t.kind === track.kind)) person.stream.removeTrack(old);
  person.stream.addTrack(track);
  person.tile.querySelector('video').play().catch(() => {});
  if (track.kind === 'audio') person.tile.querySelector('audio').play().catch(() => {});
}

// -- messages --------------------------------------------------------------------------------

function onMessage(message) {
  state.latest[message.type] = message;
  switch (message.type) {
    case 'welcome':
      state.participantId = message.participant_id;
      state.welcome = message;
      if (!$('title').textContent) $('title').textContent = message.meeting.title;
      $('room-title').textContent = $('title').textContent || message.meeting.title;
      addPeople(message.participants);
      showAdmitted(message.admitted);
      if (message.dashboard) {
        document.body.classList.add('chair');
        import('/static/chair.js').then((m) => m.startDashboard(api)).catch((err) =>
          console.error('dashboard failed to load', err));
      }
      break;
    case 'admitted':
      addPeople(message.participants);
      showAdmitted(true);
      break;
    case 'removed':
      leave('Ordföranden har noterat att du har lämnat sammanträdet.',
        'The chair has recorded that you left the meeting.');
      break;
    case 'meeting-phase':
      showPhase(message);
      break;
    case 'my-quality':
      showMyQuality(message);
      break;
    case 'participant-joined': {
      addPeople([message.participant]);
      break;
    }
    case 'participant-left':
      removePerson(message.participant_id);
      break;
    case 'participant-media': {
      const person = state.people.get(message.participant_id);
      if (person) { person.audio = message.audio; person.video = message.video; renderPerson(message.participant_id); }
      break;
    }
    case 'bye':
      leave('Sammanträdet är avslutat.', 'The meeting has ended.');
      break;
    case 'error':
      console.warn('server error', message);
      if (!state.participantId) {
        fill($('join-error'), `${message.message_sv} `, en(message.message_en));
        $('join').hidden = false;
        $('room').hidden = true;
        $('controls').hidden = true;
        $('join-button').disabled = false;
        state.connection = null;
        showStatus();
      }
      break;
    default:
      break;
  }
  for (const listener of state.listeners) {
    try { listener(message); } catch (err) { console.error(err); }
  }
}

function showAdmitted(admitted) {
  state.admitted = admitted;
  $('lobby').hidden = admitted;
  $('gallery').hidden = !admitted;
  showStatus();
}

function nameOfPerson(personId) {
  for (const p of state.people.values()) if (p.personId === personId) return p.name;
  return null;
}

function showPhase(message) {
  const banner = $('phase-banner');
  if (message.phase === 'suspended') {
    const s = message.suspension || {};
    const worded = s.sv ? reasonText(s) : null;  // the server's wording, when it sends one
    const mine = Boolean(s.person_id && state.welcome && s.person_id === state.welcome.person_id);
    const name = s.name || nameOfPerson(s.person_id);
    const why = mine ? 'Din bild eller ditt ljud når inte fram till sammanträdet.'
      : worded ? worded.sv
        : name ? `${genitive(name)} bild eller ljud når inte fram.` : 'En distansdeltagares bild eller ljud når inte fram.';
    fill(banner, el('strong', {}, 'Sammanträdet är avbrutet. '), why,
      ' Inga beslut fattas förrän förbindelsen är återställd och ordföranden återupptar sammanträdet.',
      ' ', en(`The meeting is suspended${worded && worded.en ? `: ${worded.en}` : ''}.`));
    banner.dataset.kind = 'suspended';
    banner.hidden = false;
  } else if (message.phase === 'closed') {
    fill(banner, el('strong', {}, 'Sammanträdet är avslutat.'), ' ', en('The meeting is closed.'));
    banner.dataset.kind = 'closed';
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

// What a member is told about their own link; the room's device (chair, secretary) gets the
// plain state without the advice for people at home.
const MY_QUALITY = {
  ok: 'Din bild och ditt ljud når fram bra.',
  degraded: 'Din förbindelse är svag. Använd headset och ett stabilt nät (helst inte mobilnätet).',
  failed: 'Din bild eller ditt ljud når inte fram. Sammanträdet kan avbrytas tills det fungerar igen.',
};
const ROOM_QUALITY = {
  ok: 'Rummets bild och ljud når fram bra.',
  degraded: 'Rummets bild eller ljud når fram med sämre kvalitet.',
  failed: 'Rummets bild eller ljud når inte fram.',
};

function showMyQuality(q) {
  const box = $('my-quality');
  const room = Boolean(state.welcome && state.welcome.dashboard);
  const parts = [(room ? ROOM_QUALITY : MY_QUALITY)[q.state] || ''];
  const reason = q.state !== 'ok' && q.reasons && q.reasons[0] ? reasonText(q.reasons[0]) : null;
  if (reason) parts.push(reason.sv);
  if (q.visible === false && !room) parts.push('Ditt ansikte syns inte i bilden: flytta kameran eller tänd ljuset.');
  const text = parts.filter(Boolean).join(' ');
  if (box.textContent !== text) box.textContent = text;
  box.title = room ? text : '';
  box.dataset.state = q.visible === false && q.state === 'ok' && !room ? 'degraded' : q.state;
  box.hidden = false;
}

// -- joining and leaving ---------------------------------------------------------------------

async function join(name) {
  if (name) localStorage.setItem('kvorum-name', name);
  $('join-button').disabled = true;
  await cameraReady;
  state.connection = new Connection({
    local: state.local,
    onMessage,
    onTrack,
    onConnectionState: (s) => { state.linkState = s; showStatus(); },
    onClose: () => { if (!$('room').hidden) $('status').textContent = 'Frånkopplad'; },
  });
  state.connection.open(token ? { type: 'join', meeting: meetingId, token } : { type: 'join', meeting: meetingId, name });
  state.statsTimer = setInterval(() => state.connection && state.connection.reportStats().catch(() => {}), STATS_EVERY_MS);
  showStatus();
  $('join').hidden = true;
  $('room').hidden = false;
  $('controls').hidden = false;
  $('self-view').srcObject = state.local;
  $('room-title').focus();
}

function leave(sv = null, english = null) {
  clearInterval(state.statsTimer);
  if (state.connection) state.connection.close();
  state.connection = null;
  if (state.local) state.local.getTracks().forEach((t) => t.stop());
  $('room').hidden = true;
  $('controls').hidden = true;
  $('left').hidden = false;
  if (sv) fill($('left-reason'), sv, ' ', en(english || ''));
  $('left-heading').focus();
  showStatus();
}

// -- microphone and camera: a fixed name, aria-pressed says whether it is on ----------------

function renderToggle(button, kind, on) {
  const [name, iconOn, iconOff] = kind === 'audio' ? ['Mikrofon', 'mic', 'mic-off'] : ['Kamera', 'camera', 'camera-off'];
  button.setAttribute('aria-pressed', String(on));
  fill(button, icon(on ? iconOn : iconOff), el('span', {}, name),
    el('span', { class: 'toggle-state', 'aria-hidden': 'true' }, on ? 'på' : 'av'));
}

function toggle(kind, button) {
  const track = state.local && state.local.getTracks().find((t) => t.kind === kind);
  if (!track) return;
  track.enabled = !track.enabled;
  renderToggle(button, kind, track.enabled);
  send({ type: 'media-state', [kind]: track.enabled });
}

renderToggle($('mic'), 'audio', true);
renderToggle($('cam'), 'video', true);
fill($('leave'), icon('leave'), el('span', {}, 'Lämna mötet'));
$('name').value = localStorage.getItem('kvorum-name') || '';
$('rejoin').href = location.pathname + location.search;
$('check-link').href = '/check?next=' + encodeURIComponent(location.pathname + location.search);
if (token) {
  $('name-field').hidden = true;
  $('name').required = false;
}
$('join-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const name = $('name').value.trim();
  if (name || token) join(name);
});
$('mic').addEventListener('click', () => toggle('audio', $('mic')));
$('cam').addEventListener('click', () => toggle('video', $('cam')));
$('leave').addEventListener('click', () => leave());
showInvitation();
const cameraReady = startCamera();
