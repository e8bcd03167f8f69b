// Kvorum, the secretary's pages: committees, rosters, meetings, invitations, remote requests,
// attendance. Everything goes through the JSON API (docs/api.md) with the admin key, which
// arrives in the URL fragment (#key=...), is kept in this tab's sessionStorage only, and is
// removed from the address bar at once.

import { $, el, en } from './lib/dom.js';
import { formatDay, formatStamp } from './lib/format.js';
import { MODE, PHASE as PHASE_WORDS } from './lib/labels.js';

/** A form's field by name (`form.name` and `form.id` are the form's own attributes). */
const field = (form, name) => form.elements.namedItem(name);
const KEY_STORE = 'kvorum.adminKey';
// The secretary's list calls a scheduled meeting "Kallat" (called); the badge colour per phase.
const PHASE_BADGE = { scheduled: ['Kallat', 'Called', 'muted'], open: [...PHASE_WORDS.open, 'ok'],
  suspended: [...PHASE_WORDS.suspended, 'bad'], closed: [...PHASE_WORDS.closed, 'muted'] };

const view = { key: null, committees: [], committee: null, meeting: null, state: null };
window.kvorumSecretary = view; // for tests and support staff

// -- the API ------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    const b = typeof body === 'object' && body ? body : {};
    super(b.message_en || `HTTP ${status}`);
    this.status = status;
    this.code = b.code || 'http_' + status;
    this.sv = b.message_sv || `Servern svarade ${status}.`;
    this.en = b.message_en || `The server answered ${status}.`;
    this.problems = b.problems || [];
  }
}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + view.key };
  let payload;
  if (typeof body === 'string') {
    headers['Content-Type'] = 'text/csv; charset=utf-8';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload });
  } catch (err) {
    throw new ApiError(0, { code: 'network', message_sv: 'Servern svarar inte. Kontrollera anslutningen och försök igen.',
                            message_en: 'The server does not answer. Check the connection and try again.' });
  }
  const isJson = (response.headers.get('Content-Type') || '').includes('json');
  const data = isJson ? await response.json() : await response.blob();
  if (!response.ok) {
    const err = new ApiError(response.status, data);
    if (response.status === 401) showLogin(err);
    throw err;
  }
  return { data, response };
}

// -- small DOM helpers -------------------------------------------------------------------------

const badge = (sv, english, kind) => el('span', { class: `badge ${kind}` }, sv, english ? en(english) : null);

/** Show an error (Swedish first, English smaller, and every problem listed) in `box`. */
function showError(box, err) {
  box.replaceChildren();
  if (!err) return;
  const problems = (err.problems || []).map((p) => el('li', {},
    p.line ? el('strong', { text: `Rad ${p.line}: ` }) : null, p.message_sv,
    en(p.line ? `Line ${p.line}: ${p.message_en}` : p.message_en)));
  box.append(el('p', {}, el('strong', { text: err.sv }), ' ', en(err.en)));
  if (problems.length) box.append(el('ul', { class: 'problems' }, problems));
}

function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 2500);
}

/** Run `work` for a form: disable its button, show errors in its box, keep the values. */
async function submitting(form, work) {
  const button = form.querySelector('button[type="submit"]');
  const box = form.querySelector('.form-error');
  button.disabled = true;
  showError(box, null);
  try {
    await work();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    showError(box, err);
  } finally {
    button.disabled = false;
  }
}

// -- sign in -------------------------------------------------------------------------------------

function takeKeyFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const key = params.get('key');
  if (key) {
    sessionStorage.setItem(KEY_STORE, key);
    params.delete('key');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '#' + rest : ''));
  }
  return sessionStorage.getItem(KEY_STORE);
}

function showLogin(err) {
  sessionStorage.removeItem(KEY_STORE);
  view.key = null;
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  showError($('login-error'), err || null);
  $('admin-key').focus();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  view.key = $('admin-key').value.trim();
  try {
    await start();
    sessionStorage.setItem(KEY_STORE, view.key);
  } catch (err) {
    if (err instanceof ApiError) showError($('login-error'), err); else throw err;
  }
});

$('logout').addEventListener('click', () => { showLogin(null); });

// -- routing: #c=<committee> or #m=<meeting> -------------------------------------------------

