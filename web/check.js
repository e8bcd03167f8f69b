// Kvorum: "Testa din utrustning" (the seed's provsammanträde). Camera preview and microphone
// meter, then a round trip through the server: join a private echo room
// ({"type":"join","check":true}), answer the server's offers exactly as meeting.js does, get
// your own picture and sound back, measure ~10 s with getStats and the server's `my-quality`,
// and judge against the same profile the meeting's monitor uses (GET /api/profile).

import { $, el, icon } from './lib/dom.js';
import { fmt } from './lib/format.js';
import { reasonText } from './lib/labels.js';
import { grade, loadProfile } from './lib/profile.js';
import { Connection, startLocalMedia } from './lib/rtc.js';

const MEASURE_S = 10;
const ECHO_TIMEOUT_S = 20;
const MIC_HEARD_DBFS = -50;  // a peak above this during the test: the microphone picks up sound

const check = {
  local: null,
  audio: null,          // {context, analyser, data}
  micPeakDb: -Infinity, // loudest moment while measuring
  micNowDb: -Infinity,
  profile: null,
  running: false,
  connection: null,     // the echo room's Connection (lib/rtc.js)
  myQuality: [],
  echoStream: null,
};
window.kvorumCheck = check;  // for tests and support staff

function setStatus(text) { $('status').textContent = text; }
function step(id, state) { $(id).dataset.state = state; }

// -- camera and microphone ------------------------------------------------------------------

async function startDevices(cameraId, micId) {
  $('device-error').textContent = '';
  if (check.local) check.local.getTracks().forEach((t) => t.stop());
  try {
    check.local = await startLocalMedia({ cameraId, micId });
  } catch (err) {
    check.local = null;
    $('local-empty').textContent = 'Ingen bild från kameran';
    $('device-error').textContent = err.name === 'NotAllowedError'
      ? 'Webbläsaren fick inte använda kameran och mikrofonen. Tillåt dem (ikonen i adressfältet) och ladda om sidan. / Camera and microphone were not allowed.'
      : `Kameran eller mikrofonen kunde inte startas (${err.name}). Kontrollera att ingen annan app använder dem. / The camera or microphone could not start.`;
    setStatus('Kameran saknas');
    $('start').disabled = true;
    return;
  }
  const video = $('local-video');
  video.srcObject = check.local;
  video.play().catch(() => {});
  $('local-empty').hidden = true;
  startMeter();
  await listDevices();
  describeLocal();
  $('start').disabled = check.running;
  setStatus('Redo');
}

function describeLocal() {
  const v = check.local && check.local.getVideoTracks()[0];
  const a = check.local && check.local.getAudioTracks()[0];
  const s = v ? v.getSettings() : {};
  $('local-info').textContent = [
    v ? `Kamera: ${v.label || 'okänd'} – ${s.width || '?'}×${s.height || '?'}, ${fmt(s.frameRate)} bilder/s` : 'Ingen kamera',
    a ? `Mikrofon: ${a.label || 'okänd'}` : 'Ingen mikrofon',
  ].join(' · ');
}

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const fillSelect = (select, kind, track) => {
    const current = track ? track.getSettings().deviceId : null;
    select.replaceChildren();
    for (const d of devices.filter((x) => x.kind === kind)) {
      const option = document.createElement('option');
      option.value = d.deviceId;
      option.textContent = d.label || (kind === 'videoinput' ? 'Kamera' : 'Mikrofon');
      option.selected = d.deviceId === current;
      select.append(option);
    }
    select.disabled = select.options.length < 2 || check.running;
  };
  fillSelect($('camera-select'), 'videoinput', check.local && check.local.getVideoTracks()[0]);
  fillSelect($('mic-select'), 'audioinput', check.local && check.local.getAudioTracks()[0]);
}

function startMeter() {
  const track = check.local && check.local.getAudioTracks()[0];
  if (!track) return;
  if (check.audio) check.audio.source.disconnect();
  const context = (check.audio && check.audio.context) || new AudioContext();
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  check.audio = { context, source, analyser, data: new Float32Array(analyser.fftSize) };
  context.resume().catch(() => {});
}

