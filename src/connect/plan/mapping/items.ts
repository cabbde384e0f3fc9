/**
 * Job items: by default one QBO service item per project, so QBO reports can show income per job.
 * QBO takes a line's income account from its item, so when income is mapped per stage (by cost
 * centre or discipline) a project gets one item per income account it uses.
 */
import type { StoredRecord } from '../../../practice/store.js';
import { marker } from '../context.js';

/** The item's key in the plan and in links: the project, plus the account when income is split. */
export function itemKey(projectNumber: string, accountId: string | null, split: boolean): string {
  return split && accountId ? `${projectNumber}|${accountId}` : projectNumber;
}

/** QBO item names: at most 100 characters, no colon (the parent:child separator). */
export function itemName(project: StoredRecord<'project'>, accountName: string | null, split: boolean): string {
  const base = `${project.record.number} ${project.record.name}`
    .replace(/\s*:\s*/g, ' - ')
    .replace(/\s+/g, ' ')
    .trim();
  const suffix = split && accountName ? ` (${accountName.replace(/:/g, '-')})` : '';
  return `${base.slice(0, 100 - suffix.length).trimEnd()}${suffix}`;
}

export function itemPayload(project: StoredRecord<'project'>, name: string, incomeAccountId: string): Record<string, unknown> {
  return {
    Name: name,
    Type: 'Service',
    Description: `${project.record.name} (${marker('project', project.key)})`.slice(0, 4000),
    IncomeAccountRef: { value: incomeAccountId },
  };
}