function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { committee: params.get('c'), meeting: params.get('m') };
}
function go(hash) { if (location.hash !== hash) location.hash = hash; else render(); }
window.addEventListener('hashchange', () => {
  if (new URLSearchParams(location.hash.slice(1)).has('key')) { signIn(takeKeyFromFragment()); return; }
  if (view.key) render();
});

async function start() {
  const { data } = await api('GET', '/api/committees');
  view.committees = data;
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  renderCommitteeList();
  await render();
}

async function render() {
  const { committee, meeting } = route();
  try {
    if (meeting) await showMeeting(meeting);
    else if (committee) await showCommittee(committee);
    else if (view.committees.length === 1) go('#c=' + encodeURIComponent(view.committees[0].id));
    else showOnly('welcome');
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 404) { toast(err.sv); go('#'); } else if (err.status !== 401) toast(err.sv);
  }
  renderCommitteeList();
}

function showOnly(id) {
  for (const s of ['welcome', 'committee-view', 'meeting-view']) $(s).hidden = s !== id;
}

// -- committees ------------------------------------------------------------------------------------

function renderCommitteeList() {
  const current = view.committee?.id;
  $('committee-list').replaceChildren(...view.committees.map((c) => el('li', {},
    el('a', { href: '#c=' + encodeURIComponent(c.id), class: c.id === current ? 'active' : null,
              'aria-current': c.id === current ? 'page' : null },
       el('span', { text: c.name }),
       el('span', { class: 'count', text: `${c.people} pers · ${c.meetings} mtn` })))));
  if (!view.committees.length) {
    $('committee-list').append(el('li', { class: 'muted' }, 'Inga nämnder ännu. ', en('No committees yet.')));
    $('new-committee').open = true;
  }
}

async function refreshCommittees() {
  view.committees = (await api('GET', '/api/committees')).data;
  renderCommitteeList();
}

$('committee-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  submitting(form, async () => {
    const body = {
      name: field(form, 'name').value,
      party_order: field(form, 'party_order').value.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean),
    };
    if (field(form, 'id').value.trim()) body.id = field(form, 'id').value.trim();
    const { data } = await api('POST', '/api/committees', body);
    form.reset();
    $('new-committee').open = false;
    await refreshCommittees();
    toast(`${data.name} skapad`);
    go('#c=' + encodeURIComponent(data.id));
  });
});

async function showCommittee(id) {
  const { data } = await api('GET', '/api/committees/' + encodeURIComponent(id));
  view.committee = data;
  view.meeting = null;
  showOnly('committee-view');
  $('committee-title').textContent = data.name;
  $('committee-meta').replaceChildren(`Id ${data.id}`);
  if (data.party_order.length) {
    $('committee-meta').append(` · Partiordning för ersättare: ${data.party_order.join(', ')} `,
                               en('Party order for substitutes'));
  }
  renderMeetings(data);
  renderRoster(data.people);
  const roleSelect = $('person-role');
  if (!roleSelect.options.length) {
    // the usual case first selected: a member (ledamot), also after the form is reset
    roleSelect.replaceChildren(...data.roles.map((r) => el('option',
      { value: r.role, selected: r.role === 'ledamot', text: `${r.role} (${r.role_en})` })));
  }
  document.title = `Kvorum – ${data.name}`;
}

function phaseBadge(phase) {
  const [sv, english, kind] = PHASE_BADGE[phase] || [phase, '', 'muted'];
  return badge(sv, english, kind);
}

function renderMeetings(committee) {
  const rows = committee.meetings.map((m) => el('tr', { 'data-meeting': m.id },
    el('td', {}, el('a', { href: '#m=' + encodeURIComponent(m.id), class: 'strong', text: formatDay(m.date, m.time) })),
    el('td', { text: m.place }),
    el('td', {}, phaseBadge(m.phase)),
    el('td', { class: 'num', text: String(m.invitations) }),
    el('td', { class: 'num' }, String(m.requests),
       m.pending_requests ? badge(`${m.pending_requests} obesvarade`, null, 'warn') : null),
    el('td', { class: 'actions' }, el('a', { href: '#m=' + encodeURIComponent(m.id), class: 'button-link' }, 'Öppna ', en('Open')))));
  $('meetings-table').tBodies[0].replaceChildren(...rows);
  $('meetings-table').hidden = !rows.length;
  $('meetings-empty').hidden = !!rows.length;
  if (!rows.length && committee.people.length) $('new-meeting').open = true;
}

