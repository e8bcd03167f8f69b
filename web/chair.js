// Kvorum: the chair's (ordförande) and the secretary's dashboard on top of the member page.
// meeting.js imports this module when `welcome.dashboard` is true and calls startDashboard(api),
// api = {state, send, on(fn), tileFor(id)}. Everything shown comes from the server's
// `meeting-state`, `quality`, `suspend-required` and `error` messages (docs/protocol.md);
// every button sends one chair command and waits for the next `meeting-state`.

const PRESENCE = {
  room: ['I rummet', 'in the room'],
  'remote-deciding': ['På distans, beslutande', 'remote, deciding'],
  'remote-attending': ['På distans, närvarande', 'remote, attending'],
  lobby: ['I lobbyn', 'in the lobby'],
  absent: ['Frånvarande', 'absent'],
};

const PHASE = {
  scheduled: ['Inte öppnat', 'not opened'],
  open: ['Pågår', 'in session'],
  suspended: ['Avbrutet', 'suspended'],
  closed: ['Avslutat', 'closed'],
};

const QUALITY = {
  ok: ['Bra', 'ok'],
  degraded: ['Försämrad', 'degraded'],
  failed: ['Bruten', 'failed'],
  hidden: ['Syns inte', 'not visible'],
  none: ['Ej ansluten', 'not connected'],
  wait: ['Mäter…', 'measuring'],
};

const ROLE_EN = {
  ordförande: 'chair', ledamot: 'member', ersättare: 'substitute',
  sekreterare: 'secretary', tjänsteperson: 'official',
};

// metric -> [Swedish label, unit] ; the unit decides how value and threshold are written
const METRICS = {
  'transport.state': ['Förbindelsen är inte uppkopplad', ''],
  'transport.missing': ['Ingen förbindelse', ''],
  'audio.missing': ['Inget ljud tas emot', ''],
  'video.missing': ['Ingen bild tas emot', ''],
  'audio.live': ['Mikrofonen är avstängd', ''],
  'video.live': ['Kameran är avstängd', ''],
  'audio.silence': ['Ljudet har upphört', 's'],
  'video.freeze': ['Bilden har frusit', 's'],
  'audio.loss': ['Ljudpaket förlorade', '%'],
  'video.loss': ['Bildpaket förlorade', '%'],
  'video.fps': ['Låg bildfrekvens', 'fps'],
  'video.height': ['Låg upplösning', 'px'],
  'link.delay': ['Lång fördröjning', 'ms'],
  'downlink.video.freeze': ['Mottagen bild frös hos deltagaren', 's'],
  'downlink.audio.freeze': ['Mottaget ljud avbröts hos deltagaren', 's'],
  'downlink.video.fps': ['Låg bildfrekvens hos deltagaren', 'fps'],
  'downlink.audio.concealed': ['Mottaget ljud hackar hos deltagaren', '%'],
  'downlink.video.delay': ['Lång fördröjning hos deltagaren', 'ms'],
  'downlink.audio.delay': ['Lång fördröjning hos deltagaren', 'ms'],
};

const CHAIR_ONLY = new Set(['decide-remote', 'serve-substitute', 'release-substitute',
  'open-meeting', 'resume-meeting', 'close-meeting']);

const nf = (digits) => new Intl.NumberFormat('sv-SE', { maximumFractionDigits: digits });

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const ICONS = {
  pause: '<rect x="6" y="4" width="4" height="16" rx="1"/><rect x="14" y="4" width="4" height="16" rx="1"/>',
  alert: '<path d="M12 3 2 21h20L12 3Z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><rect x="11" y="9" width="2" height="6" rx="1"/><circle cx="12" cy="18" r="1.2"/>',
  speaker: '<path d="M4 9h4l5-4v14l-5-4H4z"/>',
  'speaker-on': '<path d="M4 9h4l5-4v14l-5-4H4z"/><path d="M16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
  check: '<path d="m5 12.5 4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/>',
  stop: '<circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2"/><path d="M7.5 16.5l9-9" stroke="currentColor" stroke-width="2"/>',
};

/** A small inline SVG icon (no emoji: not every room computer has an emoji font). */
function icon(name, cls = '') {
  const span = document.createElement('span');
  span.className = `icon ${cls}`;
  span.setAttribute('aria-hidden', 'true');
  span.innerHTML = `<svg viewBox="0 0 24 24" width="1em" height="1em" fill="currentColor">${ICONS[name]}</svg>`;
  return span;
}

/** replaceChildren, skipping the null/false of conditional children. */
function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/** Swedish first, English after it in smaller text. */
function bi(sv, en, tag = 'span') {
  return el(tag, { class: 'bi' }, sv, ' ', el('small', { lang: 'en' }, en));
}

