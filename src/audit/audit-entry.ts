export type AuditOutcome = 'ok' | 'refused' | 'error';

/** One command invocation or button click, refusals included. */
export interface AuditEntry {
  at: Date;
  actor: { id: string; name: string };
  /** The server the interaction came from; null for a direct message. */
  guildId?: string | null;
  /** `service add`, `deploy`, `approval approve` … */
  command: string;
  options: Record<string, string | number | boolean>;
  outcome: AuditOutcome;
  /** The AppError code of a refusal, or the ref of an unexpected error. */
  code?: string;
  message?: string;
  durationMs: number;
}
