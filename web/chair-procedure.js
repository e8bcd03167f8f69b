// Kvorum: the chair's card for the procedure, part of the dashboard (chair.js). From the
// `procedure` message (the item, speakers, proposals, question, vote, results) and the
// dashboard's `meeting-state.procedure` (the equal-terms check, each answer while the vote is
// open, the guard's answer): agenda items opened and closed in order, the speaker list, the
// proposals, the end of deliberation with the check, the proposition order, the question, the
// vote (answers of people in the room, the chair last, casting vote, a secret ballot's tally),
// the decision, tabling, jäv and adjournment. Each button sends one message
// (docs/protocol.md); every refusal is shown in the server's words, with its way forward.

import { bi, el, en, fill, icon, refill } from './lib/dom.js';
import { clock } from './lib/format.js';
import { CHOICE, INTERRUPTION, ITEM_STATUS } from './lib/labels.js';
import {
  alternatives, decisionBlock, itemHeading, itemNumber, proposalOf, proposalOwner, proposalsList,
  markSpeaker, openItem, questionSentence, resultBlock, secondsUntil, speakersBlock,
} from './lib/procedure.js';

// The messages whose refusals this card shows (with the way forward, e.g. tabling).
const HANDLED = new Set(['open-item', 'close-item', 'table-item', 'give-floor', 'allow-reply', 'state-draft',
  'end-deliberation', 'reopen-deliberation', 'confirm-equal-terms', 'set-proposition-order', 'put-question',
  'start-vote', 'close-vote', 'decide', 'adjourn', 'end-adjournment', 'request-floor', 'withdraw-floor',
  'propose', 'withdraw-proposal', 'request-vote', 'vote', 'declare-jav']);

export class ChairProcedure {
  constructor(dashboard) {
    this.d = dashboard;
    this.view = null;     // the latest `procedure` message (the chair's own view)
    this.keys = {};
    this.order = null;    // the proposition order being arranged: {itemId, ids}
    this.refusal = null;  // the last refusal of a procedure message
    this.root = el('section', { class: 'chair-procedure card', 'aria-labelledby': 'chair-procedure-heading' });
    this.sections = {};
    for (const name of ['refusal', 'agenda', 'floor', 'proposals', 'check', 'question', 'vote', 'jav', 'adjourn']) {
      this.sections[name] = el('div', { class: `cp-${name}` });
    }
    fill(this.root, el('h2', { id: 'chair-procedure-heading' }, bi('Ärenden och beslut', 'items and decisions')),
      ...Object.values(this.sections));
    this.sections.refusal.setAttribute('role', 'alert');
    setInterval(() => this.tick(), 1000);
  }

  /** Does this card show the refusal of a message of this type? */
  handles(ref) { return HANDLED.has(ref); }

  get detail() { return (this.d.view && this.d.view.procedure) || {}; }
  get me() { return this.d.api.state.welcome ? this.d.api.state.welcome.person_id : null; }

  onView(message) {
    this.view = message;
    this.render();
  }

  onAnswer(message) {
    if (!HANDLED.has(message.ref)) return;
    if (message.type === 'error') this.refusal = message;
    else if (message.type === 'done') this.refusal = null;
    this.keys.refusal = null;
  }

  /** Everything is drawn again on the next render (a button waiting for an answer). */
  invalidate() { this.keys = {}; }

  tick() {
    for (const span of this.root.querySelectorAll('[data-until]')) {
      const left = secondsUntil(span.dataset.until);
      span.textContent = left > 0 ? `${left} s` : 'tiden har gått ut';
    }
    if (this.view) this.render();
  }

  /** Draw a section again only when its data changed, keeping what was typed in its fields. */
  draw(name, data, build) {
    const key = JSON.stringify([data, this.d.view && this.d.view.commands, this.d.confirming && this.d.confirming.key]);
    if (this.keys[name] === key) return;
    this.keys[name] = key;
    refill(this.sections[name], build());
  }

  button(message, sv, english, opts = {}) {
    return this.d.commandButton(message, bi(sv, english), { cls: opts.cls || '', action: opts.action || message.type,
      disabled: opts.disabled });
  }

  people() { return (this.d.view && this.d.view.people) || []; }
  person(id) { return this.people().find((p) => p.person_id === id) || null; }

