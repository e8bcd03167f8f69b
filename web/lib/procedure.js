// Kvorum: how the procedure is shown (the `procedure` message, docs/protocol.md), shared by the
// member's panel (web/procedure.js) and the chair's card (web/chair-procedure.js): the item's
// heading, the speaker list, the proposals, the question put, a vote's result, the decision.
// Only shows what the server sent; what a person may do is decided by the server (`you`).

import { bi, el, en } from './dom.js';
import { clock, genitive } from './format.js';
import { CHOICE, ITEM_KIND, METHOD, TIE_BREAK } from './labels.js';

/** Is this person outside the open item for jäv? (Then `item` is only {item_id, title, jav: true};
 * in the full view `jav` is the list of people with jäv.) */
export const outOfItem = (view) => Boolean(view.item && view.item.jav === true);

/** The open item as this person sees it, or null (none open, or they are outside it). */
export const openItem = (view) => (view.item && !outOfItem(view) ? view.item : null);

/** The item's number on the agenda (1, 2, ...) from its place in `agenda`. */
export function itemNumber(view, itemId) {
  const index = (view.agenda || []).findIndex((i) => i.item_id === itemId);
  return index < 0 ? '' : String(index + 1);
}

/** "§ 3 Budgetuppföljning" with the kind beside it when not a plain decision. */
export function itemHeading(view, item, tag = 'h2') {
  const [kindSv, kindEn] = ITEM_KIND[item.kind] || ['', ''];
  return el(tag, { class: 'item-heading' }, `§ ${itemNumber(view, item.item_id)} `, item.title,
    item.kind && item.kind !== 'decision' ? el('span', { class: 'item-kind' }, ` · ${kindSv} `, en(kindEn)) : null);
}

/** A proposal by id within its item. */
export const proposalOf = (item, id) => (item.proposals || []).find((p) => p.proposal_id === id) || null;

/** Whose proposal, in words: "förslaget till beslut" or "Karin Linds yrkande". */
export function proposalOwner(proposal) {
  if (!proposal) return 'okänt yrkande';
  if (proposal.draft) return 'förslaget till beslut';
  return proposal.author_name ? `${genitive(proposal.author_name)} yrkande` : 'yrkande';
}

/** One proposal: who, then its text. */
export function proposalLine(proposal, extra = null) {
  return el('li', { class: `proposal${proposal.withdrawn ? ' withdrawn' : ''}${proposal.draft ? ' draft' : ''}`,
    dataset: { proposal: proposal.proposal_id } },
  el('div', { class: 'proposal-who' },
    el('strong', {}, capital(proposalOwner(proposal))),
    proposal.draft ? ' ' : null, proposal.draft ? en('the draft decision') : null,
    proposal.withdrawn ? el('span', { class: 'tag' }, 'återtaget') : null),
  el('p', { class: 'proposal-text' }, proposal.text), extra);
}

/** The proposals of an item as a list (`extra(proposal)` adds buttons to each), or a line. */
export function proposalsList(item, extra = () => null) {
  const proposals = item.proposals || [];
  if (!proposals.length) {
    return el('p', { class: 'muted empty' }, 'Inga yrkanden ännu. ', en('No proposals yet.'));
  }
  return el('ol', { class: 'proposals' }, proposals.map((p) => proposalLine(p, extra(p))));
}

/** Who has the floor and who waits, in order (`extra(speaker)` adds buttons to each). */
export function speakersBlock(item, { extra = () => null, youId = null } = {}) {
  const s = item.speakers || { current: null, queue: [] };
  const current = s.current
    ? el('p', { class: 'floor-now', dataset: { person: s.current.person_id } },
      el('span', { class: 'floor-label' }, 'Har ordet: '), el('strong', {}, s.current.name),
      s.current.person_id === youId ? ' (du)' : null, ' ', en('has the floor'))
    : el('p', { class: 'floor-now muted' }, 'Ingen har ordet just nu. ', en('Nobody has the floor.'));
  const queue = s.queue && s.queue.length
    ? el('ol', { class: 'speaker-queue', 'aria-label': 'Talarlistan' }, s.queue.map((q) => el('li', {
      dataset: { person: q.person_id } },
    el('span', { class: 'speaker-name' }, q.name, q.person_id === youId ? ' (du)' : ''),
    q.reply ? el('span', { class: `tag${q.allowed ? ' ok' : ' warn'}` },
      q.allowed ? 'replik, medgiven' : 'begär replik') : null,
    extra(q))))
    : el('p', { class: 'muted empty' }, 'Talarlistan är tom. ', en('Nobody is waiting to speak.'));
  return el('div', { class: 'speakers' }, current, queue);
}

