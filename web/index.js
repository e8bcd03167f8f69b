// The start page: the public guest rooms (no meeting, no device check is ever listed).
fetch('/api/meetings').then(r => r.json()).then(meetings => {
  const ul = document.getElementById('meetings');
  ul.innerHTML = '';
  for (const m of meetings) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = '/m/' + encodeURIComponent(m.id);
    a.textContent = m.title;
    li.append(a, ` · ${m.participants} anslutna`);
    ul.append(li);
  }
  if (!meetings.length) ul.innerHTML = '<li class="muted">Inga möten. / No meetings.</li>';
});