  /** People in the room: the chair puts them on the list and records what they say. */
  inRoom({ deciding = false } = {}) {
    const counted = new Set(this.detail.deciding || []);
    return this.people().filter((p) => p.presence === 'room' && (!deciding || counted.has(p.person_id)));
  }

  personSelect(id, people, label) {
    return [el('label', { for: id, class: 'sr-only' }, label),
      el('select', { id }, people.map((p) => el('option', { value: p.person_id }, p.name)))];
  }

  // -- rendering ----------------------------------------------------------------------------

  render() {
    const v = this.view;
    if (!v || !this.d.view) return;
    const item = openItem(v);
    markSpeaker(item);
    this.renderRefusal(item);
    this.renderAgenda(v, item);
    for (const name of ['floor', 'proposals', 'check', 'question', 'vote', 'jav']) this.sections[name].hidden = !item;
    // once deliberation has ended the list is closed: the floor goes, the proposals fold away
    if (item && item.deliberation_ended) this.sections.floor.hidden = true;
    // during a vote its alternatives say what the proposals are, and nothing else may be done
    if (item && item.vote) this.sections.proposals.hidden = true;
    if (item) {
      this.renderFloor(item);
      this.renderProposals(item);
      this.renderCheck(item);
      this.renderQuestion(item);
      this.renderVote(item);
      this.renderJav(item);
    }
    this.renderAdjourn(v);
  }

  renderRefusal(item) {
    const r = this.refusal;
    this.draw('refusal', [r, item && item.item_id], () => {
      if (!r) return null;
      const offer = r.offer === 'table-item' && item
        ? this.d.twoStepButton('offer-table', 'Bordlägg ärendet', 'table the item', 'danger offer-table',
          { type: 'table-item', item_id: item.item_id, reason: r.message_sv.slice(0, 500) }, { action: 'offer-table' })
        : null;
      return el('div', { class: 'cp-refused' }, icon('stop', { cls: 'block-icon' }),
        el('div', {}, el('strong', {}, r.message_sv || 'Det gick inte.'), ' ', en(r.message_en || ''),
          offer ? el('p', { class: 'hint' }, 'Ärendet kan bordläggas till ett senare sammanträde. ',
            en('The item may be tabled to a later meeting.')) : null, offer),
        el('button', { type: 'button', class: 'ghost small', 'aria-label': 'Stäng meddelandet',
          onclick: () => { this.refusal = null; this.keys.refusal = null; this.render(); } }, icon('cross')));
    });
  }

  renderAgenda(v, item) {
    const phase = this.d.view.phase;
    const next = (v.agenda || []).find((i) => i.status === 'pending');
    const decided = new Map((v.decided || []).map((d) => [d.item_id, d]));
    this.draw('agenda', [v.agenda, item && item.item_id, phase, v.adjournment, item && item.vote,
      [...decided.values()].map((d) => [d.decision, d.reservations])], () => {
      const list = el('ol', { class: 'cp-agenda-list' }, (v.agenda || []).map((i) => {
        const [sv, english] = ITEM_STATUS[i.status] || [i.status, ''];
        const d = decided.get(i.item_id);
        return el('li', { dataset: { item: i.item_id, status: i.status } },
          el('span', { class: 'cp-item-title' }, i.title),
          el('span', { class: `status-pill s-${i.status}` }, sv, ' ', en(english)),
          d && d.decision ? el('div', { class: 'cp-item-decision' }, 'Beslut: ', d.decision.text) : null,
          d ? reservationsLine(d) : null);
      }));
      const buttons = [];
      if (item) {
        buttons.push(this.d.twoStepButton(`close-${item.item_id}`, 'Avsluta ärendet', 'close the item', 'ghost close-item',
          { type: 'close-item', item_id: item.item_id }, { action: 'close-item' }));
      } else if (next && phase === 'open') {
        buttons.push(this.button({ type: 'open-item', item_id: next.item_id },
          `Öppna § ${itemNumber(v, next.item_id)}: ${next.title}`, 'open the next item', { cls: 'ok open-item' }));
      }
      // the reason is read when the second press sends the message
      const reason = item ? el('input', { id: 'table-reason', maxlength: 500 }) : null;
      const table = item ? el('form', { class: 'cp-table-form', onsubmit: (e) => e.preventDefault() },
        el('label', { for: 'table-reason' }, 'Skäl för bordläggning ', en('reason for tabling')), reason,
        this.d.twoStepButton(`table-${item.item_id}`, 'Bordlägg ärendet', 'table the item', 'ghost table-item',
          { type: 'table-item', item_id: item.item_id, get reason() { return reason.value.trim(); } },
          { action: 'table-item' })) : null;
      if (item && item.vote) return itemHeading(v, item, 'h3');  // nothing to close or table now
      return [
        item ? itemHeading(v, item, 'h3') : el('h3', {}, bi('Inget ärende är öppet', 'no item is open')),
        item && item.draft ? el('p', { class: 'draft' }, el('span', { class: 'muted' }, 'Förslag till beslut: '), item.draft) : null,
        el('div', { class: 'proc-buttons' }, buttons),
        table ? el('details', { class: 'cp-more' }, el('summary', {}, bi('Bordläggning', 'tabling')), table) : null,
        el('details', { class: 'cp-more agenda-details' }, el('summary', {},
          bi(`Föredragningslistan (${(v.agenda || []).length} ärenden)`, 'the agenda')), list),
      ];
    });
  }

