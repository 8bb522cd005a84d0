/**
 * The poddisruptionbudgets printer (policy/v1).
 */
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { ageColumn, column, nameColumn } from './columns.ts';
import { int, intOrString } from './format.ts';
import { age } from './time.ts';
import type { Printer } from './types.ts';

/** policy/v1 poddisruptionbudgets. The budget field not set reads `N/A`. */
export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Min Available', 'string', 'Pods that must stay available, as a number or percentage.'),
    column('Max Unavailable', 'string', 'Pods that may be unavailable, as a number or percentage.'),
    column('Allowed Disruptions', 'integer', 'How many pods may be disrupted right now.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const pdb = obj as PodDisruptionBudget;
    const min = pdb.spec?.minAvailable;
    const max = pdb.spec?.maxUnavailable;
    return [
      pdb.metadata?.name ?? '',
      min != null ? intOrString(min) : 'N/A',
      max != null ? intOrString(max) : 'N/A',
      int(pdb.status?.disruptionsAllowed),
      age(obj, now),
    ];
  },
};
