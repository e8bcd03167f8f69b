// Kvorum member view: join, publish camera and microphone, show everyone else.
// The server always sends the offer; this page only answers (docs/protocol.md).

const meetingId = decodeURIComponent(location.pathname.split('/').pop());
const token = new URLSearchParams(location.search).get('t');
const $ = (id) => document.getElementById(id);
const STATS_EVERY_MS = 1000;

const state = {
  ws: null,
  pc: null,
  participantId: null,
  local: null,           // MediaStream from the camera and microphone
  tracks: {},            // mid -> {role, kind, participant}
  people: new Map(),     // participant id -> {name, audio, video, stream, tile}
  negotiation: Promise.resolve(),
  listeners: [],         // functions(message) added by the chair's dashboard
  welcome: null,
  latest: {},            // message type -> the last one received (the dashboard loads late)
};
window.kvorum = state;   // for the browser tests and for support staff in devtools

/** What the dashboard module gets: the page's state, a way to send, a way to listen. */
const api = {
  state,
  send: (message) => send(message),
  on: (fn) => state.listeners.push(fn),
  tileFor: (id) => tileFor(id),
};

function setStatus(text) { $('status').textContent = text; }

async function startCamera() {
  try {
    state.local = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true },
      video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 25 } },  // >= 20 fps, >= 240 lines: EN 301 549 (profile)
    });
    $('preview').srcObject = state.local;
  } catch (err) {
    $('join-error').textContent =
      'Kameran eller mikrofonen kunde inte startas. Ge webbläsaren tillåtelse och försök igen. ' +
      '/ The camera or microphone could not start: ' + err.name;
  }
}

function tileFor(id) {
  let person = state.people.get(id);
  if (!person) {
    person = { name: '…', audio: true, video: true };
    state.people.set(id, person);
  }
  if (!person.tile) {
    const tile = document.createElement('figure');
    tile.className = 'tile';
    tile.dataset.participant = id;
    const video = document.createElement('video');
    video.autoplay = true; video.playsInline = true; video.muted = true;
    const audio = document.createElement('audio');
    audio.autoplay = true;
    const name = document.createElement('figcaption');
    name.className = 'name';
    const flags = document.createElement('span');
    flags.className = 'flags';
    tile.append(video, audio, name, flags);
    $('gallery').append(tile);
    person.tile = tile;
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
  person.tile.querySelector('.name').textContent = person.name;
  person.tile.querySelector('.flags').textContent =
    (person.audio ? '' : '🔇 ') + (person.video ? '' : '📷✕');
}

function removePerson(id) {
  const person = state.people.get(id);
  if (person && person.tile) person.tile.remove();
  state.people.delete(id);
}

function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

function waitForIceGathering(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === 'complete') { pc.removeEventListener('icegatheringstatechange', done); resolve(); } };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, 3000);  // answer with what we have rather than hang
  });
}

async function answer(offer) {
  state.tracks = offer.tracks;
  await state.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
  for (const transceiver of state.pc.getTransceivers()) {
    const info = state.tracks[transceiver.mid];
    if (info && info.role === 'publish' && state.local) {
      const track = state.local.getTracks().find((t) => t.kind === info.kind);
      transceiver.direction = track ? 'sendonly' : 'inactive';
      if (track && transceiver.sender.track !== track) await transceiver.sender.replaceTrack(track);
    }
  }
  await state.pc.setLocalDescription(await state.pc.createAnswer());
  await waitForIceGathering(state.pc);
  send({ type: 'answer', sdp: state.pc.localDescription.sdp });
}

function onTrack(event) {
  const info = state.tracks[event.transceiver.mid];
  if (!info || info.role !== 'subscribe') return;
  const person = tileFor(info.participant);
  for (const old of person.stream.getTracks().filter((t) => t.kind === event.track.kind)) {
    person.stream.removeTrack(old);
  }
  person.stream.addTrack(event.track);
  const video = person.tile.querySelector('video');
  video.play().catch(() => {});
  if (event.track.kind === 'audio') person.tile.querySelector('audio').play().catch(() => {});
}