function meterLoop() {
  const a = check.audio;
  if (a) {
    a.analyser.getFloatTimeDomainData(a.data);
    let sum = 0;
    let peak = 0;
    for (const x of a.data) { sum += x * x; peak = Math.max(peak, Math.abs(x)); }
    const rms = Math.sqrt(sum / a.data.length);
    const db = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
    check.micNowDb = db;
    if (check.running) check.micPeakDb = Math.max(check.micPeakDb, peak > 0 ? 20 * Math.log10(peak) : -Infinity);
    const pct = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
    $('mic-fill').style.width = `${pct}%`;
    $('mic-fill').dataset.loud = String(db > -6);
    $('mic-db').textContent = Number.isFinite(db) ? `${fmt(db)} dB` : 'tyst';
  }
  requestAnimationFrame(meterLoop);
}

// -- the round trip through the server ---------------------------------------------------------

function connect() {
  return new Promise((resolve, reject) => {
    check.echoStream = new MediaStream();
    $('echo-video').srcObject = check.echoStream;
    check.connection = new Connection({
      local: check.local,
      onTrack: (track) => {
        for (const old of check.echoStream.getTracks().filter((t) => t.kind === track.kind)) check.echoStream.removeTrack(old);
        check.echoStream.addTrack(track);
        $('echo-video').play().catch(() => {});
      },
      onClose: () => { if (check.running) reject(new Error('closed')); },
      onMessage: (message) => {
        switch (message.type) {
          case 'welcome': check.participantId = message.participant_id; resolve(); break;
          case 'my-quality': check.myQuality.push({ at: performance.now(), ...message }); showServer(message); break;
          case 'error': console.warn('server error', message); reject(new Error(message.message_sv)); break;
          default: break;
        }
      },
    });
    check.connection.open({ type: 'join', check: true, name: 'Test' });
  });
}

/** The last echoed picture stays on screen after the test (the connection is closed). */
function keepLastFrame() {
  const video = $('echo-video');
  if (!(video.videoWidth > 0)) return;
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  video.poster = canvas.toDataURL('image/jpeg', 0.85);
  video.srcObject = null;
  $('echo-caption').hidden = false;
}

function disconnect() {
  keepLastFrame();
  if (check.connection) check.connection.close();
  check.connection = null;
}

async function waitForEcho() {
  const video = $('echo-video');
  const started = performance.now();
  while (!(video.videoWidth > 0 && video.currentTime > 0)) {
    if (performance.now() - started > ECHO_TIMEOUT_S * 1000) return false;
    progress(0.05 * (performance.now() - started) / (ECHO_TIMEOUT_S * 1000),
      'Väntar på att din bild kommer tillbaka från servern…');
    await sleep(200);
  }
  $('echo-empty').hidden = true;
  return true;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function progress(fraction, text) {
  $('progress-fill').style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
  if (text) $('progress-text').textContent = text;
}

/** One getStats reading of the echoed stream, also reported to the server (as the meeting
page does, so the server judges both halves): {rtt, video, audio, outVideo}. */
async function readStats() {
  const read = await check.connection.reportStats();
  const out = { rtt: read.rtt, video: null, audio: null, outVideo: read.outboundVideo };
  for (const { stat } of read.inbound) out[stat.kind] = stat;
  return out;
}

function showServer(q) {
  const text = { ok: 'bra', degraded: 'försämrad', failed: 'bruten' }[q.state] || q.state;
  $('live-server').textContent = text;
  $('live-server').dataset.state = q.state;
}

async function measure() {
  const samples = [];
  const first = await readStats();
  const t0 = performance.now();
  while (performance.now() - t0 < MEASURE_S * 1000) {
    await sleep(1000);
    const s = await readStats();
    samples.push(s);
    const elapsed = Math.min(MEASURE_S, (performance.now() - t0) / 1000);
    progress(0.1 + 0.9 * (elapsed / MEASURE_S), `Mäter… ${fmt(elapsed)} av ${MEASURE_S} s`);
    $('live-fps').textContent = s.video ? `${fmt(s.video.framesPerSecond)} bilder/s` : '–';
    $('live-rtt').textContent = s.rtt !== null ? `${fmt(s.rtt * 1000)} ms` : '–';
    $('live-loss').textContent = `${fmt(lossPct(first.video, s.video), 1)} %`;
  }
  return { first, samples, last: samples[samples.length - 1] };
}

function delta(a, b, key) {
  if (!b || typeof b[key] !== 'number') return null;
  return b[key] - (a && typeof a[key] === 'number' ? a[key] : 0);
}

function lossPct(a, b) {
  const lost = delta(a, b, 'packetsLost');
  const got = delta(a, b, 'packetsReceived');
  if (lost === null || got === null || lost + got <= 0) return null;
  return (100 * Math.max(0, lost)) / (lost + got);
}

const mean = (xs) => { const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)); return v.length ? v.reduce((p, x) => p + x, 0) / v.length : null; };

