/** Someone the bot names in a record: who asked, who approved, who locked. */
export interface Person {
  id: string;
  name: string;
}

/** Who is acting, as the domain sees it: plain data read from the interaction, every time. */
export interface Actor extends Person {
  /** The server the interaction came from; null in a direct message. */
  guildId: string | null;
  /** The member's current role ids in that server. */
  roleIds: string[];
  /** Holds Discord's Administrator permission there (it counts only for the first-run bootstrap). */
  guildAdministrator: boolean;
}
