/**
 * How plan rows map to the kinds and ids of connect/skips.ts (a supplier row is skipped as its contact,
 * a job item per project, an imported payment as imported-payment).
 */
import type { RecordKind as SkipKind } from '../skips.js';

/** Which skip kind (connect/skips.ts) a plan row's record is skipped under. */
export function skipKindOf(recordKind: string): SkipKind {
  switch (recordKind) {
    case 'supplier':
      return 'contact';
    case 'project':
      return 'job-item';
    case 'qbo-payment':
      return 'imported-payment';
    case 'credit-application':
      return 'credit-note';
    default:
      return recordKind as SkipKind;
  }
}

/** The id a row's record is skipped under (items are skipped per project). */
export function skipIdOf(recordKind: string, id: string): string {
  return recordKind === 'project' ? id.split('|')[0]! : id;
}