function renderRoster(people) {
  const parties = view.committee?.party_order || [];
  const rank = (party) => (parties.includes(party) ? parties.indexOf(party) : parties.length);
  const roleOrder = (view.committee?.roles || []).map((r) => r.role);
  const sorted = [...people].sort((a, b) =>
    roleOrder.indexOf(a.role) - roleOrder.indexOf(b.role) || rank(a.party) - rank(b.party)
    || a.party.localeCompare(b.party, 'sv')
    || (a.substitute_order ?? 0) - (b.substitute_order ?? 0) || a.name.localeCompare(b.name, 'sv'));
  $('roster-table').tBodies[0].replaceChildren(...sorted.map((p) => el('tr', { 'data-person': p.id },
    el('td', { class: 'strong', text: p.name }),
    el('td', {}, p.role, ' ', en(p.role_en)),
    el('td', { text: p.party }),
    el('td', { class: 'num', text: p.substitute_order ?? '' }),
    el('td', { class: 'muted', text: p.email }))));
  $('roster-table').hidden = !people.length;
  $('roster-empty').hidden = !!people.length;
  $('roster-count').textContent = people.length ? `${people.length} personer` : '';
  if (!people.length) $('import-roster').open = true;
}

$('person-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  submitting(form, async () => {
    const body = Object.fromEntries(['name', 'role', 'party', 'email'].map((k) => [k, field(form, k).value]));
    if (field(form, 'substitute_order').value) body.substitute_order = Number(field(form, 'substitute_order').value);
    const { data } = await api('POST', `/api/committees/${encodeURIComponent(view.committee.id)}/people`, body);
    form.reset();
    toast(`${data.name} tillagd`);
    await Promise.all([showCommittee(view.committee.id), refreshCommittees()]);
  });
});

$('roster-file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('windows-1252').decode(bytes); // older Excel "CSV"
  }
  $('roster-csv').value = text.replace(/^\ufeff/, '');
});

$('roster-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  submitting(form, async () => {
    const { data } = await api('POST', `/api/committees/${encodeURIComponent(view.committee.id)}/roster`,
                               $('roster-csv').value);
    form.reset();
    $('import-roster').open = false;
    toast(`${data.count} personer importerade`);
    await Promise.all([showCommittee(view.committee.id), refreshCommittees()]);
  });
});

$('meeting-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  submitting(form, async () => {
    const body = {
      date: field(form, 'date').value, time: field(form, 'time').value, place: field(form, 'place').value,
      agenda: field(form, 'agenda').value.split('\n').map((s) => s.trim()).filter(Boolean),
    };
    const { data } = await api('POST', `/api/committees/${encodeURIComponent(view.committee.id)}/meetings`, body);
    form.reset();
    $('new-meeting').open = false;
    await refreshCommittees();
    go('#m=' + encodeURIComponent(data.id));
  });
});

// -- one meeting ---------------------------------------------------------------------------------

const meetingPath = (suffix = '') => `/api/meetings/${encodeURIComponent(view.meeting.id)}${suffix}`;

async function showMeeting(id) {
  const path = `/api/meetings/${encodeURIComponent(id)}`;
  const [state, invitations, requests] = await Promise.all([
    api('GET', path), api('GET', path + '/invitations'), api('GET', path + '/requests')]);
  const s = state.data;
  view.state = s;
  view.meeting = s.meeting;
  if (view.committee?.id !== s.meeting.committee_id) {
    view.committee = (await api('GET', '/api/committees/' + encodeURIComponent(s.meeting.committee_id))).data;
  }
  showOnly('meeting-view');
  const m = s.meeting;
  $('crumb-committee').textContent = m.committee_name;
  $('back-to-committee').href = '#c=' + encodeURIComponent(m.committee_id);
  const day = formatDay(m.date, m.time);
  $('meeting-title').textContent = day.charAt(0).toUpperCase() + day.slice(1);
  $('meeting-meta').replaceChildren(m.place, ' · ', `id ${m.id}`);
  $('meeting-badges').replaceChildren(phaseBadge(s.phase),
    s.quorum.quorate ? badge('Beslutför', 'Quorate', 'ok') : badge('Ej beslutför', 'Not quorate', s.phase === 'scheduled' ? 'muted' : 'bad'));
  $('deadline').replaceChildren(`Sista dag för begäran: ${m.request_deadline}`, ' ', en('Request deadline'));
  $('agenda-list').replaceChildren(...m.agenda.map((item) => el('li', { text: item })));
  renderInvitations(invitations.data, s.people);
  renderRequests(requests.data, s.people);
  renderPresence(s);
  document.title = `Kvorum – ${m.committee_name} ${m.date}`;
}

