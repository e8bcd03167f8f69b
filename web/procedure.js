// Kvorum: the member's side of the procedure (docs/protocol.md: the `procedure` message and the
// members' messages). meeting.js starts it with its api {state, send, on}. Shows the open item,
// who has the floor and the speaker list, the proposals, the question put and the vote, results
// and decisions; lets the member ask for the floor, propose, ask for a vote, vote, reserve,
// declare jäv and take a technical pause. What this person may do comes from the server's
// `you`; every refusal is the server's own sentence (message_sv, message_en).

import { $, bi, el, en, fill, icon, refill } from './lib/dom.js';
import { CHOICE, ITEM_STATUS } from './lib/labels.js';
import {
  alternatives, decisionBlock, itemHeading, itemNumber, proposalOf, proposalOwner, proposalsList,
  markSpeaker, openItem, outOfItem, questionSentence, resultBlock, secondsUntil, speakersBlock,
} from './lib/procedure.js';

// The members' messages this panel sends: their refusals are shown in the panel.
const MINE = new Set(['request-floor', 'withdraw-floor', 'propose', 'withdraw-proposal', 'request-vote',
  'vote', 'reserve', 'reservation-reason', 'declare-jav', 'my-technical-pause']);
const TICK_MS = 1000;

class MemberProcedure {
  constructor(api) {
    this.api = api;
    this.view = null;        // the latest `procedure` message
    this.keys = {};          // section -> what it was last drawn from (redrawn only on change)
    this.lastVoteId = null;  // to bring a newly opened vote into view once
    this.build();
    setInterval(() => this.tick(), TICK_MS);
  }

  get youId() { return this.view && this.view.you ? this.view.you.person_id : null; }

  /** Send a member's message; the button waits for the server's answer. */
  send(message, button = null) {
    if (button) button.disabled = true;
    this.pending = button;
    this.showError(null);
    this.api.send(message);
  }

  // -- the static frame ---------------------------------------------------------------------