  renderFloor(item) {
    const room = this.inRoom();
    this.draw('floor', [item.speakers, item.deliberation_ended, room.map((p) => p.person_id)], () => {
      const extra = (s) => el('span', { class: 'cp-row-buttons' },
        s.reply && !s.allowed ? this.button({ type: 'allow-reply', person_id: s.person_id }, 'Medge replik', 'allow the reply',
          { cls: 'small ok', action: 'allow-reply' }) : null,
        this.button({ type: 'give-floor', person_id: s.person_id }, 'Ge ordet', 'give the floor',
          { cls: 'small give-floor', action: 'give-floor', disabled: s.reply && !s.allowed }),
        this.button({ type: 'withdraw-floor', person_id: s.person_id }, 'Stryk', 'remove',
          { cls: 'small ghost', action: 'withdraw-floor' }));
      const add = !item.deliberation_ended && room.length ? el('form', { class: 'cp-inline', onsubmit: (e) => e.preventDefault() },
        ...this.personSelect('floor-person', room, 'Person i rummet'),
        el('button', { type: 'button', class: 'ghost add-speaker', dataset: { action: 'add-speaker' },
          onclick: (e) => this.d.command({ type: 'request-floor', person_id: e.currentTarget.form.querySelector('select').value },
            e.currentTarget) }, bi('Sätt upp på talarlistan', 'add to the list'))) : null;
      return [el('h3', {}, bi('Talarlistan', 'speaker list')), speakersBlock(item, { extra }), add];
    });
  }

  renderProposals(item) {
    const deciding = this.inRoom({ deciding: true });
    const hasDraft = (item.proposals || []).some((p) => p.draft && !p.withdrawn);
    this.draw('proposals', [item.proposals, item.order, item.deliberation_ended, item.draft, deciding.map((p) => p.person_id)], () => {
      const withdraw = (p) => (!p.withdrawn && !(item.order || []).length
        ? this.button({ type: 'withdraw-proposal', proposal_id: p.proposal_id }, 'Stryk', 'withdraw',
          { cls: 'small ghost', action: 'withdraw-proposal' }) : null);
      if (item.deliberation_ended) {
        return el('details', { class: 'cp-more' }, el('summary', {},
          bi(`Yrkanden (${(item.proposals || []).filter((p) => !p.withdrawn).length})`, 'proposals')), proposalsList(item));
      }
      const parts = [el('h3', {}, bi('Yrkanden', 'proposals')), proposalsList(item, withdraw)];
      {
        if (!hasDraft) {
          parts.push(el('form', { class: 'cp-draft', onsubmit: (e) => e.preventDefault() },
            item.draft ? null : [el('label', { for: 'draft-text' }, 'Förslag till beslut ', en('the draft decision')),
              el('textarea', { id: 'draft-text', rows: 2, maxlength: 4000 })],
            el('button', { type: 'button', class: 'ok state-draft', dataset: { action: 'state-draft' },
              onclick: (e) => {
                const text = e.currentTarget.form.querySelector('textarea');
                this.d.command({ type: 'state-draft', ...(text ? { text: text.value.trim() } : {}) }, e.currentTarget);
              } }, bi('Förslaget till beslut som huvudförslag', 'state the draft as the main proposal'))));
        }
        if (deciding.length) {
          parts.push(el('details', { class: 'cp-more cp-room-proposal-details' },
            el('summary', {}, bi('Yrkande från någon i rummet', 'a proposal made in the room')),
            el('form', { class: 'cp-room-proposal', onsubmit: (e) => e.preventDefault() },
              ...this.personSelect('proposal-person', deciding, 'Vem yrkar'),
              el('label', { for: 'room-proposal-text' }, 'Yrkandet ', en('the proposal')),
              el('textarea', { id: 'room-proposal-text', rows: 2, maxlength: 4000 }),
              el('button', { type: 'button', class: 'ghost', dataset: { action: 'room-propose' },
                onclick: (e) => {
                  const form = e.currentTarget.form;
                  const text = form.querySelector('textarea').value.trim();
                  if (text) this.d.command({ type: 'propose', text, person_id: form.querySelector('select').value }, e.currentTarget);
                } }, bi('Lägg yrkandet', 'record the proposal')))));
        }
        parts.push(el('div', { class: 'proc-buttons' }, this.button({ type: 'end-deliberation' }, 'Avsluta överläggningen',
          'end deliberation', { cls: 'end-deliberation' })));
      }
      return parts;
    });
  }

