// Kvorum's start page: how meetings are reached (by personal link), and any open test rooms.

import { $, el } from './lib/dom.js';

const rooms = await fetch('/api/meetings').then((r) => r.json()).catch(() => []);
const open = rooms.filter((r) => !r.closed);
$('rooms').replaceChildren(...open.map((r) => el('li', {},
  el('a', { href: '/m/' + encodeURIComponent(r.id) }, r.title),
  ` · ${r.participants} ${r.participants === 1 ? 'ansluten' : 'anslutna'}`)));
$('open-rooms').hidden = open.length === 0;
