/** Who is acting, as the domain sees it: plain data read from the interaction, every time. */
export interface Actor {
  id: string;
  name: string;
  /** The member's current role ids in this guild. */
  roleIds: string[];
  /** Holds Discord's Administrator permission (so a fresh install can be configured). */
  guildAdministrator: boolean;
}