  build() {
    this.root = $('procedure');
    this.notice = el('div', { class: 'proc-notice', role: 'status', hidden: true });
    this.item = el('div', { class: 'proc-item' });
    this.vote = el('section', { class: 'proc-vote', 'aria-labelledby': 'proc-vote-heading', hidden: true });
    this.floor = el('section', { class: 'proc-floor', 'aria-labelledby': 'proc-floor-heading', hidden: true });
    this.proposals = el('section', { class: 'proc-proposals', 'aria-labelledby': 'proc-proposals-heading', hidden: true });
    this.decided = el('section', { class: 'proc-decided', 'aria-labelledby': 'proc-decided-heading', hidden: true });
    this.mine = el('section', { class: 'proc-mine', 'aria-labelledby': 'proc-mine-heading' });
    this.error = el('p', { class: 'proc-error', role: 'alert' });

    // the proposal form is built once, so that typing is never interrupted by a redraw
    this.proposalText = el('textarea', { id: 'proposal-text', rows: 3, maxlength: 4000 });
    this.proposalForm = el('form', { class: 'proposal-form', hidden: true },
      el('label', { for: 'proposal-text' }, 'Ditt yrkande ', en('your proposal')),
      this.proposalText,
      el('button', { type: 'submit', class: 'propose' }, bi('Lägg yrkande', 'propose')));
    this.proposalForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = this.proposalText.value.trim();
      if (!text) return;
      this.sentProposal = text;
      this.send({ type: 'propose', text }, e.submitter || null);
    });

    fill(this.root, this.error, this.notice, this.item, this.vote, this.floor, this.proposals,
      this.decided, this.mine);

    // "Begär ordet" in the controls bar: always at hand, like the microphone
    this.floorButton = $('floor');
    this.floorButton.addEventListener('click', () => {
      const you = this.view && this.view.you;
      if (!you) return;
      this.send({ type: you.on_list ? 'withdraw-floor' : 'request-floor' }, this.floorButton);
    });
  }

  // -- messages -----------------------------------------------------------------------------

  onMessage(message) {
    switch (message.type) {
      case 'procedure':
        this.view = message;
        this.render();
        break;
      case 'done':
        if (!MINE.has(message.ref)) break;
        if (message.ref === 'propose' && this.proposalText.value.trim() === this.sentProposal) {
          this.proposalText.value = '';
        }
        this.release();
        break;
      case 'error':
        if (!MINE.has(message.ref)) break;
        this.showError(message);
        this.release();
        break;
      default:
        break;
    }
  }

  /** The answer came: buttons are drawn again from the view (which may not have changed). */
  release() {
    if (this.pending) this.pending.disabled = false;
    this.pending = null;
    this.keys = {};
    this.render();
  }

  showError(message) {
    if (!message) { fill(this.error); return; }
    fill(this.error, icon('stop'), ' ', el('strong', {}, message.message_sv || 'Det gick inte.'), ' ',
      en(message.message_en || ''));
  }

  tick() {
    if (!this.view) return;
    for (const span of this.root.querySelectorAll('[data-until]')) {
      const left = secondsUntil(span.dataset.until);
      span.textContent = left > 0 ? `${left} s` : 'tiden har gått ut';
    }
    this.render();  // the vote request button goes when the window closes
  }

  /** Redraw a section only when what it shows changed (a button replaced under the finger
   * loses its click). */
  changed(name, data) {
    const key = JSON.stringify(data);
    if (this.keys[name] === key) return false;
    this.keys[name] = key;
    return true;
  }

  // -- rendering ----------------------------------------------------------------------------

  render() {
    const v = this.view;
    if (!v) return;
    this.root.hidden = false;
    document.body.classList.add('has-procedure');
    // outside the item for jäv nothing of the meeting reaches this page: no stale last picture
    document.body.classList.toggle('outside-item', outOfItem(v));
    const you = v.you || {};
    const item = openItem(v);
    this.renderNotice(v, you);
    this.renderItem(v, item);
    this.renderFloorButton(v, you, item);
    this.renderVote(v, you, item);
    this.renderFloor(v, you, item);
    this.renderProposals(v, you, item);
    this.renderDecided(v, you);
    this.renderMine(v, you);
    markSpeaker(item);
  }

  renderNotice(v, you) {
    const data = [outOfItem(v) ? v.item : null, v.adjournment, you.adjournment_group, you.deciding,
      you.paused, you.present, v.phase];
    if (!this.changed('notice', data)) return;
    const parts = [];
    let kind = '';
    if (outOfItem(v)) {
      kind = 'jav';
      parts.push(el('h2', {}, bi('Du är utanför sammanträdet under detta ärende', 'You are outside the meeting for this item')),
        el('p', {}, `Du har jäv i § ${itemNumber(v, v.item.item_id)} ${v.item.title}. Under ärendet ser och hör du inte `,
          'sammanträdet och syns och hörs inte själv. Du släpps in igen av dig själv när ärendet är avslutat; ',
          'låt sidan vara öppen.'),
        el('p', {}, en('You have a conflict of interest in this item: you neither see nor hear the meeting, nor are seen or heard, until it is closed. You are let back in automatically.')));
    } else if (v.adjournment) {
      kind = 'adjourned';
      const group = typeof you.adjournment_group === 'number' ? v.adjournment.groups[you.adjournment_group] : null;
      parts.push(el('h2', {}, bi('Sammanträdet är ajournerat', 'The meeting is adjourned')),
        v.adjournment.reason ? el('p', {}, v.adjournment.reason) : null,
        group
          ? el('p', { class: 'group' }, 'Du är i partigruppen ', el('strong', {}, group.join(', ')),
            '. Du ser och hör bara gruppens ledamöter tills ordföranden återupptar sammanträdet. ',
            en(`You are in the party group ${group.join(', ')}: you see and hear only its members until the chair resumes.`))
          : el('p', { class: 'group' }, 'Du hör inte till någon partigrupp: du ser och hör ingen tills ordföranden återupptar sammanträdet. ',
            en('You belong to no party group: you see and hear nobody until the chair resumes.')));
    } else if (you.paused) {
      kind = 'paused';
      parts.push(el('p', {}, el('strong', {}, 'Du har teknisk paus. '),
        you.deciding || you.present ? 'Inga beslut fattas medan en beslutande har teknisk paus. ' : '',
        'Avsluta pausen när du är tillbaka. ', en('You are on a technical pause.')));
    } else if (v.phase === 'scheduled') {
      parts.push(el('p', {}, 'Ordföranden har inte öppnat sammanträdet ännu. ', en('The chair has not opened the meeting yet.')));
    }
    this.notice.hidden = !parts.length;
    this.notice.dataset.kind = kind;
    fill(this.notice, ...parts);
  }

  renderItem(v, item) {
    const data = [item && [item.item_id, item.title, item.kind, item.status, item.draft], v.agenda, outOfItem(v)];
    if (!this.changed('item', data)) return;
    if (outOfItem(v)) { fill(this.item); return; }
    const agenda = el('details', { class: 'proc-agenda' },
      el('summary', {}, bi(`Föredragningslistan (${(v.agenda || []).length} ärenden)`, 'the agenda')),
      el('ol', {}, (v.agenda || []).map((i) => {
        const [sv] = ITEM_STATUS[i.status] || [i.status];
        return el('li', { dataset: { item: i.item_id, status: i.status } }, i.title, ' ', el('span', { class: 'muted' }, `(${sv.toLowerCase()})`));
      })));
    if (this.agendaOpen) agenda.open = true;
    agenda.addEventListener('toggle', () => { this.agendaOpen = agenda.open; });
    if (!item) {
      fill(this.item, el('h2', {}, bi('Inget ärende är öppet', 'No item is open')), agenda);
      return;
    }
    fill(this.item,
      el('p', { class: 'proc-eyebrow' }, `Ärende ${itemNumber(v, item.item_id)} av ${(v.agenda || []).length}`, ' ', en('current item')),
      itemHeading(v, item, 'h2'),
      item.draft ? el('p', { class: 'draft' }, el('span', { class: 'muted' }, 'Förslag till beslut: '), item.draft) : null,
      agenda);
  }

  /** The controls bar's "Begär ordet": pressed while on the list; gone when it cannot be used. */
  renderFloorButton(v, you, item) {
    const usable = Boolean(item && !item.deliberation_ended && you.present && !you.jav && v.phase === 'open');
    const data = [usable, you.on_list, you.speaking];
    if (!this.changed('floorButton', data)) return;
    const b = this.floorButton;
    b.hidden = !usable;
    b.disabled = Boolean(you.speaking);
    b.setAttribute('aria-pressed', String(Boolean(you.on_list)));
    fill(b, icon('hand'), el('span', {}, 'Begär ordet'), you.speaking || you.on_list
      ? el('span', { class: 'toggle-state', 'aria-hidden': 'true' }, you.speaking ? 'du har ordet' : 'väntar') : null);
    b.title = you.on_list ? 'Tryck igen för att återta begäran / press again to withdraw' : 'Request the floor';
  }

  renderFloor(v, you, item) {
    this.floor.hidden = !item;
    if (!item) return;
    const s = item.speakers || {};
    const data = [s, you.on_list, you.speaking, item.deliberation_ended, you.present, this.youId];
    if (!this.changed('floor', data)) return;
    const mine = (s.queue || []).find((q) => q.person_id === this.youId);
    const buttons = [];
    if (!item.deliberation_ended && you.present) {
      if (!you.on_list && !you.speaking) {
        buttons.push(el('button', { type: 'button', class: 'ghost request-floor', dataset: { action: 'request-floor' },
          onclick: (e) => this.send({ type: 'request-floor' }, e.currentTarget) }, bi('Begär ordet', 'request the floor')));
      }
      if (!mine && s.current && s.current.person_id !== this.youId) {
        buttons.push(el('button', { type: 'button', class: 'ghost request-reply', dataset: { action: 'request-reply' },
          onclick: (e) => this.send({ type: 'request-floor', reply: true }, e.currentTarget) },
        bi('Begär replik', 'ask to reply')));
      }
      if (mine) {
        buttons.push(el('button', { type: 'button', class: 'ghost withdraw-floor', dataset: { action: 'withdraw-floor' },
          onclick: (e) => this.send({ type: 'withdraw-floor' }, e.currentTarget) }, bi('Återta begäran', 'withdraw')));
      }
    }
    fill(this.floor,
      el('h3', { id: 'proc-floor-heading' }, bi('Ordet och talarlistan', 'the floor and the speaker list')),
      speakersBlock(item, { youId: this.youId }),
      item.deliberation_ended ? el('p', { class: 'muted' }, 'Överläggningen är avslutad. ', en('Deliberation has ended.')) : null,
      buttons.length ? el('div', { class: 'proc-buttons' }, buttons) : null);
  }

  renderProposals(v, you, item) {
    this.proposals.hidden = !item;
    if (!item) return;
    const mayPropose = Boolean(you.deciding && !item.deliberation_ended && v.phase === 'open');
    const data = [item.proposals, item.order, mayPropose, you.deciding, item.deliberation_ended, this.youId];
    if (!this.changed('proposals', data)) return;
    const withdraw = (p) => (p.author === this.youId && !p.withdrawn && !(item.order || []).length
      ? el('button', { type: 'button', class: 'ghost small', dataset: { action: 'withdraw-proposal' },
        onclick: (e) => this.send({ type: 'withdraw-proposal', proposal_id: p.proposal_id }, e.currentTarget) },
      bi('Återta yrkandet', 'withdraw')) : null);
    this.proposalForm.hidden = !mayPropose;
    fill(this.proposals,
      el('h3', { id: 'proc-proposals-heading' }, bi('Yrkanden', 'proposals')),
      proposalsList(item, withdraw),
      this.proposalForm,
      you.deciding ? null : el('p', { class: 'hint observer' },
        'Du deltar utan beslutanderätt i detta ärende: du kan begära ordet men inte yrka eller rösta. ',
        en('You take part without a vote in this item: you may speak but not propose or vote.')));
  }

  /** The question put, the window for asking for a vote, the vote itself and its result. */
  renderVote(v, you, item) {
    const q = item && item.question;
    const vote = item && item.vote;
    const results = item ? item.results || [] : [];
    const visible = Boolean(q || vote || results.length || (item && item.voided && item.voided.length));
    this.vote.hidden = !visible;
    if (!visible) { this.keys.vote = null; return; }
    const windowOpen = Boolean(q && !q.decided && !q.vote_id && secondsUntil(q.closes_at) > 0);
    const requestedByMe = Boolean(q && (q.requested_by || []).some((p) => p && p.person_id === this.youId));
    const data = [q, vote, results, item.voided, item.decision, windowOpen, requestedByMe, you.deciding, you.may_vote,
      this.youId, item.proposals, item.reservations, you.reservable];
    if (!this.changed('vote', data)) return;

    const parts = [el('h3', { id: 'proc-vote-heading' }, vote ? bi('Omröstning pågår', 'a vote is in progress')
      : bi('Proposition och beslut', 'the question and the decision'))];
    if (q && !vote) {
      parts.push(el('p', { class: 'question' }, questionSentence(item, q)), alternatives(item, q));
      if (!q.decided && q.finding) {
        parts.push(el('p', { class: 'finding' }, 'Ordföranden finner att nämnden bifaller ',
          el('strong', {}, proposalOwner(proposalOf(item, q.finding))), '. ', en('The chair finds for this one.')));
      }
      if ((q.requested_by || []).length) {
        parts.push(el('p', { class: 'requested' }, 'Votering begärd av ',
          q.requested_by.map((p) => p.name).join(', '), '. ', en('A vote has been requested.')));
      }
      if (windowOpen && q.nej && you.deciding && !requestedByMe) {
        parts.push(el('div', { class: 'proc-buttons' },
          el('button', { type: 'button', class: 'request-vote', dataset: { action: 'request-vote' },
            onclick: (e) => this.send({ type: 'request-vote' }, e.currentTarget) }, bi('Begär votering', 'ask for a vote')),
          el('span', { class: 'countdown' }, 'Tid kvar: ', el('span', { dataset: { until: q.closes_at } },
            `${secondsUntil(q.closes_at)} s`))));
      }
    }
    if (vote) parts.push(...this.voteParts(item, vote, you));
    for (const voided of item.voided || []) {
      parts.push(el('p', { class: 'voided' }, el('strong', {}, 'En omröstning gjordes ogiltig: '), voided.message_sv, ' ',
        en(voided.message_en)));
    }
    for (const result of results) parts.push(resultBlock(item, result, { youId: this.youId }));
    parts.push(decisionBlock(item), ...this.reservationParts(item, you));
    refill(this.vote, ...parts);
    if (vote && vote.vote_id !== this.lastVoteId) {
      this.lastVoteId = vote.vote_id;
      this.vote.scrollIntoView({ block: 'nearest' });
    }
  }

  voteParts(item, vote, you) {
    const answered = (vote.voters || []).filter((x) => x.voted).length;
    const parts = [alternatives(item, vote),
      el('p', { class: 'progress' }, `${answered} av ${(vote.voters || []).length} har röstat. `,
        en(`${answered} of ${(vote.voters || []).length} have voted.`))];
    if (vote.secret) {
      parts.push(el('p', {}, 'Sluten omröstning: valsedlarna lämnas och räknas utanför Kvorum. ',
        en('Secret ballot: cast and counted outside Kvorum.')));
    } else if (vote.my_vote) {
      const [sv, english] = CHOICE[vote.my_vote] || [vote.my_vote, ''];
      parts.push(el('p', { class: 'my-vote', role: 'status', dataset: { choice: vote.my_vote } }, icon('check'), ' ',
        el('strong', {}, `Din röst är registrerad: ${sv}.`), ' ', en(`Your vote is recorded: ${english}.`)));
    } else if (you.may_vote) {
      parts.push(el('p', { class: 'vote-prompt' }, el('strong', {}, 'Rösta nu: '), 'ja, nej eller avstår. ',
        en('Vote now.')),
      el('div', { class: 'vote-buttons', role: 'group', 'aria-label': 'Din röst' },
        ['ja', 'nej', 'avstår'].map((choice) => el('button', {
          type: 'button', class: `vote-choice choice-${choice === 'avstår' ? 'avstar' : choice}`, dataset: { choice },
          onclick: (e) => {
            for (const b of this.vote.querySelectorAll('.vote-choice')) b.disabled = true;
            this.send({ type: 'vote', choice }, e.currentTarget);
          },
        }, bi(CHOICE[choice][0], CHOICE[choice][1])))));
    } else if ((vote.voters || []).some((x) => x.person_id === this.youId)) {
      parts.push(el('p', { class: 'muted' }, 'Du kan inte rösta just nu. ', en('You cannot vote right now.')));
    } else {
      parts.push(el('p', { class: 'muted' }, 'Du röstar inte i denna omröstning. ', en('You do not vote in this one.')));
    }
    return parts;
  }

  /** Earlier decisions of the meeting, and a reservation against each this person may make. */
  renderDecided(v, you) {
    const decided = v.decided || [];
    this.decided.hidden = !decided.length;
    const data = [decided.map((d) => [d.item_id, d.decision, d.reservations, d.results]), you.reservable, this.youId];
    if (!this.changed('decided', data)) return;
    refill(this.decided,
      el('h3', { id: 'proc-decided-heading' }, bi('Fattade beslut', 'decisions taken')),
      el('ol', { class: 'decided-list' }, decided.map((item) => {
        return el('li', { dataset: { item: item.item_id } }, itemHeading(v, item, 'h4'), decisionBlock(item),
          this.reservationParts(item, you));
      })));
  }

  /** Who reserved against the decision; the form to reserve (when the server says this person
   * may), or to hand in the written reason later. */
  reservationParts(item, you) {
    if (!item.decision) return [];
    const list = item.reservations || [];
    const mine = list.find((r) => r.person_id === this.youId);
    return [
      list.length ? el('p', { class: 'reservations' }, 'Reservationer: ', list.map((r) => r.name).join(', '), ' ',
        en('reservations')) : null,
      (you.reservable || []).includes(item.item_id) ? this.reserveForm(item) : null,
      mine ? el('p', { class: 'my-reservation', role: 'status' }, icon('check'), ' Din reservation är antecknad',
        mine.reason ? `: ”${mine.reason}”` : '', '. ', en('Your reservation is recorded.')) : null,
      mine && !mine.reason ? this.reasonForm(item) : null,
    ];
  }

  reserveForm(item) {
    const id = `reserve-reason-${item.item_id}`;
    const reason = el('textarea', { id, rows: 2, maxlength: 4000 });
    const form = el('form', { class: 'reserve-form', dataset: { item: item.item_id } },
      el('p', { class: 'hint' }, 'Du röstade emot beslutet och kan reservera dig. ',
        en('You voted against the decision and may reserve.')),
      el('label', { for: id }, 'Skäl (frivilligt) ', en('reason, optional')), reason,
      el('button', { type: 'submit', class: 'reserve' }, bi('Reservera mig', 'reserve')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send({ type: 'reserve', item_id: item.item_id, reason: reason.value.trim() }, e.submitter || null);
    });
    return form;
  }

  reasonForm(item) {
    const id = `reservation-reason-${item.item_id}`;
    const reason = el('textarea', { id, rows: 2, maxlength: 4000, required: true });
    const form = el('form', { class: 'reason-form', dataset: { item: item.item_id } },
      el('label', { for: id }, 'Skriftlig motivering till din reservation ', en('written reason for your reservation')),
      reason, el('button', { type: 'submit' }, bi('Lämna motiveringen', 'hand in the reason')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!reason.value.trim()) return;
      this.send({ type: 'reservation-reason', item_id: item.item_id, reason: reason.value.trim() }, e.submitter || null);
    });
    return form;
  }

  /** This person's own: technical pause, and jäv for the open or a later item. */
  renderMine(v, you) {
    const items = (v.agenda || []).filter((i) => i.status === 'pending' || i.status === 'open');
    const data = [you.paused, you.present, you.jav, items.map((i) => [i.item_id, i.title, i.status]), you.role, v.phase];
    if (!this.changed('mine', data)) return;
    const parts = [el('h3', { id: 'proc-mine-heading' }, bi('Ditt deltagande', 'your participation'))];
    if (you.present && v.phase !== 'closed') {
      parts.push(el('button', { type: 'button', class: 'ghost technical-pause', 'aria-pressed': String(Boolean(you.paused)),
        dataset: { action: 'technical-pause' },
        onclick: (e) => this.send({ type: 'my-technical-pause', on: !you.paused }, e.currentTarget) },
      icon('pause'), ' ', you.paused ? bi('Avsluta teknisk paus', 'end technical pause') : bi('Teknisk paus', 'technical pause')));
    }
    if (items.length && you.role !== 'ordförande' && v.phase !== 'closed') {
      const select = el('select', { id: 'jav-item' }, items.map((i) => el('option', { value: i.item_id },
        `§ ${itemNumber(v, i.item_id)} ${i.title}${i.status === 'open' ? ' (pågår)' : ''}`)));
      const reason = el('input', { id: 'jav-reason', maxlength: 500 });
      const confirm = el('button', { type: 'submit', class: 'ghost declare-jav' }, bi('Anmäl jäv', 'declare a conflict of interest'));
      const form = el('form', { class: 'jav-form' },
        el('label', { for: 'jav-item' }, 'Jäv i ärende ', en('conflict of interest in')), select,
        el('label', { for: 'jav-reason' }, 'Skäl (frivilligt) ', en('reason, optional')), reason, confirm);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        if (!confirm.classList.contains('confirm')) {  // a second press, as on the chair's page
          confirm.classList.add('confirm');
          fill(confirm, bi('Bekräfta: anmäl jäv', 'press again to confirm'));
          setTimeout(() => { this.keys.mine = null; this.render(); }, 5000);
          return;
        }
        this.send({ type: 'declare-jav', item_id: select.value, reason: reason.value.trim() }, confirm);
      });
      parts.push(el('details', { class: 'jav' }, el('summary', {}, bi('Jäv', 'conflict of interest')),
        el('p', { class: 'hint' }, 'Med jäv ser och hör du inte sammanträdet under ärendet och räknas inte; en ersättare kan tjänstgöra. ',
          en('With a conflict of interest you are outside the meeting for the item.')), form));
    }
    refill(this.mine, ...parts);
  }
}

export function startProcedure(api) {
  const panel = new MemberProcedure(api);
  api.on((message) => panel.onMessage(message));
  if (api.state.latest && api.state.latest.procedure) panel.onMessage(api.state.latest.procedure);
  window.kvorumProcedure = panel;  // for tests and support staff
  return panel;
}