// -- judging ------------------------------------------------------------------------------------

function judge(result) {
  const q = check.profile.quality;
  const { first, samples, last } = result;
  const rows = [];
  const add = (key, label, value, requirement, state, note) => rows.push({ key, label, value, requirement, state, note });

  const v = check.local && check.local.getVideoTracks()[0];
  const a = check.local && check.local.getAudioTracks()[0];
  add('camera', 'Kamera', v && v.readyState === 'live' ? `${v.getSettings().width}×${v.getSettings().height}` : 'ingen bild',
    'en fungerande kamera', v && v.readyState === 'live' ? 'ok' : 'bad');
  const heard = check.micPeakDb > MIC_HEARD_DBFS;
  add('microphone', 'Mikrofon (starkaste ljud)', Number.isFinite(check.micPeakDb) ? `${fmt(check.micPeakDb)} dB` : 'tyst',
    `ljud hörs (över ${fmt(MIC_HEARD_DBFS)} dB)`, !a ? 'bad' : heard ? 'ok' : 'warn');

  const fps = mean(samples.map((s) => s.video && s.video.framesPerSecond));
  add('fps', 'Bildfrekvens tillbaka', fps !== null ? `${fmt(fps, 1)} bilder/s` : 'ingen bild',
    `minst ${q.fps.degraded} (lägst ${q.fps.critical}) bilder/s`, fps === null ? 'bad' : grade(fps, q.fps));

  const heights = samples.map((s) => s.video && s.video.frameHeight).filter((h) => typeof h === 'number');
  const height = heights.length ? Math.min(...heights) : null;
  add('height', 'Upplösning (bildhöjd)', height !== null ? `${height} px` : '–',
    `minst ${q.height.degraded} (lägst ${q.height.critical}) px`, height === null ? 'bad' : grade(height, q.height));

  const freezes = delta(first.video, last && last.video, 'freezeCount');
  const frozen = delta(first.video, last && last.video, 'totalFreezesDuration');
  add('freezes', 'Frysningar', freezes === null ? '–' : `${freezes} st, ${fmt(frozen || 0, 1)} s`,
    `ingen som varar ${fmt(q.freeze_sustained_s, 1)} s`,
    freezes === null ? 'none' : (frozen || 0) >= q.freeze_sustained_s ? 'bad' : freezes > 0 ? 'warn' : 'ok');

  const videoLoss = lossPct(first.video, last && last.video);
  add('video_loss', 'Förlorade bildpaket', videoLoss !== null ? `${fmt(videoLoss, 1)} %` : '–',
    `högst ${fmt(q.video_loss.degraded * 100, 1)} % (${fmt(q.video_loss.critical * 100, 1)} %)`,
    grade(videoLoss === null ? null : videoLoss / 100, q.video_loss));

  const audioLoss = lossPct(first.audio, last && last.audio);
  const concealedN = delta(first.audio, last && last.audio, 'concealedSamples');
  const totalN = delta(first.audio, last && last.audio, 'totalSamplesReceived');
  const concealed = concealedN !== null && totalN > 0 ? (100 * concealedN) / totalN : null;
  const audioWorst = [audioLoss, concealed].filter((x) => x !== null);
  const audioBad = audioWorst.length ? Math.max(...audioWorst) : null;
  add('audio_loss', 'Förlorat eller hackigt ljud', audioBad !== null ? `${fmt(audioBad, 1)} %` : 'inget ljud',
    `högst ${fmt(q.audio_loss.degraded * 100, 1)} % (${fmt(q.audio_loss.critical * 100, 1)} %)`,
    audioBad === null ? 'bad' : grade(audioBad / 100, q.audio_loss));

  const rtt = mean(samples.map((s) => s.rtt));
  const buffered = (() => {
    const d = delta(first.audio, last && last.audio, 'jitterBufferDelay');
    const n = delta(first.audio, last && last.audio, 'jitterBufferEmittedCount');
    return d !== null && n > 0 ? d / n : null;
  })();
  add('rtt', 'Tur och retur till servern', rtt !== null ? `${fmt(rtt * 1000)} ms` : '–', 'visas för information', rtt === null ? 'none' : 'info');
  const delay = rtt !== null ? rtt / 2 + (buffered || 0) + q.terminal_delay_s : null;
  add('delay', 'Fördröjning en väg (uppskattad)', delay !== null ? `${fmt(delay * 1000)} ms` : '–',
    `högst ${fmt(q.one_way_delay_s.degraded * 1000)} ms (${fmt(q.one_way_delay_s.critical * 1000)} ms)`,
    grade(delay, q.one_way_delay_s));

  const server = check.myQuality[check.myQuality.length - 1];
  const serverText = { ok: 'bra', degraded: 'försämrad', failed: 'bruten' };
  add('server', 'Serverns bedömning', server ? serverText[server.state] || server.state : 'inget svar',
    'bra eller försämrad', !server ? 'warn' : server.state === 'failed' ? 'bad' : server.state === 'degraded' ? 'warn' : 'ok',
    serverNote(server));

  const face = check.myQuality.map((m) => m.figures && m.figures.face_visible).filter((x) => x === true || x === false).pop();
  add('face', 'Ansiktet syns', face === true ? 'ja' : face === false ? 'nej' : 'kunde inte avgöras',
    'ordföranden ska kunna se att det är du', face === true ? 'ok' : face === false ? 'bad' : 'none');

  const outVideo = last && last.outVideo;
  return { rows, limitation: outVideo ? outVideo.qualityLimitationReason : null };
}