  /** After deliberation: has every deciding remote member been connected on equal terms? */
  renderCheck(item) {
    const check = this.detail.equal_terms;
    const show = item.deliberation_ended && !(item.order || []).length;
    this.draw('check', [show, check, item.equal_terms_confirmed, item.deliberation_ended], () => {
      if (!item.deliberation_ended) return null;
      const confirmed = item.equal_terms_confirmed;
      if (!show && confirmed) {
        return el('p', { class: 'cp-confirmed' }, icon('check'), ` Kontrollen bekräftad kl. ${clock(confirmed.at)}`,
          confirmed.ok ? '' : ' (med avbrott)', '. ', en('equal terms checked'));
      }
      const ok = check && check.ok;
      const list = check && !ok ? el('ul', { class: 'interruptions' }, check.interruptions.map((i) => {
        const [sv, english] = INTERRUPTION[i.what] || [i.what, ''];
        return el('li', {}, el('strong', {}, i.name || 'Sammanträdet'), `: ${sv}, kl. ${clock(i.at)} `, en(english));
      })) : null;
      return [el('h3', {}, bi('Innan frågan ställs', 'before the question is put')),
        el('div', { class: `equal-terms ${ok ? 'ok' : 'warn'}`, dataset: { ok: String(Boolean(ok)) } },
          icon(ok ? 'check' : 'alert'), ' ',
          ok ? el('span', {}, el('strong', {}, 'Alla beslutande på distans har varit anslutna på lika villkor sedan ärendet öppnades. '),
            en('Every deciding remote member has been connected on equal terms since the item opened.'))
            : el('span', {}, el('strong', {}, 'Avbrott sedan ärendet öppnades: '), 'pröva om alla har kunnat följa överläggningen. ',
              en('Interruptions since the item opened.'))),
        list,
        confirmed ? null : el('div', { class: 'proc-buttons' },
          this.button({ type: 'confirm-equal-terms' }, 'Bekräfta kontrollen', 'confirm the check', { cls: 'ok confirm-equal-terms' }),
          this.button({ type: 'reopen-deliberation' }, 'Återuppta överläggningen', 'reopen deliberation', { cls: 'ghost' })),
        confirmed ? this.orderEditor(item) : null];
    });
  }

