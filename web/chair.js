// Kvorum: the chair's (ordförande) and the secretary's dashboard on top of the member page.
// meeting.js imports this module when `welcome.dashboard` is true and calls startDashboard(api),
// api = {state, send, on(fn), tileFor(id)}. Everything shown comes from the server's
// `meeting-state`, `quality`, `analysis` and `error` messages (docs/protocol.md); who may press which
// button (`commands`, `admit_modes`) and every threshold (GET /api/profile) are the server's.
// Every button sends one chair command and waits for the next `meeting-state`.

import { $, bi, el, en, fill, icon } from './lib/dom.js';
import { clock, fmt, genitive } from './lib/format.js';
import { MODE, PHASE, PRESENCE, QUALITY, reasonText } from './lib/labels.js';
import { grade, loadProfile, worst } from './lib/profile.js';
import { ChairProcedure } from './chair-procedure.js';

const CONFIRM_MS = 5000;
const LOBBY_LEVEL_EVERY_MS = 400;

function injectStylesheet() {
  if (document.querySelector('link[data-kvorum-chair]')) return;
  document.head.append(el('link', { rel: 'stylesheet', href: '/static/chair.css', 'data-kvorum-chair': '1' }));
}

class Dashboard {
  constructor(api, root) {
    this.api = api;
    this.root = root;
    this.view = null;             // the latest meeting-state
    this.quality = new Map();     // person id -> quality row
    this.rows = new Map();        // person id -> {tr, cells, actionsKey}
    this.lobbyCards = new Map();  // person id -> {card, video, ...}
    this.lobbyTiles = new Set();  // participant ids whose gallery tile is hidden (in the lobby)
    this.confirming = null;       // {key, timer}: a two-step button waiting for its second click
    this.profile = null;          // the server's quality rules (thresholds)
    this.bannerKey = null;
    this.role = api.state.welcome ? api.state.welcome.role : 'ordförande';
    this.build();
    loadProfile().then((profile) => {
      this.profile = profile;
      this.bannerKey = null;
      this.render();
    }).catch((err) => console.warn('profile not loaded', err));
    this.levelTimer = setInterval(() => this.measureLobbyAudio().catch(() => {}), LOBBY_LEVEL_EVERY_MS);
  }

  /** May this dashboard's person send this command (the server's table)? */
  may(type) {
    const roles = this.view && this.view.commands ? this.view.commands[type] : null;
    return !roles || roles.includes(this.role);
  }

  // -- the static frame ---------------------------------------------------------------------

  build() {
    fill(this.root);
    // The banner sits above the videos and the dashboard (its own grid area in #room).
    this.banner = el('section', { class: 'chair-banner', role: 'alert', 'aria-live': 'assertive', hidden: true });
    const head = document.querySelector('#room .room-head');
    head.after(this.banner);
    const where = document.querySelector('#self .self-where');
    if (where) where.textContent = '· rummets kamera';
    if (!document.querySelector('#gallery .gallery-empty')) {
      $('gallery').append(el('p', { class: 'gallery-empty' }, 'Inga deltagare på distans ännu.'));
    }

    this.head = el('section', { class: 'chair-head card', 'aria-label': 'Sammanträdet' });
    this.meetingInfo = el('div', { class: 'meeting-info' });
    this.phaseBadge = el('span', { class: 'phase-badge' });
    this.controls = el('div', { class: 'meeting-controls' });
    this.head.append(this.meetingInfo, this.controls);

    this.quorumBox = el('section', { class: 'quorum card', 'aria-label': 'Beslutförhet', 'aria-live': 'polite' });

    this.lobbyList = el('div', { class: 'lobby-list' });
    this.lobbySection = el('section', { class: 'lobby-section card', hidden: true, 'aria-labelledby': 'lobby-cards-heading' },
      el('h2', { id: 'lobby-cards-heading' }, bi('Väntar i lobbyn', 'Waiting in the lobby')),
      el('p', { class: 'hint' }, 'Kontrollera identitet, bild och ljud innan du släpper in. ',
        en('Check identity, picture and sound before admitting.')),
      this.lobbyList);

    this.peopleBody = el('tbody');
    // shown while the analysis worker is down: faces are not checked, nobody is blamed for it
    this.analysisNote = el('p', { class: 'q-also analysis-note', role: 'status', hidden: true },
      'Bildanalysen är inte tillgänglig just nu: ansikten kontrolleras inte. Ingen deltagare påverkas. ',
      en('Analysis unavailable: faces are not checked; no member is affected.'));
    this.peopleSection = el('section', { class: 'people card', 'aria-labelledby': 'people-heading' },
      el('h2', { id: 'people-heading' }, bi('Deltagare och upprop', 'People and roll call')),
      this.analysisNote,
      el('table', { class: 'people-table' },
        el('thead', {}, el('tr', {},
          el('th', { scope: 'col' }, bi('Namn', 'Name')),
          el('th', { scope: 'col' }, bi('Närvaro', 'Presence')),
          el('th', { scope: 'col' }, bi('Bild och ljud', 'Picture and sound')),
          el('th', { scope: 'col', class: 'actions-col' }, bi('Åtgärd', 'Action')))),
        this.peopleBody));

    this.toasts = el('div', { class: 'toasts' });
    document.body.append(this.toasts);

    this.procedure = new ChairProcedure(this);  // items, speakers, proposals, votes, decisions
    this.root.append(el('div', { class: 'chair-top' }, this.head, this.quorumBox),
      this.lobbySection, this.procedure.root, this.peopleSection);
  }