/** The server's own figures of what it receives from you, and its first reason if any. */
function serverNote(q) {
  if (!q) return null;
  const f = q.figures || {};
  const parts = [];
  if (typeof f.fps === 'number') parts.push(`${fmt(f.fps, 1)} bilder/s`);
  if (typeof f.height === 'number') parts.push(`${f.height} px`);
  const loss = Math.max(f.video_loss_pct ?? -1, f.audio_loss_pct ?? -1);
  if (loss >= 0) parts.push(`förlust ${fmt(loss, 1)} %`);
  if (typeof f.delay_ms === 'number') parts.push(`fördröjning ${fmt(f.delay_ms)} ms`);
  const lines = [];
  if (parts.length) lines.push(`Servern tar emot: ${parts.join(' · ')}`);
  if (q.reasons && q.reasons[0]) lines.push(reasonText(q.reasons[0]).sv);
  return lines.join('\n') || null;
}

const STATE_TEXT = { ok: 'Godkänt', warn: 'Anmärkning', bad: 'Inte godkänt', info: '', none: '' };

function showResult(judged, failure) {
  const { rows, limitation } = judged;
  const bad = failure || rows.some((r) => r.state === 'bad');
  const warn = rows.some((r) => r.state === 'warn');
  const verdict = $('verdict');
  verdict.dataset.verdict = bad ? 'fail' : 'pass';
  verdict.dataset.warnings = String(!bad && warn);
  $('verdict-title').replaceChildren(bad ? 'Inte godkänt' : 'Godkänt',
    Object.assign(document.createElement('small'), { lang: 'en', textContent: bad ? ' Not approved' : ' Approved' }));
  $('verdict-sub').textContent = failure
    || (bad ? 'Din utrustning eller uppkoppling räcker inte för att delta på distans på lika villkor. Se råden nedan och gör om provet.'
      : warn ? 'Du kan delta på distans, men se anmärkningarna nedan.'
        : 'Din bild, ditt ljud och din uppkoppling håller god kvalitet.');

  const body = $('figures');
  body.replaceChildren();
  for (const r of rows) {
    const icons = { ok: 'check', warn: 'alert', bad: 'cross' };
    const tr = el('tr', { dataset: { key: r.key, state: r.state } },
      el('th', { scope: 'row' }, r.label),
      el('td', { class: 'value' }, r.value, r.note ? el('small', {}, r.note) : null),
      el('td', { class: 'req' }, r.requirement),
      el('td', { class: 'mark' }, icons[r.state]
        ? el('span', {}, icon(icons[r.state], { label: STATE_TEXT[r.state] })) : null));
    body.append(tr);
  }

  const advice = [];
  const state = Object.fromEntries(rows.map((r) => [r.key, r.state]));
  const poor = (k) => state[k] === 'bad' || state[k] === 'warn';
  if (failure || poor('delay') || poor('video_loss') || poor('audio_loss') || poor('freezes') || limitation === 'bandwidth') {
    advice.push('Uppkopplingen är inte tillräckligt stabil. Sitt nära routern eller använd nätverkskabel, och stäng annat som använder nätet (filmer, säkerhetskopiering). Anslut inte via mobilnätet (4G).');
  }
  if (poor('fps') || poor('height')) {
    advice.push(limitation === 'cpu'
      ? 'Datorn hinner inte med att skicka bilden. Stäng andra program och flikar och koppla in laddaren.'
      : 'Bilden är för hackig eller för liten. Tänd mer ljus i rummet, stäng andra program som använder kameran och välj en annan kamera om du har en.');
  }
  if (state.face === 'bad') advice.push('Ditt ansikte syns inte tydligt. Vänd dig mot kameran, ha ljuset framför dig (inte bakom) och se till att hela ansiktet är i bild.');
  if (poor('microphone')) advice.push('Vi hörde nästan inget från mikrofonen. Tala under provet, kontrollera att rätt mikrofon är vald och att den inte är avstängd. Ett headset med mikrofon ger bäst ljud.');
  if (state.camera === 'bad') advice.push('Ingen bild från kameran. Kontrollera att webbläsaren får använda kameran och att ingen annan app använder den.');
  const list = $('advice-specific');
  list.replaceChildren(...advice.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
  list.hidden = advice.length === 0;

  $('result').hidden = false;
  $('result').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

async function run() {
  if (check.running || !check.local) return;
  check.running = true;
  check.myQuality = [];
  check.micPeakDb = -Infinity;
  $('start').disabled = true;
  $('camera-select').disabled = true;
  $('mic-select').disabled = true;
  $('result').hidden = true;
  $('live').hidden = false;
  $('echo-empty').hidden = false;
  $('echo-caption').hidden = true;
  $('echo-video').removeAttribute('poster');
  step('step-devices', 'done');
  step('step-trip', 'active');
  step('step-result', 'todo');
  setStatus('Mäter…');
  if (check.audio) check.audio.context.resume().catch(() => {});
  let judged = { rows: [] };
  let failure = null;
  try {
    if (!check.profile) check.profile = await loadProfile();
    progress(0.02, 'Ansluter till servern…');
    await Promise.race([connect(), sleep(10000).then(() => { throw new Error('timeout'); })]);
    $('listen').hidden = false;
    if (!(await waitForEcho())) {
      failure = 'Din bild kom inte tillbaka från servern. Uppkopplingen eller en brandvägg stoppar video. Prova ett annat nät.';
    } else {
      const result = await measure();
      judged = judge(result);
    }
  } catch (err) {
    console.error('check failed', err);
    failure = 'Kunde inte ansluta till servern. Kontrollera uppkopplingen och försök igen.';
  } finally {
    check.running = false;
    disconnect();
  }
  if (failure && !judged.rows.length) judged = { rows: [] };
  progress(1, 'Klart.');
  step('step-trip', 'done');
  step('step-result', 'active');
  setStatus(failure || judged.rows.some((r) => r.state === 'bad') ? 'Inte godkänt' : 'Godkänt');
  showResult(judged, failure);
  $('listen').hidden = true;
  $('start').disabled = false;
  $('start').textContent = 'Gör om provet';
  await listDevices();
}

// -- wiring -------------------------------------------------------------------------------------

$('start').addEventListener('click', run);
$('again').addEventListener('click', () => { window.scrollTo({ top: 0, behavior: 'smooth' }); run(); });
$('listen').addEventListener('click', () => {
  const video = $('echo-video');
  video.muted = !video.muted;
  $('listen').setAttribute('aria-pressed', String(!video.muted));
});
$('camera-select').addEventListener('change', () => startDevices($('camera-select').value, $('mic-select').value));
$('mic-select').addEventListener('change', () => startDevices($('camera-select').value, $('mic-select').value));
document.addEventListener('click', () => { if (check.audio) check.audio.context.resume().catch(() => {}); }, { once: true });

// ?next=/m/<meeting>?t=... : after the test, a button to the meeting (same site only)
const next = new URLSearchParams(location.search).get('next');
if (next && next.startsWith('/m/')) {
  $('next').href = next;
  $('next').hidden = false;
}

loadProfile().then((p) => { check.profile = p; }).catch(() => {});
requestAnimationFrame(meterLoop);
startDevices();