  /** The proposition order: the main proposal first, then the others, arranged with arrows. */
  orderEditor(item) {
    const live = (item.proposals || []).filter((p) => !p.withdrawn).map((p) => p.proposal_id);
    if (!this.order || this.order.itemId !== item.item_id || this.order.ids.length !== live.length
        || !live.every((id) => this.order.ids.includes(id))) {
      const main = live.find((id) => proposalOf(item, id).draft) || live[0];
      this.order = { itemId: item.item_id, ids: [main, ...live.filter((id) => id !== main)] };
    }
    const ids = this.order.ids;
    const move = (i, by) => () => {
      [ids[i], ids[i + by]] = [ids[i + by], ids[i]];
      this.keys.check = null;
      this.render();
    };
    return [el('h3', {}, bi('Propositionsordning', 'proposition order')),
      el('p', { class: 'hint' }, 'Huvudförslaget först; med fler än två ställs de övriga mot varandra i denna ordning (kontraproposition). ',
        en('The main proposal first; with more than two the others are put against each other in this order.')),
      el('ol', { class: 'cp-order' }, ids.map((id, i) => el('li', { dataset: { proposal: id } },
        el('span', {}, el('strong', {}, proposalOwner(proposalOf(item, id))), ': ', proposalOf(item, id).text),
        el('span', { class: 'cp-row-buttons' },
          el('button', { type: 'button', class: 'ghost small', disabled: i === 0, 'aria-label': `Flytta upp ${proposalOwner(proposalOf(item, id))}`,
            onclick: move(i, -1) }, '↑'),
          el('button', { type: 'button', class: 'ghost small', disabled: i === ids.length - 1,
            'aria-label': `Flytta ned ${proposalOwner(proposalOf(item, id))}`, onclick: move(i, 1) }, '↓'))))),
      el('div', { class: 'proc-buttons' }, this.button({ type: 'set-proposition-order', order: [...ids] },
        'Fastställ propositionsordningen', 'set the order', { cls: 'ok set-order' }))];
  }

  /** The question: put it with the chair's finding; the window; a vote or the decision. */
  renderQuestion(item) {
    const q = item.question;
    const next = item.next_question;
    const windowOpen = Boolean(q && !q.decided && !q.vote_id && secondsUntil(q.closes_at) > 0);
    const room = this.inRoom({ deciding: true });
    const show = (item.order || []).length > 0 && !item.vote;
    this.sections.question.hidden = !show;
    this.draw('question', [show, q, next, windowOpen, item.proposals, item.results, item.voided, item.decision, item.kind,
      item.reservations,
      room.map((p) => p.person_id), this.detail.decision_block], () => {
      if (!show) return null;
      const parts = [el('h3', {}, bi('Proposition och beslut', 'the question and the decision'))];
      if (next && (!q || q.decided)) {
        const put = { stage: next.stage, ja: next.ja, nej: next.nej };
        parts.push(el('p', { class: 'question' }, questionSentence(item, put)), alternatives(item, put),
          el('p', { class: 'hint' }, 'Ställ frågan och säg vad du finner att nämnden beslutat. ',
            en('Put the question and say what you find the committee has decided.')),
          el('div', { class: 'proc-buttons' },
            this.button({ type: 'put-question', finding: next.ja }, `Jag finner: ja, ${proposalOwner(proposalOf(item, next.ja))}`,
              'I find for ja', { cls: 'put-question', action: 'put-question-ja' }),
            next.nej ? this.button({ type: 'put-question', finding: next.nej },
              `Jag finner: nej, ${proposalOwner(proposalOf(item, next.nej))}`, 'I find for nej',
              { cls: 'put-question', action: 'put-question-nej' }) : null));
      } else if (q && !q.decided) {
        parts.push(el('p', { class: 'question' }, questionSentence(item, q)), alternatives(item, q),
          el('p', { class: 'finding' }, 'Du fann: ', el('strong', {}, proposalOwner(proposalOf(item, q.finding))), '. ',
            en('your finding')));
        if ((q.requested_by || []).length) {
          parts.push(el('p', { class: 'requested' }, el('strong', {}, 'Votering begärd av '),
            q.requested_by.map((p) => p.name).join(', '), '. ', en('a vote was requested')));
        } else if (windowOpen) {
          parts.push(el('p', { class: 'countdown' }, 'Votering kan begäras i ', el('span', { dataset: { until: q.closes_at } },
            `${secondsUntil(q.closes_at)} s`), ' till. ', en('members may still ask for a vote')));
        }
        const buttons = [];
        if (q.nej && !q.vote_id) {
          buttons.push(this.button({ type: 'start-vote' }, 'Starta omröstning', 'start the vote', { cls: 'ok start-vote' }),
            this.button({ type: 'start-vote', secret: true }, 'Sluten omröstning', 'secret ballot',
              { cls: 'ghost start-secret', action: 'start-secret' }));
        }
        buttons.push(this.button({ type: 'decide' }, 'Fastställ beslutet', 'record the decision',
          { cls: 'decide', disabled: !q.vote_id && (windowOpen || (q.requested_by || []).length > 0) }));
        parts.push(el('div', { class: 'proc-buttons' }, buttons));
        if (q.nej && !q.vote_id && room.length && windowOpen) {
          parts.push(el('details', { class: 'cp-more' }, el('summary', {}, bi('Votering begärd i rummet', 'a vote asked for in the room')),
            el('form', { class: 'cp-inline', onsubmit: (e) => e.preventDefault() },
              ...this.personSelect('vote-request-person', room, 'Vem begär votering'),
              el('button', { type: 'button', class: 'ghost', dataset: { action: 'room-request-vote' },
                onclick: (e) => this.d.command({ type: 'request-vote', person_id: e.currentTarget.form.querySelector('select').value },
                  e.currentTarget) }, bi('Registrera begäran', 'record the request')))));
        }
      }
      for (const voided of item.voided || []) {
        parts.push(el('p', { class: 'voided' }, el('strong', {}, `Omröstningen kl. ${clock(voided.at)} är ogiltig: `),
          voided.message_sv, ' ', en(voided.message_en)));
      }
      for (const result of item.results || []) parts.push(resultBlock(item, result));
      if (q && q.vote_id && !q.decided && (item.results || []).some((r) => r.vote_id === q.vote_id)) {
        parts.push(el('div', { class: 'proc-buttons' }, this.button({ type: 'decide' }, 'Fastställ beslutet', 'record the decision',
          { cls: 'ok decide', action: 'decide-after-vote' })));
      }
      parts.push(decisionBlock(item), reservationsLine(item));
      return parts;
    });
  }

