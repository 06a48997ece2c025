/**
 * Which endpoint takes the next request: the one with the fewest requests
 * outstanding. A slow or overloaded replica holds its requests longer, so it
 * is chosen less often without us measuring its speed.
 */

export interface RouteCandidate {
  url: string;
  healthy: boolean;
  outstanding: number;
  limit: number;
}

/**
 * Index of the chosen candidate, or -1 when none is healthy with a free slot.
 * Endpoints in `avoid` (already failed this request) are used only when no
 * other endpoint has room, so a retry goes elsewhere whenever it can.
 * `start` rotates ties so equal endpoints share load instead of the first
 * one taking everything when the cluster is idle.
 */
export function chooseEndpoint(
  candidates: readonly RouteCandidate[],
  avoid: ReadonlySet<string> = new Set(),
  start = 0,
): number {
  let best = -1;
  let bestAvoided = true;
  let bestOutstanding = Number.POSITIVE_INFINITY;
  const n = candidates.length;
  for (let k = 0; k < n; k++) {
    const i = (((start + k) % n) + n) % n;
    const c = candidates[i];
    if (c === undefined || !c.healthy || c.outstanding >= c.limit) continue;
    const avoided = avoid.has(c.url);
    const better =
      best === -1 ||
      (bestAvoided && !avoided) ||
      (avoided === bestAvoided && c.outstanding < bestOutstanding);
    if (better) {
      best = i;
      bestAvoided = avoided;
      bestOutstanding = c.outstanding;
    }
  }
  return best;
}

/** How a request with a remembered endpoint was placed. */
export type AffinityOutcome = 'hit' | 'saturated' | 'unhealthy' | 'retry';

export interface AffinityChoice {
  /** As chooseEndpoint: -1 when nothing can take the request now. */
  index: number;
  /** Undefined when no endpoint was remembered for the request. */
  affinity: AffinityOutcome | undefined;
}

/**
 * The remembered endpoint while it is healthy, has a free slot and has not
 * already failed this request; otherwise the least-outstanding choice, with
 * the reason it was not the remembered one.
 */
export function chooseWithAffinity(
  candidates: readonly RouteCandidate[],
  preferred: string | undefined,
  avoid: ReadonlySet<string> = new Set(),
  start = 0,
): AffinityChoice {
  if (preferred === undefined)
    return { index: chooseEndpoint(candidates, avoid, start), affinity: undefined };
  const i = candidates.findIndex((c) => c.url === preferred);
  const c = candidates[i];
  let affinity: AffinityOutcome;
  if (c === undefined || !c.healthy) affinity = 'unhealthy';
  else if (avoid.has(c.url)) affinity = 'retry';
  else if (c.outstanding >= c.limit) affinity = 'saturated';
  else return { index: i, affinity: 'hit' };
  return { index: chooseEndpoint(candidates, avoid, start), affinity };
}