async function reloadMeeting() { await showMeeting(view.meeting.id); }

function renderInvitations(invitations, people) {
  const active = new Set(invitations.filter((i) => !i.revoked).map((i) => i.person_id));
  const select = $('invite-person');
  const chosen = select.value;
  select.replaceChildren(...people.map((p) => el('option', { value: p.id },
    `${p.name} (${p.role}${p.party ? ', ' + p.party : ''})${active.has(p.id) ? ' – har länk' : ''}`)));
  if (chosen && people.some((p) => p.id === chosen)) select.value = chosen;
  else { const first = people.find((p) => !active.has(p.id)); if (first) select.value = first.id; }

  const sorted = [...invitations].sort((a, b) => Number(a.revoked) - Number(b.revoked));
  $('invitations-table').tBodies[0].replaceChildren(...sorted.map((inv) => {
    const url = inv.link ? location.origin + inv.link : '';
    const linkCell = inv.revoked
      ? el('td', {}, badge('Återkallad', 'Revoked', 'muted'))
      : el('td', { class: 'link-cell' },
          el('input', { class: 'link', readonly: true, value: url, 'aria-label': `Länk för ${inv.name}`,
                        onfocus: (e) => e.target.select() }),
          el('button', { type: 'button', class: 'small', onclick: (e) => copy(url, e.currentTarget) }, 'Kopiera'),
          el('button', { type: 'button', class: 'small secondary', title: 'Kopiera länken där personen begär att delta på distans',
                         onclick: (e) => copy(location.origin + inv.request_link, e.currentTarget) }, 'Distansbegäran'));
    return el('tr', { 'data-invitation': inv.invitation_id, class: inv.revoked ? 'dim' : null },
      el('td', { class: 'strong', text: inv.name }),
      el('td', {}, inv.role),
      linkCell,
      el('td', { class: 'actions' }, inv.revoked ? null : el('button', {
        type: 'button', class: 'small ghost-danger', onclick: () => revoke(inv) }, 'Återkalla')));
  }));
  $('invitations-table').hidden = !invitations.length;
  $('invitations-empty').hidden = !!invitations.length;
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el('textarea', { class: 'sr-only' }, text);
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  const before = button.textContent;
  button.textContent = 'Kopierad';
  setTimeout(() => { button.textContent = before; }, 1500);
}

async function revoke(inv) {
  const reason = prompt(`Återkalla länken för ${inv.name}? Skäl (frivilligt):\nRevoke the link? Reason (optional):`, '');
  if (reason === null) return;
  try {
    await api('POST', meetingPath(`/invitations/${encodeURIComponent(inv.invitation_id)}/revoke`), { reason });
    toast(`Länken för ${inv.name} är återkallad`);
    await reloadMeeting();
  } catch (err) {
    if (err instanceof ApiError) showError($('invite-error'), err); else throw err;
  }
}

$('invite-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  showError($('invite-error'), null);
  try {
    const { data } = await api('POST', meetingPath('/invitations'), { person_id: $('invite-person').value });
    toast(`Inbjudan skapad för ${data.name}`);
    await reloadMeeting();
  } catch (err) {
    if (err instanceof ApiError) showError($('invite-error'), err); else throw err;
  }
});

$('invite-all').addEventListener('click', async () => {
  showError($('invite-error'), null);
  try {
    const { data } = await api('POST', meetingPath('/invitations/all'));
    toast(data.issued.length ? `${data.issued.length} nya inbjudningar` : 'Alla har redan en länk');
    await reloadMeeting();
  } catch (err) {
    if (err instanceof ApiError) showError($('invite-error'), err); else throw err;
  }
});