  /** The vote in progress: each voter's answer, the room's answers recorded by the chair,
   * the chair last; closing it (a tie: the casting vote; a secret ballot: the tally). */
  renderVote(item) {
    const vote = item.vote;
    this.sections.vote.hidden = !vote;
    const answers = this.detail.answers || {};
    this.draw('vote', [vote, answers, this.detail.vote_void, this.people().map((p) => [p.person_id, p.presence])], () => {
      if (!vote) return null;
      const me = this.me;
      const voters = vote.voters || [];
      const others = voters.filter((x) => x.person_id !== me);
      const waitingForOthers = others.some((x) => !(x.person_id in answers) && this.person(x.person_id)
        && this.person(x.person_id).presence !== 'absent');
      const rows = voters.map((x) => {
        const p = this.person(x.person_id) || {};
        const answer = answers[x.person_id];
        const room = p.presence === 'room';
        const chair = x.person_id === me;
        let cell;
        if (answer) cell = el('span', { class: `answer a-${answer === 'avstår' ? 'avstar' : answer}` }, CHOICE[answer][0]);
        else if (vote.secret) cell = el('span', { class: 'muted' }, '–');
        else if (room || chair) {
          cell = el('span', { class: 'cp-row-buttons' }, ['ja', 'nej', 'avstår'].map((choice) => el('button', {
            type: 'button', class: `small record-vote v-${choice === 'avstår' ? 'avstar' : choice}`,
            dataset: { action: 'record-vote', choice }, disabled: chair && waitingForOthers,
            'aria-label': `${p.name || x.name}: ${CHOICE[choice][0]}`,
            onclick: (e) => this.d.command(chair ? { type: 'vote', choice } : { type: 'vote', choice, person_id: x.person_id },
              e.currentTarget) }, CHOICE[choice][0])));
        } else cell = el('span', { class: 'muted waiting' }, 'väntar på svar ', en('waiting'));
        return el('tr', { dataset: { person: x.person_id, answered: String(Boolean(answer)) } },
          el('th', { scope: 'row' }, x.name, chair ? ' (du, röstar sist)' : ''),
          el('td', { class: 'where' }, room || chair ? 'i rummet' : 'på distans'),
          el('td', {}, cell));
      });
      const count = (c) => Object.values(answers).filter((a) => a === c).length;
      const allIn = !waitingForOthers && (me ? me in answers || !voters.some((x) => x.person_id === me) : true);
      const tie = allIn && count('ja') === count('nej') && item.kind !== 'election';
      const chairAbstained = me && answers[me] === 'avstår';
      const parts = [el('h3', {}, bi('Omröstning pågår', 'a vote is in progress')), alternatives(item, vote),
        el('p', { class: 'progress' }, `${Object.keys(answers).length} av ${voters.length} har svarat · Ja ${count('ja')} · Nej ${count('nej')} · Avstår ${count('avstår')}`)];
      if (this.detail.vote_void) {
        parts.push(el('p', { class: 'voided' }, el('strong', {}, 'Omröstningen är ogiltig: '), this.detail.vote_void.message_sv, ' ',
          en(this.detail.vote_void.message_en)));
      }
      parts.push(el('table', { class: 'votes-table cp-voters' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Namn'), el('th', { scope: 'col' }, 'Var'),
          el('th', { scope: 'col' }, 'Svar'))), el('tbody', {}, rows)));
      if (vote.secret) {
        parts.push(el('form', { class: 'cp-tally', onsubmit: (e) => e.preventDefault() },
          el('p', { class: 'hint' }, 'Sluten omröstning: räkna valsedlarna och ange antalet. ', en('Count the ballots.')),
          ['ja', 'nej', 'avstår'].map((c) => el('span', { class: 'tally-field' },
            el('label', { for: `tally-${c === 'avstår' ? 'avstar' : c}` }, CHOICE[c][0]),
            el('input', { id: `tally-${c === 'avstår' ? 'avstar' : c}`, type: 'number', min: 0, step: 1, inputmode: 'numeric' }))),
          el('button', { type: 'button', class: 'ok close-vote', dataset: { action: 'close-vote' },
            onclick: (e) => {
              const n = (c) => Number(e.currentTarget.form.querySelector(`#tally-${c === 'avstår' ? 'avstar' : c}`).value || 0);
              this.d.command({ type: 'close-vote', tally: { ja: n('ja'), nej: n('nej'), avstår: n('avstår') } }, e.currentTarget);
            } }, bi('Avsluta med rösträkningen', 'close with the count'))));
      } else if (tie && chairAbstained) {
        parts.push(el('p', { class: 'tie-break' }, 'Lika röstetal: du har utslagsröst. ', en('A tie: you have the casting vote.')),
          el('div', { class: 'proc-buttons' },
            this.button({ type: 'close-vote', casting: 'ja' }, 'Utslagsröst: ja', 'casting vote yes', { cls: 'ok', action: 'casting-ja' }),
            this.button({ type: 'close-vote', casting: 'nej' }, 'Utslagsröst: nej', 'casting vote no', { cls: 'ok', action: 'casting-nej' })));
      } else {
        if (tie) {
          parts.push(el('p', { class: 'tie-break' }, 'Lika röstetal: ordförandens röst avgör (utslagsröst). ',
            en('A tie: the chair’s vote decides.')));
        }
        if (allIn && count('ja') === count('nej') && item.kind === 'election') {
          parts.push(el('p', { class: 'tie-break' }, 'Lika röstetal i ett val: servern lottar och protokollför lottningen. ',
            en('A tie in an election: the server draws lots and records it.')));
        }
        parts.push(el('div', { class: 'proc-buttons' }, this.button({ type: 'close-vote' }, 'Avsluta omröstningen', 'close the vote',
          { cls: 'ok close-vote', disabled: !allIn })));
      }
      if (this.detail.vote_void) {
        parts.push(el('p', { class: 'hint' }, 'Avsluta inte: starta omröstningen igen när sammanträdet får besluta. ',
          en('Start the vote again once the meeting may decide.')),
        this.button({ type: 'start-vote' }, 'Starta omröstningen igen', 'start the vote again', { cls: 'restart-vote' }));
      }
      return parts;
    });
  }

  renderJav(item) {
    const candidates = this.people().filter((p) => p.presence !== 'absent' && p.role !== 'ordförande'
      && !(item.jav || []).some((j) => j.person_id === p.person_id));
    this.draw('jav', [item.jav, candidates.map((p) => p.person_id), item.item_id], () => [
      el('h3', {}, bi('Jäv', 'conflict of interest')),
      (item.jav || []).length ? el('p', {}, 'Jäv i ärendet: ', el('strong', {}, item.jav.map((j) => j.name).join(', ')),
        '. De är utanför sammanträdet tills ärendet avslutas; kalla in ersättare i deltagarlistan. ',
        en('Outside the meeting until the item closes.'))
        : el('p', { class: 'muted' }, 'Ingen har anmält jäv. ', en('No conflicts of interest declared.')),
      candidates.length ? el('details', { class: 'cp-more' }, el('summary', {}, bi('Registrera jäv', 'record a conflict of interest')),
        el('form', { class: 'cp-inline', onsubmit: (e) => e.preventDefault() },
          ...this.personSelect('jav-person', candidates, 'Vem har jäv'),
          el('label', { for: 'jav-note', class: 'sr-only' }, 'Skäl'),
          el('input', { id: 'jav-note', maxlength: 500, placeholder: 'Skäl (frivilligt)' }),
          el('button', { type: 'button', class: 'ghost record-jav', dataset: { action: 'record-jav' },
            onclick: (e) => {
              const form = e.currentTarget.form;
              this.d.command({ type: 'declare-jav', item_id: item.item_id, person_id: form.querySelector('select').value,
                reason: form.querySelector('input').value.trim() }, e.currentTarget);
            } }, bi('Registrera jäv', 'record'))))
        : null]);
  }

  renderAdjourn(v) {
    const parties = [...new Set(this.people().filter((p) => p.presence !== 'absent' && p.party).map((p) => p.party))];
    const phase = this.d.view.phase;
    const paused = (this.detail.paused || []).map((id) => (this.person(id) || { name: id }).name);
    this.draw('adjourn', [v.adjournment, parties, phase, paused], () => {
      const parts = [];
      if (paused.length) {
        parts.push(el('p', { class: 'cp-paused' }, icon('pause'), ' ', el('strong', {}, 'Teknisk paus: '), paused.join(', '),
          '. Inga beslut fattas under en beslutandes tekniska paus. ', en('technical pause: no decisions meanwhile')));
      }
      if (v.adjournment) {
        parts.push(el('h3', {}, bi('Ajournerat', 'adjourned')),
          el('p', {}, `Sedan kl. ${clock(v.adjournment.at)}. Partigrupper: `,
            el('strong', {}, v.adjournment.groups.length ? v.adjournment.groups.map((g) => g.join(' + ')).join(' · ') : 'inga'),
            v.adjournment.reason ? ` – ${v.adjournment.reason}` : ''),
          this.button({ type: 'end-adjournment' }, 'Återuppta sammanträdet', 'resume after the adjournment', { cls: 'ok end-adjournment' }));
      } else if (phase === 'open') {
        parts.push(el('details', { class: 'cp-more cp-adjourn-details' }, el('summary', {}, bi('Ajournering', 'adjournment')),
          el('form', { class: 'cp-adjourn', onsubmit: (e) => e.preventDefault() },
            el('label', { for: 'adjourn-groups' }, 'Partigrupper: partier i samma grupp med komma, grupper med semikolon ',
              en('party groups: commas within, semicolons between')),
            el('input', { id: 'adjourn-groups', value: parties.join('; '), maxlength: 400 }),
            el('label', { for: 'adjourn-reason' }, 'Skäl ', en('reason')),
            el('input', { id: 'adjourn-reason', value: 'Gruppöverläggning', maxlength: 500 }),
            el('button', { type: 'button', class: 'ghost adjourn', dataset: { action: 'adjourn' },
              onclick: (e) => {
                const form = e.currentTarget.form;
                const groups = form.querySelector('#adjourn-groups').value.split(';')
                  .map((g) => g.split(',').map((p) => p.trim()).filter(Boolean)).filter((g) => g.length);
                this.d.command({ type: 'adjourn', groups, reason: form.querySelector('#adjourn-reason').value.trim() }, e.currentTarget);
              } }, bi('Ajournera', 'adjourn')))));
      }
      return parts;
    });
  }
}

/** Who reserved against the item's decision, with their reasons. */
function reservationsLine(item) {
  const list = item.reservations || [];
  if (!list.length) return null;
  return el('p', { class: 'reservations' }, el('strong', {}, 'Reservationer: '),
    list.map((r) => `${r.name}${r.reason ? ` (${r.reason})` : ''}`).join('; '), ' ', en('reservations'));
}
