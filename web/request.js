// Kvorum: a member asks to take part in a meeting remotely, with their personal link
// (/m/{meeting}/request?t=...), and sees the chair's decision. API: docs/api.md.

import { $, el, en } from './lib/dom.js';
import { formatDay, today } from './lib/format.js';

const meetingId = decodeURIComponent(location.pathname.split('/')[2] || '');
const token = new URLSearchParams(location.search).get('t');
const base = `/api/meetings/${encodeURIComponent(meetingId)}`;
const MODE_SV = { deciding: 'delta i beslut på distans', 'attending-only': 'närvara utan att delta i beslut' };
const MODE_EN = { deciding: 'take part in decisions remotely', 'attending-only': 'attend without taking part in decisions' };

function showError(box, body) {
  box.replaceChildren();
  if (!body) return;
  box.append(el('p', {}, el('strong', { text: body.message_sv }), en(body.message_en)));
  if (body.problems?.length) {
    box.append(el('ul', { class: 'problems' },
      ...body.problems.map((p) => el('li', {}, p.message_sv, ' ', en(p.message_en)))));
  }
}

async function call(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { 'X-Kvorum-Token': token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    return { ok: false, data: { message_sv: 'Servern svarar inte. Kontrollera anslutningen och försök igen.',
                                message_en: 'The server does not answer. Check your connection and try again.' } };
  }
  let data;
  try { data = await response.json(); } catch { data = { message_sv: `Servern svarade ${response.status}.`, message_en: `The server answered ${response.status}.` }; }
  return { ok: response.ok, data };
}

function renderStatus(request) {
  $('status').hidden = !request;
  if (!request) return;
  const box = $('status-box');
  const received = new Date(request.at).toLocaleString('sv-SE', { day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' });
  const lines = [el('p', {}, el('strong', { text: `Du har begärt att ${MODE_SV[request.mode]}.` }), ' ', en(`You asked to ${MODE_EN[request.mode]}.`)),
                 el('p', { class: 'muted', text: `Inkom ${received}${request.late ? ' – efter sista dagen (sen begäran)' : ''}.` })];
  if (request.status === 'pending') {
    box.className = 'status-box';
    lines.push(el('p', {}, 'Väntar på ordförandens beslut. ', en('Waiting for the chair’s decision.')));
  } else if (request.status === 'approved') {
    box.className = 'status-box ok';
    lines.push(el('p', {}, el('strong', { text: 'Godkänd av ordföranden.' }), ' ',
      en('Approved by the chair.'), ' Använd din personliga länk för att ansluta till mötet.'));
  } else {
    box.className = 'status-box bad';
    lines.push(el('p', {}, el('strong', { text: 'Ordföranden har avslagit begäran.' }), ' ', en('The chair refused the request.')));
  }
  if (request.decision?.reason) lines.push(el('p', { text: `Motivering: ${request.decision.reason}` }));
  box.replaceChildren(...lines);
  $('form-title').replaceChildren('Ändra din begäran ', en('Change your request'));
  $('submit').replaceChildren('Skicka ny begäran ', el('span', { lang: 'en', text: '/ Send a new request' }));
}

async function load() {
  if (!token) {
    $('loading').hidden = true;
    showError($('load-error'), { message_sv: 'Länken saknar din personliga kod. Använd länken i din kallelse.',
                                 message_en: 'The link lacks your personal code. Use the link in your invitation.' });
    return;
  }
  const { ok, data } = await call('GET', base + '/me');
  $('loading').hidden = true;
  if (!ok) { showError($('load-error'), data); return; }
  const m = data.meeting;
  $('person-name').textContent = data.person.name;
  $('person-role').textContent = `(${data.person.role})`;
  $('committee').textContent = m.committee_name;
  $('when').textContent = formatDay(m.date, m.time);
  $('place').textContent = m.place;
  $('deadline').textContent = m.request_deadline;
  $('late-warning').hidden = !(today() > m.request_deadline) || !data.may_request;
  const deciding = document.querySelector('input[value="deciding"]');
  if (!data.may_decide) {
    deciding.disabled = true;
    document.querySelector('input[value="attending-only"]').checked = true;
  }
  if (data.request) {
    const chosen = document.querySelector(`input[name="mode"][value="${data.request.mode}"]`);
    if (chosen && !chosen.disabled) chosen.checked = true;
  }
  if (!data.may_request) {
    $('request-form').querySelectorAll('input, textarea, button').forEach((e) => { e.disabled = true; });
    showError($('form-error'), m.phase === 'closed'
      ? { message_sv: 'Sammanträdet är avslutat.', message_en: 'The meeting is closed.' }
      : { message_sv: 'Ordföranden ska vara på plats i sammanträdeslokalen.', message_en: 'The chair must be present in the meeting room.' });
  }
  renderStatus(data.request);
  $('content').hidden = false;
}

$('request-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const mode = form.querySelector('input[name="mode"]:checked')?.value;
  showError($('form-error'), null);
  $('submit').disabled = true;
  const { ok, data } = await call('POST', base + '/requests', { mode, reason: $('reason').value });
  $('submit').disabled = false;
  if (!ok) { showError($('form-error'), data); return; } // the form keeps what was written
  renderStatus(data);
  $('status').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
});

load();
