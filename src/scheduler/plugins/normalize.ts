/** Score normalisation shared by plugins (upstream helper.DefaultNormalizeScore). */
import type { NodeScore } from '../framework/interfaces.ts';

/**
 * Scales scores so the highest becomes `max`; with `reverse`, the highest
 * becomes 0 and the lowest `max` (for counts of bad things, like taints).
 */
export function defaultNormalizeScore(max: number, reverse: boolean, scores: NodeScore[]): void {
  let top = 0;
  for (const s of scores) if (s.score > top) top = s.score;
  if (top === 0) {
    if (reverse) for (const s of scores) s.score = max;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((max * s.score) / top);
    if (reverse) v = max - v;
    s.score = v;
  }
}