/** The two alternatives of a question: "Ja: förslaget till beslut", "Nej: Karin Linds yrkande". */
export function alternatives(item, question) {
  const ja = proposalOf(item, question.ja);
  const nej = question.nej ? proposalOf(item, question.nej) : null;
  return el('dl', { class: 'alternatives' },
    el('div', { class: 'alt', dataset: { choice: 'ja' } }, el('dt', {}, 'Ja'),
      el('dd', {}, el('strong', {}, capital(proposalOwner(ja))), ja ? el('span', { class: 'alt-text' }, ja.text) : null)),
    nej ? el('div', { class: 'alt', dataset: { choice: 'nej' } }, el('dt', {}, 'Nej'),
      el('dd', {}, el('strong', {}, capital(proposalOwner(nej))), el('span', { class: 'alt-text' }, nej.text))) : null);
}

/** What the question is, in one sentence (main question or counter-proposition). */
export function questionSentence(item, question) {
  const ja = proposalOf(item, question.ja);
  const nej = question.nej ? proposalOf(item, question.nej) : null;
  if (question.stage === 'counter') {
    return bi(`Val av motförslag: ${proposalOwner(ja)} mot ${proposalOwner(nej)}.`,
      'choosing the counter-proposal');
  }
  if (!nej) return bi(`Proposition på ${proposalOwner(ja)}.`, 'the question on the only proposal');
  return bi(`Proposition: ${proposalOwner(ja)} mot ${proposalOwner(nej)}.`, 'the main question');
}

/** Whole seconds until an ISO time (0 when past, null without one). */
export function secondsUntil(iso) {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.ceil((t - Date.now()) / 1000));
}

/** A closed vote: the tally, who won, how a tie was broken, and each person's vote. */
export function resultBlock(item, result, { youId = null } = {}) {
  const t = result.tally || {};
  const winner = proposalOf(item, result.winner);
  const [tieSv, tieEn] = TIE_BREAK[result.tie_break] || [null, null];
  const rows = (result.votes || []).map((v) => el('tr', { dataset: { person: v.person_id, choice: v.choice } },
    el('th', { scope: 'row' }, v.name, v.person_id === youId ? ' (du)' : ''),
    el('td', {}, choiceWord(v.choice))));
  return el('section', { class: 'result', dataset: { vote: result.vote_id }, 'aria-label': 'Omröstningens resultat' },
    el('p', { class: 'tally' },
      el('strong', {}, `Ja ${t.ja ?? 0} · Nej ${t.nej ?? 0} · Avstår ${t.avstår ?? 0}`), ' ',
      en(`yes ${t.ja ?? 0}, no ${t.nej ?? 0}, abstain ${t.avstår ?? 0}`)),
    el('p', { class: 'winner' }, `Vann: ${proposalOwner(winner)}`, ' ', en('carried')),
    tieSv ? el('p', { class: 'tie-break' }, tieSv,
      result.tie_break === 'lot' && result.draw && typeof result.draw.value === 'number'
        ? ` (lottens värde ${String(result.draw.value).replace('.', ',')})` : '', '. ', en(tieEn)) : null,
    result.secret
      ? el('p', { class: 'muted' }, 'Sluten omröstning: ingens röst visas. ', en('Secret ballot: nobody’s vote is shown.'))
      : el('table', { class: 'votes-table' },
        el('caption', {}, bi('Röstlängd', 'each person’s vote')),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Namn'), el('th', { scope: 'col' }, 'Röst'))),
        el('tbody', {}, rows)));
}

/** The item's decision, if made. */
export function decisionBlock(item) {
  const d = item.decision;
  if (!d) return null;
  const [sv, english] = METHOD[d.method] || ['Beslut', 'decision'];
  return el('div', { class: 'decision', role: 'status' },
    el('p', { class: 'decision-head' }, el('strong', {}, 'Beslut: '), d.text),
    el('p', { class: 'muted' }, `${sv}, kl. ${clock(d.at)}. `, en(english)));
}

/** The speaker's picture large for everyone: their gallery tile gets the class `speaking`. */
export function markSpeaker(item) {
  const current = item && item.speakers ? item.speakers.current : null;
  const id = current ? current.participant_id : null;
  for (const tile of document.querySelectorAll('#gallery .tile')) {
    tile.classList.toggle('speaking', Boolean(id) && tile.dataset.participant === id);
  }
}

/** "Ja" / "Nej" / "Avstår" with the English beside it. */
export const choiceWord = (choice) => {
  const [sv, english] = CHOICE[choice] || [choice, ''];
  return bi(sv, english);
};

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