function clock(iso) {
  const date = iso ? new Date(iso) : new Date();
  if (Number.isNaN(date.getTime())) return String(iso || '');
  return date.toLocaleTimeString('sv-SE', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "1,12 s", "4,3 %", "15 fps", "180 ms" from a monitor value in its own unit. */
function measured(value, unit) {
  if (typeof value !== 'number') return String(value ?? '–');
  switch (unit) {
    case 's': return `${nf(2).format(value)} s`;
    case '%': return `${nf(1).format(value * 100)} %`;
    case 'ms': return `${nf(0).format(value * 1000)} ms`;
    case 'fps': return `${nf(1).format(value)} bilder/s`;
    case 'px': return `${nf(0).format(value)} px`;
    default: return nf(2).format(value);
  }
}

function describeEvidence(evidence) {
  if (!evidence) return null;
  if (evidence.sv) {  // worded by the server: {code, params, person_id, name, sv, en}
    return { text: evidence.sv, short: evidence.sv, metric: evidence.code, detail: evidence.en };
  }
  const [label, unit] = METRICS[evidence.metric] || [evidence.metric, ''];
  const parts = [label];
  if (typeof evidence.value === 'number') {
    parts.push(`uppmätt ${measured(evidence.value, unit)}`);
    parts.push(`gräns ${measured(evidence.threshold, unit)}`);
  } else if (evidence.value !== undefined) {
    parts.push(`läge: ${evidence.value} (krävs: ${evidence.threshold})`);
  }
  if (evidence.window_s) parts.push(`mätfönster ${nf(2).format(evidence.window_s)} s`);
  const short = typeof evidence.value === 'number'
    ? `${label}: ${measured(evidence.value, unit)} (gräns ${measured(evidence.threshold, unit)})` : label;
  return { text: parts.join(' · '), short, metric: evidence.metric, detail: evidence.detail };
}

function injectStylesheet() {
  if (document.querySelector('link[data-kvorum-chair]')) return;
  const link = el('link', { rel: 'stylesheet', href: '/static/chair.css', 'data-kvorum-chair': '1' });
  document.head.append(link);
}

class Dashboard {
  constructor(api, root) {
    this.api = api;
    this.root = root;
    this.view = null;             // the latest meeting-state
    this.quality = new Map();     // person id -> quality row
    this.pendingSuspend = null;   // a suspend-required not yet in a meeting-state
    this.failures = new Map();    // person id -> {evidence, at} of their latest suspend-required
    this.rows = new Map();        // person id -> {tr, cells, actionsKey}
    this.lobbyCards = new Map();  // person id -> {card, video, ...}
    this.lobbyTiles = new Set();  // participant ids whose gallery tile is hidden (in the lobby)
    this.confirming = null;       // {key, timer}: a two-step button waiting for its second click
    this.hysteresis = null;
    this.role = api.state.welcome ? api.state.welcome.role : 'ordförande';
    this.build();
    fetch('/api/profile').then((r) => r.json()).then((profile) => {
      this.hysteresis = profile.quality.hysteresis_s;
      this.renderBanner();
    }).catch(() => {});
    this.levelTimer = setInterval(() => this.measureLobbyAudio().catch(() => {}), 400);
  }

  // -- the static frame ---------------------------------------------------------------------

  build() {
    const r = this.root;
    fill(r);
    this.banner = el('section', { class: 'chair-banner', role: 'alert', hidden: true });
    this.head = el('section', { class: 'chair-head card' });
    this.meetingInfo = el('div', { class: 'meeting-info' });
    this.phaseBadge = el('span', { class: 'phase-badge' });
    this.controls = el('div', { class: 'meeting-controls' });
    this.head.append(this.meetingInfo, this.controls);

    this.quorumBox = el('section', { class: 'quorum card', 'aria-live': 'polite' });

    this.lobbySection = el('section', { class: 'lobby-section card', hidden: true },
      el('h2', {}, bi('Väntar i lobbyn', 'Waiting in the lobby')),
      el('p', { class: 'hint' }, 'Kontrollera identitet, bild och ljud innan du släpper in. ',
        el('small', { lang: 'en' }, 'Check identity, picture and sound before admitting.')));
    this.lobbyList = el('div', { class: 'lobby-list' });
    this.lobbySection.append(this.lobbyList);

    this.peopleBody = el('tbody');
    this.peopleSection = el('section', { class: 'people card' },
      el('h2', {}, bi('Deltagare och upprop', 'People and roll call')),
      el('div', { class: 'table-wrap' },
        el('table', { class: 'people-table' },
          el('thead', {}, el('tr', {},
            el('th', { scope: 'col' }, bi('Namn', 'Name')),
            el('th', { scope: 'col' }, bi('Närvaro', 'Presence')),
            el('th', { scope: 'col' }, bi('Bild och ljud', 'Picture and sound')),
            el('th', { scope: 'col', class: 'actions-col' }, bi('Åtgärd', 'Action')))),
          this.peopleBody)));

    this.toasts = el('div', { class: 'toasts', 'aria-live': 'assertive' });
    document.body.append(this.toasts);

    r.append(this.banner, el('div', { class: 'chair-top' }, this.head, this.quorumBox),
      this.lobbySection, this.peopleSection);
  }

  // -- messages -----------------------------------------------------------------------------

  onMessage(message) {
    switch (message.type) {
      case 'meeting-state':
        if (message.guest_room) return;
        this.view = message;
        if (message.phase === 'suspended' || message.phase === 'closed') this.pendingSuspend = null;
        this.render();
        break;
      case 'quality':
        this.quality.clear();
        for (const row of message.participants || []) {
          const seen = row.person_id && this.quality.get(row.person_id);
          // a person briefly on two connections (reconnecting): the live one counts
          if (row.person_id && (!seen || seen.disconnected)) this.quality.set(row.person_id, row);
        }
        this.renderQuality();
        this.syncLobbyTiles();
        break;
      case 'suspend-required':
        this.pendingSuspend = { ...message, at: new Date().toISOString(), received: Date.now() };
        this.failures.set(message.person, { evidence: message.evidence, at: this.pendingSuspend.at });
        this.renderBanner();
        setTimeout(() => this.renderBanner(), 3100);  // unconfirmed: fall back to the state
        this.renderPeople();
        break;
      case 'error':
        this.toast(message.message_sv || 'Något gick fel.', message.message_en || message.code, 'error');
        this.invalidate();  // re-enable the button that was waiting
        break;
      case 'done':
        this.invalidate();
        break;
      case 'participant-joined':
      case 'offer':
        // a lobby person's tile is made when their track arrives: keep it out of the gallery
        setTimeout(() => this.syncLobbyTiles(), 300);
        break;
      default:
        break;
    }
  }

  /** Rebuild every button (one may be waiting, disabled, for an answer that has come). */
  invalidate() {
    for (const row of this.rows.values()) row.actionsKey = null;
    for (const card of this.lobbyCards.values()) card.actionsKey = null;
    this.render();
  }

  command(message, button) {
    if (button) {
      button.disabled = true;
      button.classList.add('busy');
    }
    this.api.send(message);
  }

  /** A consequential button asks for a second click within 5 s instead of a dialog. */
  twoStepButton(key, sv, en, cls, message, attrs = {}) {
    const confirming = Boolean(this.confirming && this.confirming.key === key);
    return el('button', {
      type: 'button', ...attrs, class: `${cls}${confirming ? ' confirm' : ''}`,
      onclick: (e) => {
        if (this.confirming && this.confirming.key === key) {
          clearTimeout(this.confirming.timer);
          this.confirming = null;
          this.command(message, e.currentTarget);
          return;
        }
        if (this.confirming) clearTimeout(this.confirming.timer);
        this.confirming = { key, timer: setTimeout(() => { this.confirming = null; this.invalidate(); }, 5000) };
        this.invalidate();
      },
    }, confirming ? bi(`Bekräfta: ${sv.toLowerCase()}`, 'click again to confirm') : bi(sv, en));
  }

  toast(sv, en, kind = 'info') {
    const close = el('button', { type: 'button', class: 'toast-close', 'aria-label': 'Stäng / close' }, '×');
    const toast = el('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
      el('div', {}, el('strong', {}, sv), en ? el('small', { lang: 'en' }, en) : null), close);
    const remove = () => toast.remove();
    close.addEventListener('click', remove);
    this.toasts.append(toast);
    setTimeout(remove, kind === 'error' ? 9000 : 5000);
  }

  // -- rendering ----------------------------------------------------------------------------

  render() {
    if (!this.view) return;
    this.renderHead();
    this.renderQuorum();
    this.renderBanner();
    this.renderPeople();
    this.renderLobby();
    this.renderQuality();
  }

  renderHead() {
    const v = this.view;
    const m = v.meeting || {};
    const when = [m.date, m.time ? `kl. ${m.time}` : null].filter(Boolean).join(' ');
    const agenda = (m.agenda || []).length ? el('details', { class: 'agenda' },
      el('summary', {}, bi(`Föredragningslista (${m.agenda.length})`, 'agenda')),
      el('ol', {}, m.agenda.map((item) => el('li', {}, item)))) : null;
    fill(this.meetingInfo,
      el('div', { class: 'title-row' }, el('h1', {}, m.title || 'Sammanträde'), this.phaseBadge),
      el('p', { class: 'meta' }, [when, m.place].filter(Boolean).join(' · ')),
      agenda);
    // keep the agenda open across re-renders
    if (agenda && this.agendaOpen) agenda.open = true;
    if (agenda) agenda.addEventListener('toggle', () => { this.agendaOpen = agenda.open; });

    const [sv, en] = PHASE[v.phase] || [v.phase, ''];
    this.phaseBadge.dataset.phase = v.phase;
    fill(this.phaseBadge, bi(sv, en));

    const chair = this.role === 'ordförande';
    const buttons = [];
    if (v.phase === 'scheduled') {
      buttons.push(el('button', {
        type: 'button', class: 'open-meeting', disabled: !chair,
        title: chair ? null : 'Endast ordföranden / chair only',
        onclick: (e) => this.command({ type: 'open-meeting' }, e.currentTarget),
      }, bi('Öppna sammanträdet', 'Open the meeting')));
    }
    if (v.phase === 'open' || v.phase === 'suspended') {
      buttons.push(this.twoStepButton('close', 'Avsluta sammanträdet', 'Close the meeting',
        'close-meeting danger', { type: 'close-meeting' }, { disabled: !chair }));
    }
    if (!chair && buttons.length) {
      buttons.push(el('p', { class: 'hint' }, 'Ordföranden öppnar och avslutar sammanträdet. ',
        el('small', { lang: 'en' }, 'The chair opens and closes the meeting.')));
    }
    fill(this.controls, ...buttons);
  }

  renderQuorum() {
    const q = this.view.quorum || {};
    const ok = Boolean(q.quorate);
    this.quorumBox.dataset.ok = String(ok);
    const block = this.view.decision_block;
    fill(this.quorumBox,
      el('div', { class: 'quorum-line' },
        el('span', { class: 'quorum-dot', 'aria-hidden': 'true' }),
        el('strong', {}, `${ok ? 'Beslutför' : 'Inte beslutför'}: ${q.present} av ${q.members} närvarande, ${q.required} krävs`)),
      el('small', { lang: 'en', class: 'quorum-en' },
        `${ok ? 'Quorate' : 'Not quorate'}: ${q.present} of ${q.members} present, ${q.required} required`),
      block ? el('p', { class: 'decision-block' },
        icon('stop', 'block-icon'),
        el('span', {}, el('strong', {}, 'Inga beslut nu: '), block.message_sv,
          el('small', { lang: 'en' }, block.message_en)))
        : el('p', { class: 'decision-ok' }, icon('check'), ' Beslut kan fattas ', el('small', { lang: 'en' }, 'decisions may be taken')));
  }

  renderBanner() {
    const v = this.view;
    const banner = this.banner;
    if (v && v.phase === 'closed') {
      banner.hidden = false;
      banner.dataset.kind = 'closed';
      fill(banner, el('div', { class: 'banner-body' },
        el('h2', {}, bi('Sammanträdet är avslutat', 'The meeting is closed'))));
      return;
    }
    const suspension = v && v.phase === 'suspended' ? v.suspension : null;
    // A suspend-required is shown at once; the meeting-state that confirms it follows. If none
    // does (the meeting was not open), the failed link is shown as a warning instead.
    const fresh = this.pendingSuspend && Date.now() - this.pendingSuspend.received < 3000;
    const pending = !suspension && fresh && (!v || v.phase === 'open') ? this.pendingSuspend : null;
    const failed = v && !suspension && !pending
      ? (v.people || []).filter((p) => p.link_failed) : [];
    if (!suspension && !pending && !failed.length) {
      banner.hidden = true;
      fill(banner);
      return;
    }
    let personId; let name; let at; let evidence; let kind;
    if (suspension || pending) {
      kind = 'suspended';
      personId = suspension ? suspension.person_id : pending.person;
      name = (suspension ? suspension.name : pending.name) || this.nameOf(personId) || '';
      at = suspension ? suspension.at : pending.at;
      evidence = describeEvidence(suspension || pending.evidence);
    } else {
      // not open (or failed before it opened): nothing to suspend, but no decisions either
      kind = 'warning';
      personId = failed[0].person_id;
      name = failed.map((p) => p.name).join(', ');
      const failure = failed[0].link_failure;
      at = failure ? failure.at : null;
      evidence = describeEvidence(failure);
    }
    banner.hidden = false;
    banner.dataset.kind = kind;
    banner.dataset.person = personId || '';

    const restorable = Boolean(v && v.phase === 'suspended' && v.restorable);
    const chair = this.role === 'ordförande';
    const resume = el('button', {
      type: 'button', class: 'resume', disabled: !restorable || !chair,
      onclick: (e) => this.command({ type: 'resume-meeting' }, e.currentTarget),
    }, bi('Återuppta sammanträdet', 'Resume the meeting'));
    const seconds = this.hysteresis ? `${nf(0).format(this.hysteresis)} s` : 'en stund';
    const waitText = restorable
      ? bi('Förbindelserna är återställda med god kvalitet.', 'Links restored with good quality.')
      : bi(`Kan återupptas när förbindelsen har fungerat med god kvalitet i ${seconds}.`,
        'Can resume once the link has been good for a while.');

    fill(banner,
      el('div', { class: 'banner-icon' }, icon(kind === 'warning' ? 'alert' : 'pause')),
      el('div', { class: 'banner-body' },
        el('h2', {}, kind === 'warning'
          ? bi('Förbindelsen är bruten', 'A link has failed')
          : bi('Sammanträdet är avbrutet', 'The meeting is suspended')),
        el('p', { class: 'banner-who' },
          el('strong', { class: 'banner-name' }, name),
          at ? el('span', { class: 'banner-time' }, ` kl. ${clock(at)}`) : null,
          pending ? el('span', { class: 'banner-note' }, ' (registreras…)') : null),
        evidence ? el('p', { class: 'banner-evidence' }, evidence.text,
          evidence.detail ? el('small', { lang: 'en' }, evidence.detail) : null) : null,
        suspension && suspension.reason ? el('p', { class: 'banner-reason' },
          el('span', {}, 'Orsak: '), suspension.reason) : null,
        kind === 'warning'
          ? el('p', { class: 'banner-advice' }, 'Inga beslut får fattas förrän förbindelsen är återställd med god kvalitet (KL 6:24). ',
            'Försök återupprätta förbindelsen, kalla in en ersättare eller registrera ”Har lämnat”.')
          : el('p', { class: 'banner-advice' },
            'Ljud- eller bildöverföringen har brutits, så sammanträdet är avbrutet (KL 6:24) och inga beslut får fattas. ',
            'Försök återupprätta förbindelsen; annars kan en ersättare kallas in, eller sammanträdet fortsätta utan ',
            'ledamoten om nämnden ändå är beslutför (registrera ”Har lämnat”).')),
      kind === 'warning' ? null : el('div', { class: 'banner-actions' }, resume, el('p', { class: 'resume-hint' }, waitText)));
  }

  nameOf(personId) {
    const person = this.view && (this.view.people || []).find((p) => p.person_id === personId);
    return person ? person.name : null;
  }

  // -- people --------------------------------------------------------------------------------

  renderPeople() {
    if (!this.view) return;
    const seen = new Set();
    const people = this.view.people || [];
    for (const person of people) {
      seen.add(person.person_id);
      let row = this.rows.get(person.person_id);
      if (!row) {
        row = this.makeRow(person);
        this.rows.set(person.person_id, row);
      }
      this.peopleBody.append(row.tr);  // keeps server (roster) order
      this.fillRow(row, person);
    }
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) { row.tr.remove(); this.rows.delete(id); }
    }
  }

  makeRow(person) {
    const cells = {
      name: el('td', { class: 'who' }),
      presence: el('td', { class: 'presence' }),
      quality: el('div', { class: 'quality' }),
      figures: el('div', { class: 'figures' }),
      actions: el('td', { class: 'actions' }),
    };
    const tr = el('tr', { dataset: { person: person.person_id } },
      cells.name, cells.presence, el('td', { class: 'media' }, cells.quality, cells.figures), cells.actions);
    return { tr, cells, actionsKey: null, presenceKey: null };
  }

  fillRow(row, person) {
    const { cells } = row;
    row.tr.dataset.presence = person.presence;
    row.tr.classList.toggle('counted', Boolean(person.counted));
    row.tr.classList.toggle('link-failed', Boolean(person.link_failed));
    const suspendedHere = this.view.phase === 'suspended' && this.view.suspension
      && this.view.suspension.person_id === person.person_id;
    row.tr.classList.toggle('suspended-by', Boolean(suspendedHere
      || (this.pendingSuspend && this.pendingSuspend.person === person.person_id
        && Date.now() - this.pendingSuspend.received < 3000)));

    const serving = person.serving_for ? this.nameOf(person.serving_for) : null;
    const nameKey = JSON.stringify([person.name, person.role, person.party, serving, person.counted]);
    if (row.nameKey !== nameKey) {
      row.nameKey = nameKey;
      fill(cells.name,
        el('div', { class: 'person-name' }, person.name,
          person.party ? el('span', { class: 'party', title: 'Parti / party' }, person.party) : null),
        el('div', { class: 'person-role' }, person.role,
          el('small', { lang: 'en' }, ROLE_EN[person.role] || ''),
          serving ? el('span', { class: 'serving' }, ` · tjänstgör för ${serving}`) : null));
    }

    const [sv, en] = PRESENCE[person.presence] || [person.presence, ''];
    const request = person.remote_request;
    const presenceKey = JSON.stringify([person.presence, person.link_failed, person.paused, person.counted, request]);
    if (row.presenceKey !== presenceKey) {
      row.presenceKey = presenceKey;
      const tags = [];
      if (person.counted) tags.push(el('span', { class: 'tag counted-tag', title: 'Räknas i beslutförheten / counted for quorum' }, 'räknas'));
      if (person.link_failed) tags.push(el('span', { class: 'tag bad' }, 'förbindelsen bruten'));
      if (person.paused) tags.push(el('span', { class: 'tag warn' }, 'teknisk paus'));
      if (request) {
        const mode = request.mode === 'deciding' ? 'beslutande' : 'närvarande';
        const decided = request.decision === true ? 'godkänd' : request.decision === false ? 'avslagen' : 'ej avgjord';
        tags.push(el('span', {
          class: `tag request ${request.decision === true ? 'ok' : request.decision === false ? 'bad' : 'warn'}`,
          title: 'Begäran om deltagande på distans / remote request',
        }, `distans (${mode}): ${decided}${request.late ? ', sen' : ''}`));
      }
      fill(cells.presence,
        el('span', { class: `presence-pill p-${person.presence}` }, sv),
        el('small', { lang: 'en', class: 'presence-en' }, en),
        tags.length ? el('div', { class: 'tags' }, tags) : null);
    }

    this.fillActions(row, person);
  }

  fillActions(row, person) {
    const v = this.view;
    const chair = this.role === 'ordförande';
    const me = this.api.state.welcome && this.api.state.welcome.person_id;
    const request = person.remote_request;
    const proposal = (v.substitute_proposals || {})[person.person_id];
    const closed = v.phase === 'closed';
    const key = JSON.stringify([person.presence, request, proposal, person.serving_for, person.paused,
      v.phase, this.confirming && this.confirming.key]);
    if (row.actionsKey === key) return;
    row.actionsKey = key;
    const pid = person.person_id;
    const buttons = [];
    const add = (type, label, message, cls = '') => {
      const chairOnly = CHAIR_ONLY.has(message.type);
      buttons.push(el('button', {
        type: 'button', class: `small ${cls}`, dataset: { action: type },
        disabled: closed || (chairOnly && !chair),
        title: chairOnly && !chair ? 'Endast ordföranden / chair only' : null,
        onclick: (e) => this.command(message, e.currentTarget),
      }, label));
    };
    if (request && request.decision === null) {
      const mode = request.mode === 'deciding' ? 'beslutande' : 'närvarande';
      add('approve', bi(`Godkänn distans (${mode})`, 'approve remote'),
        { type: 'decide-remote', person_id: pid, approved: true }, 'ok');
      add('refuse', bi('Avslå', 'refuse'), { type: 'decide-remote', person_id: pid, approved: false }, 'ghost');
    }
    if (person.presence === 'lobby') {
      for (const mode of this.admitModes(person)) {
        add(`admit-${mode}`, mode === 'deciding'
          ? bi('Släpp in (beslutande)', 'admit, deciding')
          : bi('Släpp in (närvarande)', 'admit, attending'),
        { type: 'admit', person_id: pid, mode }, mode === 'deciding' ? 'ok' : '');
      }
    } else if (person.presence === 'absent') {
      add('mark-present', bi('Närvarande i rummet', 'present in the room'), { type: 'mark-present', person_id: pid });
      if (proposal) {
        add('serve-substitute', bi(`Kalla in ${this.nameOf(proposal) || proposal}`, 'call in substitute'),
          { type: 'serve-substitute', substitute_id: proposal, member_id: pid }, 'ok');
      }
    } else if (pid !== me) {
      if (person.presence.startsWith('remote')) {
        add(person.paused ? 'pause-off' : 'pause-on', person.paused
          ? bi('Avsluta paus', 'end pause') : bi('Teknisk paus', 'technical pause'),
        { type: 'technical-pause', person_id: pid, on: !person.paused }, 'ghost');
      }
      if (person.serving_for) {
        add('release', bi('Avsluta tjänstgöring', 'release'), { type: 'release-substitute', substitute_id: pid }, 'ghost');
      }
      if (proposal) {
        add('serve-substitute', bi(`Kalla in ${this.nameOf(proposal) || proposal}`, 'call in substitute'),
          { type: 'serve-substitute', substitute_id: proposal, member_id: pid }, 'ok');
      }
      buttons.push(this.twoStepButton(`left-${pid}`, 'Har lämnat', 'has left', 'small ghost danger-text',
        { type: 'mark-left', person_id: pid }, { 'data-action': 'mark-left', disabled: closed }));
    }
    fill(row.cells.actions, ...buttons);
  }

  /** The admit modes the rules allow for this person (compliance/meeting.py `admit`). */
  admitModes(person) {
    const elected = ['ordförande', 'ledamot', 'ersättare'].includes(person.role);
    if (!elected) return ['attending-only'];
    const r = person.remote_request;
    if (!r || r.decision !== true) return [];
    return r.mode === 'deciding' ? ['deciding', 'attending-only'] : ['attending-only'];
  }

  // -- quality -------------------------------------------------------------------------------

  qualityState(q) {
    if (!q) return 'none';
    if (q.disconnected) return 'failed';
    if (q.state === 'failed') return 'failed';
    if (q.visible === false) return 'hidden';
    return q.state || 'wait';
  }

  /** Failed earlier, nothing critical now: waiting out the hysteresis (or stuck at degraded). */
  recovering(q) {
    return Boolean(q && q.state === 'failed' && !q.disconnected && typeof q.score === 'number' && q.score > 20);
  }

  renderQuality() {
    if (!this.view) return;
    for (const person of this.view.people || []) {
      const row = this.rows.get(person.person_id);
      if (!row) continue;
      const q = this.quality.get(person.person_id);
      const state = this.qualityState(q);
      const [sv, en] = QUALITY[state];
      row.tr.dataset.quality = state;
      const reason = q && q.reasons && q.reasons[0] ? describeEvidence(q.reasons[0]) : null;
      if (!q && !person.participant_id) {
        // nobody's device: absent, or in the room without one of their own
        const remote = person.presence.startsWith('remote');
        row.tr.dataset.quality = remote ? 'failed' : 'none';
        fill(row.cells.quality, remote
          ? el('span', { class: 'q-badge q-failed' }, el('span', { class: 'q-dot' }), 'Ej ansluten')
          : el('span', { class: 'q-none' }, person.presence === 'room' ? 'I rummet, ingen egen enhet' : '–'));
        fill(row.cells.figures);
        continue;
      }
      fill(row.cells.quality,
        el('span', { class: `q-badge q-${state}` }, el('span', { class: 'q-dot', 'aria-hidden': 'true' }), sv),
        el('small', { lang: 'en', class: 'q-en' }, en),
        q && q.visible === false && q.state !== 'ok' ? el('div', { class: 'q-also' }, 'syns inte') : null,
        this.recovering(q) ? el('div', { class: 'q-also' },
          `Återhämtar sig: ${nf(0).format(this.hysteresis || 5)} s god kvalitet krävs`) : null,
        reason ? el('div', { class: 'q-reason', title: reason.text }, reason.short) : null,
        q && q.disconnected ? el('div', { class: 'q-reason' }, 'Frånkopplad') : null);
      fill(row.cells.figures, this.figures(q));
    }
    for (const [id, card] of this.lobbyCards) {
      const q = this.quality.get(id);
      const state = this.qualityState(q);
      const [sv] = QUALITY[state];
      fill(card.quality, el('span', { class: `q-badge q-${state}` }, el('span', { class: 'q-dot' }), sv));
      fill(card.figures, this.figures(q));
    }
  }

  figures(q) {
    const f = (q && q.figures) || {};
    const dl = el('dl', { class: 'figs' });
    const add = (label, value, cls = '') => dl.append(el('div', { class: `fig ${cls}` },
      el('dt', {}, label), el('dd', {}, value)));
    const fmt = (v, digits = 0) => (typeof v === 'number' ? nf(digits).format(v) : '–');
    add('fps', fmt(f.fps, 1), grade(f.fps, 20, 12, -1));
    add('RTT', typeof f.rtt_ms === 'number' ? `${fmt(f.rtt_ms)} ms` : '–');
    const loss = Math.max(f.audio_loss_pct ?? -1, f.video_loss_pct ?? -1);
    add('förlust', loss >= 0 ? `${fmt(loss, 1)} %` : '–', grade(loss, 2, 6, 1));
    add('höjd', typeof f.height === 'number' ? `${f.height} px` : '–', grade(f.height, 240, 144, -1));
    add('ansikte', f.face_visible === true ? 'ja' : f.face_visible === false ? 'nej' : '–',
      f.face_visible === false ? 'bad' : '');
    const level = f.audio_level_dbov;
    const meter = el('span', { class: 'level' }, el('span', {
      class: 'level-fill', style: `width:${levelPercent(level)}%`,
    }));
    add('ljud', el('span', { class: 'level-wrap' }, meter,
      el('span', { class: 'level-num' }, typeof level === 'number' ? `${level} dBov` : '–')));
    return dl;
  }

  // -- the lobby -----------------------------------------------------------------------------

  renderLobby() {
    const waiting = (this.view.people || []).filter((p) => p.presence === 'lobby');
    this.lobbySection.hidden = waiting.length === 0;
    const seen = new Set();
    for (const person of waiting) {
      seen.add(person.person_id);
      let card = this.lobbyCards.get(person.person_id);
      if (!card) {
        card = this.makeLobbyCard(person);
        this.lobbyCards.set(person.person_id, card);
        this.lobbyList.append(card.root);
      }
      this.fillLobbyCard(card, person);
    }
    for (const [id, card] of this.lobbyCards) {
      if (!seen.has(id)) {
        card.root.remove();
        this.lobbyCards.delete(id);
      }
    }
    this.syncLobbyTiles();
  }

  makeLobbyCard(person) {
    const video = el('video', { autoplay: true, playsinline: true, muted: true });
    video.muted = true;
    const placeholder = el('div', { class: 'no-video' }, 'Ingen bild ännu', el('small', { lang: 'en' }, 'no picture yet'));
    const level = el('span', { class: 'level-fill' });
    const listen = el('button', { type: 'button', class: 'small ghost listen', 'aria-pressed': 'false' },
      icon('speaker'), bi('Lyssna', 'listen'));
    const card = {
      root: null, video, placeholder, level, listen, participantId: null,
      name: el('h3'), meta: el('p', { class: 'meta' }), request: el('p', { class: 'request' }),
      quality: el('div', { class: 'lobby-quality' }), figures: el('div', { class: 'lobby-figures' }),
      actions: el('div', { class: 'lobby-actions' }), actionsKey: null,
    };
    listen.addEventListener('click', () => {
      card.listening = !card.listening;
      listen.setAttribute('aria-pressed', String(card.listening));
      fill(listen, card.listening ? [icon('speaker-on'), bi('Lyssnar', 'listening')] : [icon('speaker'), bi('Lyssna', 'listen')]);
      this.syncLobbyTiles();
    });
    card.root = el('article', { class: 'lobby-card', dataset: { person: person.person_id } },
      el('div', { class: 'lobby-video' }, video, placeholder,
        el('div', { class: 'lobby-level', title: 'Ljudnivå / audio level' }, el('span', { class: 'level big' }, level))),
      el('div', { class: 'lobby-body' }, card.name, card.meta, card.request, card.quality, card.figures,
        el('div', { class: 'lobby-buttons' }, card.actions, listen)));
    video.addEventListener('resize', () => { placeholder.hidden = video.videoWidth > 0; });
    video.addEventListener('playing', () => { placeholder.hidden = video.videoWidth > 0; });
    return card;
  }

  fillLobbyCard(card, person) {
    card.name.textContent = person.name;
    fill(card.meta, person.role, person.party ? ` · ${person.party}` : '');
    const r = person.remote_request;
    fill(card.request, r
      ? `Distans ${r.mode === 'deciding' ? 'som beslutande' : 'som närvarande'}: ${r.decision === true ? 'godkänt' : r.decision === false ? 'avslaget' : 'inte avgjort'}${r.late ? ' (sen begäran)' : ''}`
      : 'Ingen begäran om deltagande på distans');
    card.request.dataset.ok = String(Boolean(r && r.decision === true));
    if (person.participant_id && card.participantId !== person.participant_id) {
      card.participantId = person.participant_id;
      const entry = this.api.tileFor(person.participant_id);
      entry.name = `${person.name} (lobbyn)`;
      this.api.tileFor(person.participant_id);  // re-render the caption
      card.video.srcObject = entry.stream;
      card.video.play().catch(() => {});
    }
    if (!person.participant_id) {
      card.participantId = null;
      card.video.srcObject = null;
      card.placeholder.hidden = false;
    }
    const modes = this.admitModes(person);
    const key = JSON.stringify([modes, r, this.view.phase]);
    if (card.actionsKey !== key) {
      card.actionsKey = key;
      const buttons = modes.map((mode) => el('button', {
        type: 'button', class: mode === 'deciding' ? 'ok admit' : 'admit',
        dataset: { action: `admit-${mode}` },
        onclick: (e) => this.command({ type: 'admit', person_id: person.person_id, mode }, e.currentTarget),
      }, mode === 'deciding' ? bi('Släpp in (beslutande)', 'admit, deciding') : bi('Släpp in (närvarande)', 'admit, attending')));
      if (!modes.length) buttons.push(el('p', { class: 'hint' }, 'Kan inte släppas in utan godkänd begäran om distansdeltagande.'));
      fill(card.actions, ...buttons);
    }
  }

  /** Lobby people's gallery tiles stay hidden and silent (the lobby card shows them). */
  syncLobbyTiles() {
    if (!this.view) return;
    const lobbyNow = new Map();
    for (const person of this.view.people || []) {
      if (person.presence === 'lobby' && person.participant_id) lobbyNow.set(person.participant_id, person);
    }
    const connected = new Set((this.view.people || []).map((p) => p.participant_id).filter(Boolean));
    for (const [id, person] of this.api.state.people) {
      if (!person.tile) continue;
      const inLobby = lobbyNow.has(id);
      person.tile.classList.toggle('in-lobby', inLobby);
      const audio = person.tile.querySelector('audio');
      if (inLobby) {
        this.lobbyTiles.add(id);
        const card = this.lobbyCards.get(lobbyNow.get(id).person_id);
        if (audio) audio.muted = !(card && card.listening);
      } else if (this.lobbyTiles.has(id)) {
        this.lobbyTiles.delete(id);
        if (audio) audio.muted = false;
        if (!connected.has(id)) {
          // left from the lobby: no participant-left is sent for lobby people
          person.tile.remove();
          this.api.state.people.delete(id);
        } else if (person.name.endsWith(' (lobbyn)')) {
          person.name = person.name.slice(0, -' (lobbyn)'.length);
          this.api.tileFor(id);
        }
      }
    }
  }

  /** The lobby card's level bar: what this browser receives of their microphone. */
  async measureLobbyAudio() {
    const pc = this.api.state.pc;
    if (!pc || !this.lobbyCards.size || pc.connectionState === 'closed') return;
    const byParticipant = new Map();
    for (const card of this.lobbyCards.values()) if (card.participantId) byParticipant.set(card.participantId, card);
    if (!byParticipant.size) return;
    const report = await pc.getStats();
    for (const s of report.values()) {
      if (s.type !== 'inbound-rtp' || s.kind !== 'audio') continue;
      const info = this.api.state.tracks[s.mid];
      const card = info && byParticipant.get(info.participant);
      if (!card || typeof s.audioLevel !== 'number') continue;
      const dbov = s.audioLevel > 0 ? 20 * Math.log10(s.audioLevel) : -127;
      card.level.style.width = `${levelPercent(dbov)}%`;
    }
  }
}

/** ''/'warn'/'bad' by a band: dir -1 when lower is worse (fps, height), +1 when higher is. */
function grade(value, degraded, critical, dir) {
  if (typeof value !== 'number' || value < 0) return '';
  if (dir < 0) return value < critical ? 'bad' : value < degraded ? 'warn' : '';
  return value > critical ? 'bad' : value > degraded ? 'warn' : '';
}

/** dBov (−127 silence … 0 loudest) to a 0–100 bar, speech around −40…−20 in the middle. */
function levelPercent(dbov) {
  if (typeof dbov !== 'number') return 0;
  return Math.max(0, Math.min(100, ((dbov + 70) / 60) * 100));
}

export function startDashboard(api) {
  injectStylesheet();
  document.body.classList.add('chair');
  const root = document.getElementById('dashboard');
  root.hidden = false;
  const dashboard = new Dashboard(api, root);
  api.on((message) => dashboard.onMessage(message));
  // messages that arrived while this module was loading
  const latest = api.state.latest || {};
  for (const type of ['meeting-state', 'quality']) {
    if (latest[type]) dashboard.onMessage(latest[type]);
  }
  window.kvorumDashboard = dashboard;  // for tests and support staff
  return dashboard;
}