  // -- messages -----------------------------------------------------------------------------

  onMessage(message) {
    switch (message.type) {
      case 'meeting-state':
        if (message.guest_room) return;
        this.view = message;
        this.render();
        break;
      case 'analysis':
        this.analysisNote.hidden = message.available !== false;
        break;
      case 'quality':
        if ('analysis_available' in message) {
          this.analysisNote.hidden = message.analysis_available !== false;
        }
        this.quality.clear();
        for (const row of message.participants || []) {
          const seen = row.person_id && this.quality.get(row.person_id);
          // a person briefly on two connections (reconnecting): the live one counts
          if (row.person_id && (!seen || seen.disconnected)) this.quality.set(row.person_id, row);
        }
        this.renderQuality();
        this.syncLobbyTiles();
        break;
      case 'procedure':
        this.procedure.onView(message);
        break;
      case 'error':
        // the procedure card shows its own refusals where they happened, with the way forward
        if (this.procedure.handles(message.ref)) this.procedure.onAnswer(message);
        else this.toast(message.message_sv || 'Något gick fel.', message.message_en || message.code, 'error');
        this.invalidate();  // re-enable the button that was waiting
        break;
      case 'done':
        this.procedure.onAnswer(message);
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
    this.controlsKey = null;
    this.procedure.invalidate();
    this.render();
  }

  command(message, button) {
    if (button) {
      button.disabled = true;
      button.classList.add('busy');
    }
    this.api.send(message);
  }

  /** A button for one chair command, disabled with a reason when this person may not send it. */
  commandButton(message, label, { cls = '', action = null, disabled = false } = {}) {
    const allowed = this.may(message.type);
    return el('button', {
      type: 'button', class: cls, dataset: action ? { action } : null,
      disabled: disabled || !allowed,
      title: allowed ? null : 'Endast ordföranden / chair only',
      onclick: (e) => this.command(message, e.currentTarget),
    }, label);
  }

  /** A consequential button asks for a second click within 5 s instead of a dialog. */
  twoStepButton(key, sv, english, cls, message, { action = null, disabled = false } = {}) {
    const confirming = Boolean(this.confirming && this.confirming.key === key);
    return el('button', {
      type: 'button', class: `${cls}${confirming ? ' confirm' : ''}`, dataset: action ? { action } : null,
      disabled: disabled || !this.may(message.type),
      onclick: (e) => {
        if (this.confirming && this.confirming.key === key) {
          clearTimeout(this.confirming.timer);
          this.confirming = null;
          this.command(message, e.currentTarget);
          return;
        }
        if (this.confirming) clearTimeout(this.confirming.timer);
        this.confirming = { key, timer: setTimeout(() => { this.confirming = null; this.invalidate(); }, CONFIRM_MS) };
        this.invalidate();
        const again = this.root.querySelector(`button[data-action="${action}"].confirm`);
        if (again) again.focus();
      },
    }, confirming ? bi(`Bekräfta: ${sv.toLowerCase()}`, 'click again to confirm') : bi(sv, english));
  }

  toast(sv, english, kind = 'info') {
    const close = el('button', { type: 'button', class: 'toast-close', 'aria-label': 'Stäng meddelandet' }, icon('cross'));
    const toast = el('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
      el('div', {}, el('strong', {}, sv), english ? en(english) : null), close);
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
    this.procedure.render();
  }

  renderHead() {
    const v = this.view;
    const m = v.meeting || {};
    const when = [m.date, m.time ? `kl. ${m.time}` : null].filter(Boolean).join(' ');
    const agenda = (m.agenda || []).length ? el('details', { class: 'agenda' },
      el('summary', {}, bi(`Föredragningslista (${m.agenda.length} ärenden)`, 'agenda')),
      el('ol', {}, m.agenda.map((item) => el('li', {}, item)))) : null;
    fill(this.meetingInfo,
      el('div', { class: 'title-row' }, this.phaseBadge,
        el('span', { class: 'meta' }, [when, m.place].filter(Boolean).join(' · '))),
      agenda);
    if (agenda && this.agendaOpen) agenda.open = true;  // keep it open across re-renders
    if (agenda) agenda.addEventListener('toggle', () => { this.agendaOpen = agenda.open; });

    const [sv, english] = PHASE[v.phase] || [v.phase, ''];
    this.phaseBadge.dataset.phase = v.phase;
    fill(this.phaseBadge, bi(sv, english));

    // rebuilt only when they change: a button replaced under the pointer loses its click
    const controlsKey = JSON.stringify([v.phase, v.commands, this.confirming && this.confirming.key]);
    if (controlsKey === this.controlsKey) return;
    this.controlsKey = controlsKey;
    const buttons = [];
    if (v.phase === 'scheduled') {
      buttons.push(this.commandButton({ type: 'open-meeting' }, bi('Öppna sammanträdet', 'Open the meeting'),
        { cls: 'open-meeting' }));
    }
    if (v.phase === 'open' || v.phase === 'suspended') {
      buttons.push(this.twoStepButton('close', 'Avsluta sammanträdet', 'Close the meeting',
        'close-meeting danger', { type: 'close-meeting' }, { action: 'close-meeting' }));
    }
    if (buttons.length && !this.may(v.phase === 'scheduled' ? 'open-meeting' : 'close-meeting')) {
      buttons.push(el('p', { class: 'hint' }, 'Ordföranden öppnar och avslutar sammanträdet. ',
        en('The chair opens and closes the meeting.')));
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
        icon(ok ? 'check' : 'stop', { cls: 'quorum-icon' }),
        el('strong', {}, `${ok ? 'Beslutför' : 'Inte beslutför'}: ${q.present} av ${q.members} närvarande, ${q.required} krävs`)),
      el('span', { class: 'en quorum-en', lang: 'en' },
        `${ok ? 'Quorate' : 'Not quorate'}: ${q.present} of ${q.members} present, ${q.required} required`),
      block ? el('p', { class: 'decision-block' },
        icon('stop', { cls: 'block-icon' }),
        el('span', {}, el('strong', {}, 'Inga beslut nu: '), block.message_sv, ' ', en(block.message_en)))
        : el('p', { class: 'decision-ok' }, icon('check'), ' Beslut kan fattas ', en('decisions may be taken')));
  }