function renderRequests(requests, people) {
  const chair = people.find((p) => p.role === 'ordförande');
  $('requests-table').tBodies[0].replaceChildren(...requests.map((r) => {
    const decision = r.status === 'pending'
      ? badge('Väntar på beslut', 'Pending', 'warn')
      : r.status === 'approved' ? badge('Godkänd', 'Approved', 'ok') : badge('Avslagen', 'Refused', 'bad');
    const by = r.decision ? el('div', { class: 'muted small-text' },
      `${r.decision.by_name}, ${formatStamp(r.decision.at)}`, r.decision.reason ? ` – ${r.decision.reason}` : '') : null;
    const decide = (approved) => async () => {
      let reason = '';
      if (!approved) {
        reason = prompt('Skäl till avslaget (frivilligt) / Reason (optional):', '');
        if (reason === null) return;
      }
      showError($('requests-error'), null);
      try {
        await api('POST', meetingPath(`/requests/${encodeURIComponent(r.person_id)}/decision`),
                  { approved, by: chair.id, reason });
        await reloadMeeting();
      } catch (err) {
        if (err instanceof ApiError) showError($('requests-error'), err); else throw err;
      }
    };
    const title = chair ? `Registrera ordförandens beslut (${chair.name})` : '';
    const approve = el('button', { type: 'button', class: r.status === 'pending' ? 'small' : 'small secondary', title, onclick: decide(true) }, 'Godkänn');
    const refuse = el('button', { type: 'button', class: 'small secondary', title, onclick: decide(false) }, 'Avslå');
    const actions = !chair ? [el('span', { class: 'muted small-text' }, 'Ingen ordförande i förteckningen')]
      : r.status === 'pending' ? [approve, refuse] : r.status === 'approved' ? [refuse] : [approve];
    return el('tr', { 'data-request': r.person_id },
      el('td', { class: 'strong' }, r.name, el('div', { class: 'muted small-text', text: `${r.role}${r.party ? ', ' + r.party : ''}` })),
      el('td', {}, (MODE[r.mode] || [r.mode])[0], ' ', en((MODE[r.mode] || ['', ''])[1])),
      el('td', {}, formatStamp(r.at), ' ', r.late ? badge('Sen', 'Late', 'bad') : null),
      el('td', { class: 'reason', text: r.reason || '–' }),
      el('td', {}, decision, by),
      el('td', { class: 'actions' }, actions));
  }));
  $('requests-table').hidden = !requests.length;
  $('requests-empty').hidden = !!requests.length;
}

function renderPresence(s) {
  const q = s.quorum;
  $('quorum-line').replaceChildren(
    el('strong', { text: `${q.present} av ${q.members} ledamöter närvarande` }),
    `, ${q.required} krävs för beslutförhet. `, en(`${q.present} of ${q.members} members present, ${q.required} required.`),
    ...(s.lobby.length ? [el('span', { class: 'muted' }, ` · ${s.lobby.length} väntar i lobbyn`)] : []));
  const where = (p) => p.where === 'room' ? 'i lokalen'
    : p.mode === 'deciding' ? 'på distans, beslutande' : 'på distans, närvarande';
  $('presence-list').replaceChildren(...s.presence.map((p) => el('li', {
    class: `chip ${p.link_failed ? 'bad' : p.paused ? 'warn' : p.counts ? 'ok' : ''}` },
    el('strong', { text: p.name }), ` ${where(p)}`,
    p.link_failed ? ' · förbindelsen bruten' : '', p.paused ? ' · teknisk paus' : '')));
  if (!s.presence.length) $('presence-list').append(el('li', { class: 'muted' }, 'Ingen har anmält närvaro ännu. ', en('Nobody present yet.')));
}

/** Fetch a file from the API with the key and hand it to the browser as a download. */
async function download(path, fallbackName, errorBox) {
  showError(errorBox, null);
  try {
    const { data, response } = await api('GET', meetingPath(path));
    const disposition = response.headers.get('Content-Disposition') || '';
    const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || fallbackName;
    const blob = data instanceof Blob ? data
      : new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    if (err instanceof ApiError) showError(errorBox, err); else throw err;
  }
}

$('download-attendance').addEventListener('click',
  () => download('/attendance.csv', 'narvaro.csv', $('attendance-error')));
$('download-minutes-html').addEventListener('click',
  () => download('/minutes.html', 'protokoll.html', $('minutes-error')));
$('download-minutes-docx').addEventListener('click',
  () => download('/minutes.docx', 'protokoll.docx', $('minutes-error')));
$('download-evidence').addEventListener('click',
  () => download('/evidence.json', 'beslutsbevis.json', $('minutes-error')));

// -- start ---------------------------------------------------------------------------------------

function signIn(key) {
  view.key = key;
  if (!key) { showLogin(null); return; }
  start().catch((err) => { if (err instanceof ApiError) showLogin(err); else throw err; });
}

signIn(takeKeyFromFragment());
