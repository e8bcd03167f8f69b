// Kvorum: the quality rules in force, as the server serves them (GET /api/profile,
// compliance/profile.py). Pages judge and colour figures with these; they hold no thresholds.

let loading = null;

/** The profile {legal, quality}; fetched once per page. */
export function loadProfile() {
  if (!loading) {
    loading = fetch('/api/profile').then((r) => {
      if (!r.ok) throw new Error(`profile: HTTP ${r.status}`);
      return r.json();
    });
    loading.catch(() => { loading = null; });  // let a later call try again
  }
  return loading;
}

/**
 * 'ok' | 'warn' | 'bad' for a value against a band {degraded, critical} (the order of the two
 * gives the direction, as in compliance/profile.py Band), or 'none' without value or band.
 * As on the server, a value exactly at a threshold is still on the good side.
 */
export function grade(value, band) {
  if (typeof value !== 'number' || !Number.isFinite(value) || !band) return 'none';
  const higherIsWorse = band.critical > band.degraded;
  const worse = (v, t) => (higherIsWorse ? v > t : v < t);
  if (worse(value, band.critical)) return 'bad';
  return worse(value, band.degraded) ? 'warn' : 'ok';
}

/** The worse of several grades. */
export function worst(...grades) {
  const order = ['none', 'ok', 'warn', 'bad'];
  return grades.reduce((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a), 'none');
}