  /** The suspension as the chair reads it: who, since when, why in Swedish, what to do. */
  suspensionFacts() {
    const v = this.view;
    const suspension = v && v.phase === 'suspended' ? v.suspension : null;
    if (suspension) {
      const name = suspension.name || this.nameOf(suspension.person_id) || '';
      return { kind: 'suspended', personId: suspension.person_id, name, at: suspension.at, reason: reasonText(suspension) };
    }
    const failed = v ? (v.people || []).filter((x) => x.link_failed) : [];
    if (failed.length) {
      // not open (or failed before it opened): nothing to suspend, but no decisions either
      const q = this.quality.get(failed[0].person_id);
      const reason = failed[0].link_failure ? reasonText(failed[0].link_failure)
        : q && q.reasons && q.reasons[0] ? reasonText(q.reasons[0]) : null;
      return { kind: 'warning', personId: failed[0].person_id, name: failed.map((x) => x.name).join(', '),
        at: failed[0].link_failure ? failed[0].link_failure.at : null, reason };
    }
    return null;
  }

  renderBanner() {
    const v = this.view;
    const banner = this.banner;
    if (v && v.phase === 'closed') {
      if (this.bannerKey === 'closed') return;
      this.bannerKey = 'closed';
      banner.hidden = false;
      banner.dataset.kind = 'closed';
      fill(banner, el('div', { class: 'banner-body' }, el('h2', {}, bi('Sammanträdet är avslutat', 'The meeting is closed'))));
      return;
    }
    const facts = this.suspensionFacts();
    const restorable = Boolean(v && v.phase === 'suspended' && v.restorable);
    const key = JSON.stringify([facts, restorable, Boolean(this.profile), this.may('resume-meeting')]);
    if (key === this.bannerKey) return;
    this.bannerKey = key;
    if (!facts) {
      banner.hidden = true;
      fill(banner);
      return;
    }
    banner.hidden = false;
    banner.dataset.kind = facts.kind;
    banner.dataset.person = facts.personId || '';

    const seconds = this.profile ? `${fmt(this.profile.quality.hysteresis_s)} s` : 'några sekunder';
    const resume = this.commandButton({ type: 'resume-meeting' }, bi('Återuppta sammanträdet', 'Resume the meeting'),
      { cls: 'resume', disabled: !restorable });
    const waitText = restorable
      ? bi('Förbindelsen fungerar igen med god kvalitet.', 'The link is good again.')
      : bi(`Knappen går att använda när förbindelsen har fungerat bra i ${seconds}.`,
        'Can resume once the link has been good for a while.');
    // the server's wording names the person itself; the fallback's does not
    let who = facts.reason ? facts.reason.sv : 'En distansdeltagares bild eller ljud når inte fram.';
    if (facts.name && !facts.reason) who = `${genitive(facts.name)} bild eller ljud når inte fram.`;
    else if (facts.name && !who.includes(facts.name)) who = `${facts.name}: ${who}`;

    fill(banner,
      el('div', { class: 'banner-icon' }, icon(facts.kind === 'warning' ? 'alert' : 'pause')),
      el('div', { class: 'banner-body' },
        el('h2', {}, facts.kind === 'warning'
          ? bi('Förbindelsen är bruten', 'A link has failed')
          : bi('Sammanträdet är avbrutet', 'The meeting is suspended')),
        el('p', { class: 'banner-reason' }, el('strong', { class: 'banner-name' }, who),
          facts.at ? el('span', { class: 'banner-time' }, ` Sedan kl. ${clock(facts.at)}.`) : null),
        facts.reason && facts.reason.en ? el('p', { class: 'banner-en' }, en(facts.reason.en)) : null,
        facts.kind === 'warning'
          ? el('p', { class: 'banner-advice' }, 'Inga beslut får fattas förrän förbindelsen fungerar igen (KL 6:24). ',
            'Be personen ansluta igen, kalla in en ersättare eller registrera ”Har lämnat”.')
          : el('p', { class: 'banner-advice' },
            'Inga beslut får fattas medan sammanträdet är avbrutet (KL 6:24). Be personen ansluta igen; ',
            'annars kan en ersättare kallas in, eller sammanträdet fortsätta utan ledamoten om nämnden ',
            'ändå är beslutför (registrera ”Har lämnat”).')),
      facts.kind === 'warning' ? null
        : el('div', { class: 'banner-actions' }, resume, el('p', { class: 'resume-hint' }, waitText)));
  }