function onMessage(message) {
  state.latest[message.type] = message;
  switch (message.type) {
    case 'welcome':
      state.participantId = message.participant_id;
      state.welcome = message;
      $('title').textContent = message.meeting.title;
      addPeople(message.participants);
      showAdmitted(message.admitted);
      if (message.dashboard) {
        import('/static/chair.js').then((m) => m.startDashboard(api)).catch((err) =>
          console.error('dashboard failed to load', err));
      }
      setStatus(message.admitted ? 'Ansluten' : 'I lobbyn');
      break;
    case 'admitted':
      addPeople(message.participants);
      showAdmitted(true);
      setStatus('Ansluten');
      break;
    case 'removed':
      leave('Ordföranden har noterat att du har lämnat sammanträdet / The chair has recorded that you left the meeting');
      break;
    case 'meeting-phase':
      showPhase(message);
      break;
    case 'my-quality':
      showMyQuality(message);
      break;
    case 'offer':
      state.negotiation = state.negotiation.then(() => answer(message)).catch((err) => {
        console.error('negotiation failed', err);
        setStatus('Fel vid anslutning / connection error');
      });
      break;
    case 'participant-joined': {
      const p = message.participant;
      state.people.set(p.id, { ...(state.people.get(p.id) || {}), name: p.name, audio: p.audio, video: p.video });
      tileFor(p.id);
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
      leave('Mötet har avslutats / The meeting has ended');
      break;
    case 'error':
      console.warn('server error', message);
      if (!state.participantId) {
        $('join-error').textContent = `${message.message_sv} / ${message.message_en}`;
        $('join').hidden = false;
        $('room').hidden = true;
        $('join-button').disabled = false;
        setStatus('Inte ansluten');
      }
      break;
    default:
      break;
  }
  for (const listener of state.listeners) {
    try { listener(message); } catch (err) { console.error(err); }
  }
}

function addPeople(list) {
  for (const p of list || []) {
    state.people.set(p.id, { ...(state.people.get(p.id) || {}), name: p.name, audio: p.audio, video: p.video });
    tileFor(p.id);
  }
}

function showAdmitted(admitted) {
  $('lobby').hidden = admitted;
  $('gallery').hidden = !admitted;
}

function showPhase(message) {
  const banner = $('phase-banner');
  if (message.phase === 'suspended') {
    const s = message.suspension || {};
    banner.textContent = `${s.sv || 'Sammanträdet är avbrutet.'} Inga beslut fattas förrän dess (KL 6:24). / ${s.en || 'The meeting is suspended.'}`;
    banner.hidden = false;
  } else if (message.phase === 'closed') {
    banner.textContent = 'Sammanträdet är avslutat. / The meeting is closed.';
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

const QUALITY_TEXT = {
  ok: 'Din bild och ditt ljud är bra',
  degraded: 'Din förbindelse är svag – använd headset och stabilt nät (inte 4G)',
  failed: 'Din bild eller ditt ljud når inte fram – sammanträdet kan avbrytas',
};

function showMyQuality(q) {
  const box = $('my-quality');
  const parts = [QUALITY_TEXT[q.state] || ''];
  if (q.visible === false) parts.push('Ditt ansikte syns inte i bilden – flytta kameran eller tänd ljuset');
  box.textContent = parts.filter(Boolean).join(' · ');
  box.dataset.state = q.visible === false && q.state === 'ok' ? 'degraded' : q.state;
  box.hidden = false;
}

/** About once a second: what this browser receives from each other participant (getStats). */
async function reportStats() {
  if (!state.pc || state.pc.connectionState === 'closed') return;
  const report = await state.pc.getStats();
  const inbound = [];
  let rtt = null;
  for (const s of report.values()) {
    if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
  }
  for (const s of report.values()) {
    if (s.type !== 'inbound-rtp') continue;
    const info = state.tracks[s.mid];
    if (!info || info.role !== 'subscribe') continue;
    inbound.push({
      participant: info.participant, kind: s.kind,
      framesPerSecond: s.framesPerSecond, freezeCount: s.freezeCount,
      totalFreezesDuration: s.totalFreezesDuration, concealedSamples: s.concealedSamples,
      totalSamplesReceived: s.totalSamplesReceived, jitterBufferDelay: s.jitterBufferDelay,
      jitterBufferEmittedCount: s.jitterBufferEmittedCount, roundTripTime: rtt,
      packetsLost: s.packetsLost, packetsReceived: s.packetsReceived,
    });
  }
  send({ type: 'stats', inbound });
}

async function join(name) {
  localStorage.setItem('kvorum-name', name);
  $('join-button').disabled = true;
  await cameraReady;
  setStatus('Ansluter…');
  state.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers: [] });
  state.pc.ontrack = onTrack;
  state.pc.onconnectionstatechange = () => {
    const s = state.pc.connectionState;
    if (s === 'connected') setStatus('Ansluten');
    else if (s === 'failed' || s === 'disconnected') setStatus('Anslutningen bröts / connection lost');
  };
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  state.ws = new WebSocket(`${scheme}://${location.host}/ws`);
  state.ws.onopen = () => send(token ? { type: 'join', meeting: meetingId, token } : { type: 'join', meeting: meetingId, name });
  state.statsTimer = setInterval(() => reportStats().catch(() => {}), STATS_EVERY_MS);
  state.ws.onmessage = (event) => onMessage(JSON.parse(event.data));
  state.ws.onclose = () => { if (!$('room').hidden) setStatus('Frånkopplad / disconnected'); };
  $('join').hidden = true;
  $('room').hidden = false;
  $('self-view').srcObject = state.local;
}

function leave(reason) {
  clearInterval(state.statsTimer);
  send({ type: 'leave' });
  if (state.ws) state.ws.close();
  if (state.pc) state.pc.close();
  if (state.local) state.local.getTracks().forEach((t) => t.stop());
  $('room').hidden = true;
  $('left').hidden = false;
  if (reason) $('left').querySelector('h1').textContent = reason;
  setStatus('Inte ansluten');
}

function toggle(kind, button, onText, offText) {
  const track = state.local && state.local.getTracks().find((t) => t.kind === kind);
  if (!track) return;
  track.enabled = !track.enabled;
  button.setAttribute('aria-pressed', String(track.enabled));
  button.textContent = track.enabled ? onText : offText;
  send({ type: 'media-state', [kind]: track.enabled });
}

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
$('mic').addEventListener('click', () => toggle('audio', $('mic'), 'Mikrofon på', 'Mikrofon av'));
$('cam').addEventListener('click', () => toggle('video', $('cam'), 'Kamera på', 'Kamera av'));
$('leave').addEventListener('click', () => leave());
const cameraReady = startCamera();
