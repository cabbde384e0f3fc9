/** Table of the held-records actions (migrations 0010_held_actions, 0012_held_action_seq; connect/held). */
import type { Generated } from 'kysely';

export interface HeldTables {
  /** One person's action on a held record: its audit entry and what it replaced, for undo. */
  held_actions: {
    id: Generated<number>;
    realm_id: string;
    record_kind: string;
    record_key: string;
    label: string;
    /** keep-qbo | send-ours | relink | skip */
    action: string;
    /** JSON: the fields side by side when it was taken, and what the action did (QBO Ids, values sent). */
    detail: string;
    /** JSON of the link row before the action (null: there was none). */
    old_link: string | null;
    /** JSON of the held journal row's outcome before the action (null: none was touched). */
    old_journal: string | null;
    actor: string;
    at: string;
    undone_by: string | null;
    undone_at: string | null;
    /** The action's place among the record's actions (unique per record): the guard against two at once. */
    seq: number;
  };
}