  nameOf(personId) {
    const person = this.view && (this.view.people || []).find((p) => p.person_id === personId);
    return person ? person.name : null;
  }

  // -- people --------------------------------------------------------------------------------

  renderPeople() {
    if (!this.view) return;
    const seen = new Set();
    for (const person of this.view.people || []) {
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
    const facts = this.suspensionFacts();
    row.tr.classList.toggle('suspended-by', Boolean(facts && facts.kind === 'suspended' && facts.personId === person.person_id));

    const serving = person.serving_for ? this.nameOf(person.serving_for) : null;
    const nameKey = JSON.stringify([person.name, person.role, person.party, serving, person.counted]);
    if (row.nameKey !== nameKey) {
      row.nameKey = nameKey;
      fill(cells.name,
        el('div', { class: 'person-name' }, person.name,
          person.party ? el('span', { class: 'party', title: 'Parti / party' }, person.party) : null),
        el('div', { class: 'person-role' }, person.role, ' ', en(person.role_en || ''),
          serving ? el('span', { class: 'serving' }, ` · tjänstgör för ${serving}`) : null));
    }

    const [sv, english] = PRESENCE[person.presence] || [person.presence, ''];
    const request = person.remote_request;
    const presenceKey = JSON.stringify([person.presence, person.link_failed, person.paused, person.counted, request]);
    if (row.presenceKey !== presenceKey) {
      row.presenceKey = presenceKey;
      const tags = [];
      if (person.counted) tags.push(el('span', { class: 'tag ok', title: 'Räknas i beslutförheten / counted for quorum' }, 'räknas'));
      if (person.link_failed) tags.push(el('span', { class: 'tag bad' }, 'förbindelsen bruten'));
      if (person.paused) tags.push(el('span', { class: 'tag warn' }, 'teknisk paus'));
      if (request) {
        const decided = request.decision === true ? 'godkänd' : request.decision === false ? 'avslagen' : 'ej avgjord';
        tags.push(el('span', {
          class: `tag request ${request.decision === true ? 'ok' : request.decision === false ? 'bad' : 'warn'}`,
          title: 'Begäran om deltagande på distans / remote request',
        }, `distans (${(MODE[request.mode] || [request.mode])[0]}): ${decided}${request.late ? ', sen' : ''}`));
      }
      fill(cells.presence,
        el('span', { class: `presence-pill p-${person.presence}` }, sv),
        el('span', { class: 'en presence-en', lang: 'en' }, english),
        tags.length ? el('div', { class: 'tags' }, tags) : null);
    }

    this.fillActions(row, person);
  }

  fillActions(row, person) {
    const v = this.view;
    const me = this.api.state.welcome && this.api.state.welcome.person_id;
    const request = person.remote_request;
    const proposal = (v.substitute_proposals || {})[person.person_id];
    const closed = v.phase === 'closed';
    const key = JSON.stringify([person.presence, request, proposal, person.serving_for, person.paused,
      person.admit_modes, v.phase, v.commands, this.confirming && this.confirming.key]);
    if (row.actionsKey === key) return;
    row.actionsKey = key;
    const pid = person.person_id;
    const buttons = [];
    const add = (action, label, message, cls = '') => buttons.push(
      this.commandButton(message, label, { cls: `small ${cls}`, action, disabled: closed }));
    const substitute = () => add('serve-substitute', bi(`Kalla in ${this.nameOf(proposal) || proposal}`, 'call in substitute'),
      { type: 'serve-substitute', substitute_id: proposal, member_id: pid }, 'ok');
    if (request && request.decision === null) {
      add('approve', bi(`Godkänn distans (${MODE[request.mode][0]})`, 'approve remote'),
        { type: 'decide-remote', person_id: pid, approved: true }, 'ok');
      add('refuse', bi('Avslå', 'refuse'), { type: 'decide-remote', person_id: pid, approved: false }, 'ghost');
    }
    if (person.presence === 'lobby') {
      for (const mode of person.admit_modes || []) {
        add(`admit-${mode}`, admitLabel(mode), { type: 'admit', person_id: pid, mode }, mode === 'deciding' ? 'ok' : '');
      }
    } else if (person.presence === 'absent') {
      add('mark-present', bi('Närvarande i rummet', 'present in the room'), { type: 'mark-present', person_id: pid });
      if (proposal) substitute();
    } else if (pid !== me) {
      if (person.presence.startsWith('remote')) {
        add(person.paused ? 'pause-off' : 'pause-on', person.paused
          ? bi('Avsluta paus', 'end pause') : bi('Teknisk paus', 'technical pause'),
        { type: 'technical-pause', person_id: pid, on: !person.paused }, 'ghost');
      }
      if (person.serving_for) {
        add('release', bi('Avsluta tjänstgöring', 'release'), { type: 'release-substitute', substitute_id: pid }, 'ghost');
      }
      if (proposal) substitute();
      buttons.push(this.twoStepButton(`left-${pid}`, 'Har lämnat', 'has left', 'small ghost danger-text',
        { type: 'mark-left', person_id: pid }, { action: 'mark-left', disabled: closed }));
    }
    fill(row.cells.actions, ...buttons);
  }

  // -- quality -------------------------------------------------------------------------------

  /** The badge's state for a person: only a live connection shows a judged link. */
  qualityState(person, q) {
    if (person.presence === 'absent') return 'none';
    if (!q) return person.presence.startsWith('remote') ? 'failed' : 'none';
    if (q.disconnected) return 'left';
    if (q.state === 'failed') return 'failed';
    if (q.visible === false) return 'hidden';
    return q.state || 'wait';
  }

  /** Failed earlier, nothing critical now: waiting out the hysteresis. */
  recovering(q) {
    return Boolean(q && q.state === 'failed' && !q.disconnected && typeof q.score === 'number' && q.score > 20);
  }

  renderQuality() {
    if (!this.view) return;
    for (const person of this.view.people || []) {
      const row = this.rows.get(person.person_id);
      if (!row) continue;
      const q = this.quality.get(person.person_id);
      const state = this.qualityState(person, q);
      row.tr.dataset.quality = state;
      if (state === 'none' || (!q && person.presence.startsWith('remote'))) {
        // absent, in the room without a device of their own, or a remote member not connected
        fill(row.cells.quality, person.presence.startsWith('remote')
          ? el('span', { class: 'q-badge q-failed' }, icon('cross'), 'Inte ansluten')
          : el('span', { class: 'q-none' }, person.presence === 'room' ? 'I rummet, ingen egen enhet' : '–'));
        fill(row.cells.figures);
        continue;
      }
      const [sv, english] = QUALITY[state];
      const reason = q && !q.disconnected && q.state !== 'ok' && q.reasons && q.reasons[0] ? reasonText(q.reasons[0]) : null;
      fill(row.cells.quality,
        el('span', { class: `q-badge q-${state}` }, icon(badgeIcon(state)), sv),
        ' ', en(english),
        state === 'left' ? el('div', { class: 'q-reason' },
          'Förbindelsen är stängd. Om hen inte ansluter igen: registrera ”Har lämnat”.') : null,
        q && q.visible === false && q.state !== 'ok' && !q.disconnected ? el('div', { class: 'q-also' }, 'Ansiktet syns inte') : null,
        q && q.still_image && !q.disconnected ? el('div', { class: 'q-also' },
          'Möjligen en stillbild: ansiktet har inte rört sig alls', en('possibly a still image')) : null,
        this.recovering(q) ? el('div', { class: 'q-also' },
          `Återhämtar sig: ${fmt(this.profile ? this.profile.quality.hysteresis_s : 5)} s god kvalitet krävs`) : null,
        reason ? el('div', { class: 'q-reason' }, reason.sv) : null);
      fill(row.cells.figures, q && !q.disconnected ? this.figures(q) : null);
    }
    for (const [id, card] of this.lobbyCards) {
      const q = this.quality.get(id);
      const state = q ? (q.state === 'failed' ? 'failed' : q.visible === false ? 'hidden' : q.state || 'wait') : 'wait';
      const [sv] = QUALITY[state];
      fill(card.quality, el('span', { class: `q-badge q-${state}` }, icon(badgeIcon(state)), sv));
      fill(card.figures, q ? this.figures(q) : null);
    }
  }

  /** The live figures, coloured against the server's own thresholds (GET /api/profile). */
  figures(q) {
    const f = (q && q.figures) || {};
    const rules = this.profile ? this.profile.quality : null;
    const band = (name) => (rules ? rules[name] : null);
    const dl = el('dl', { class: 'figs' });
    const add = (label, value, g = 'none') => dl.append(el('div', { class: `fig ${g === 'none' || g === 'ok' ? '' : g}` },
      el('dt', {}, label), el('dd', {}, value)));
    const pct = (v) => (typeof v === 'number' ? v / 100 : null);
    add('bilder/s', fmt(f.fps, 1), grade(f.fps, band('fps')));
    add('svarstid', typeof f.rtt_ms === 'number' ? `${fmt(f.rtt_ms)} ms` : '–');
    const loss = Math.max(f.audio_loss_pct ?? -1, f.video_loss_pct ?? -1);
    add('förlust', loss >= 0 ? `${fmt(loss, 1)} %` : '–',
      worst(grade(pct(f.audio_loss_pct), band('audio_loss')), grade(pct(f.video_loss_pct), band('video_loss'))));
    add('höjd', typeof f.height === 'number' ? `${fmt(f.height)} px` : '–', grade(f.height, band('height')));
    add('ansikte', f.still_image ? 'stillbild?' : f.face_visible === true ? 'syns'
      : f.face_visible === false ? 'syns inte' : '–',
    f.face_visible === false ? 'bad' : f.still_image ? 'warn' : 'none');
    const level = f.audio_level_dbov;
    const fillBar = el('span', { class: 'level-fill' });
    fillBar.style.width = `${levelPercent(level)}%`;
    add('ljud', el('span', { class: 'level-wrap' }, el('span', { class: 'level' }, fillBar),
      el('span', { class: 'level-num' }, typeof level === 'number' ? `${fmt(level)} dBov` : '–')));
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
    const video = el('video', { autoplay: true, playsinline: true });
    video.muted = true;
    const placeholder = el('div', { class: 'no-video' }, 'Ingen bild ännu', en('no picture yet'));
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
      fill(listen, icon(card.listening ? 'speaker-on' : 'speaker'), bi('Lyssna', 'listen'));
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
      ? `Distans som ${MODE[r.mode][0]}: ${r.decision === true ? 'godkänt' : r.decision === false ? 'avslaget' : 'inte avgjort'}${r.late ? ' (sen begäran)' : ''}`
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
    const modes = person.admit_modes || [];
    const key = JSON.stringify([modes, r, this.view.phase, this.view.commands]);
    if (card.actionsKey !== key) {
      card.actionsKey = key;
      const buttons = modes.map((mode) => this.commandButton({ type: 'admit', person_id: person.person_id, mode },
        admitLabel(mode), { cls: mode === 'deciding' ? 'ok admit' : 'admit', action: `admit-${mode}` }));
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

const admitLabel = (mode) => (mode === 'deciding'
  ? bi('Släpp in (beslutande)', 'admit, deciding') : bi('Släpp in (närvarande)', 'admit, attending'));

const badgeIcon = (state) => ({ ok: 'check', degraded: 'alert', hidden: 'alert', failed: 'cross', left: 'leave' }[state] || 'pause');

/** dBov (−127 silence … 0 loudest) to a 0–100 bar, speech around −40…−20 in the middle. */
function levelPercent(dbov) {
  if (typeof dbov !== 'number') return 0;
  return Math.max(0, Math.min(100, ((dbov + 70) / 60) * 100));
}

export function startDashboard(api) {
  injectStylesheet();
  document.body.classList.add('chair');
  const root = $('dashboard');
  root.hidden = false;
  const dashboard = new Dashboard(api, root);
  api.on((message) => dashboard.onMessage(message));
  // messages that arrived while this module was loading
  const latest = api.state.latest || {};
  for (const type of ['meeting-state', 'quality', 'procedure']) {
    if (latest[type]) dashboard.onMessage(latest[type]);
  }
  window.kvorumDashboard = dashboard;  // for tests and support staff
  return dashboard;
}
